<?php
/**
 * The TagBridge menu and its first screen: role ↔ tag links and the reconcile-all-users job.
 *
 * @package TagBridge
 */

namespace TagBridge\Admin;

use TagBridge\Jobs\ReconcileJob;
use TagBridge\Roles\LinkChanges;
use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * Owns the top-level "TagBridge" menu (other screens add submenus under its slug).
 */
final class RolesPage {

	/** Menu slug, the parent of every TagBridge screen. */
	const SLUG = 'tagbridge';

	/** admin-post action and nonce of the links form. */
	const SAVE_ACTION = 'tagbridge_save_links';

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Changed links waiting for a reconcile.
	 *
	 * @var LinkChanges
	 */
	private $changes;

	/**
	 * The reconcile job.
	 *
	 * @var ReconcileJob
	 */
	private $job;

	/**
	 * Notices.
	 *
	 * @var Notices
	 */
	private $notices;

	/**
	 * Builds the screen.
	 *
	 * @param SettingsStore $settings Settings store.
	 * @param LinkChanges   $changes  Changed links.
	 * @param ReconcileJob  $job      Reconcile job.
	 * @param Notices       $notices  Notices.
	 */
	public function __construct( SettingsStore $settings, LinkChanges $changes, ReconcileJob $job, Notices $notices ) {
		$this->settings = $settings;
		$this->changes  = $changes;
		$this->job      = $job;
		$this->notices  = $notices;
	}

	/**
	 * Registers the menu, the form handler, the script and the reconcile reminder.
	 */
	public function register() {
		add_action( 'admin_menu', array( $this, 'menu' ), 9 );
		add_action( 'admin_post_' . self::SAVE_ACTION, array( $this, 'save' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
		add_action( 'admin_notices', array( $this, 'reminder' ) );
	}

	/**
	 * Adds the top-level menu; its first entry is this screen.
	 */
	public function menu() {
		add_menu_page( __( 'TagBridge', 'tagbridge' ), __( 'TagBridge', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ), 'dashicons-tag', 71 );
		add_submenu_page( self::SLUG, __( 'Roles & Tags', 'tagbridge' ), __( 'Roles & Tags', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * Loads the reconcile script on this screen only.
	 *
	 * @param string $hook Screen hook suffix.
	 */
	public function enqueue( $hook ) {
		if ( 'toplevel_page_' . self::SLUG !== $hook ) {
			return;
		}
		wp_enqueue_script( 'tagbridge-reconcile', plugins_url( 'assets/reconcile.js', TAGBRIDGE_FILE ), array( 'wp-api-fetch' ), TAGBRIDGE_VERSION, true );
		wp_localize_script(
			'tagbridge-reconcile',
			'tagbridgeReconcile',
			array(
				'path'    => '/tagbridge/v1/reconcile',
				'strings' => array(
					'running'   => __( 'Working… %1$d of %2$d users visited.', 'tagbridge' ),
					'dryDone'   => __( 'Dry run finished: %1$d of %2$d users would change. Nothing was changed yet.', 'tagbridge' ),
					'applyDone' => __( 'Done: %1$d of %2$d users changed.', 'tagbridge' ),
					'cancelled' => __( 'Cancelled. Users visited so far keep their changes; start again to finish.', 'tagbridge' ),
					'failed'    => __( 'The job stopped: %s', 'tagbridge' ),
					'none'      => __( 'No user needs a change.', 'tagbridge' ),
					'gain'      => __( 'gain', 'tagbridge' ),
					'lose'      => __( 'lose', 'tagbridge' ),
					'role'      => __( 'role', 'tagbridge' ),
					'tag'       => __( 'tag', 'tagbridge' ),
					'users'     => __( 'users', 'tagbridge' ),
					'confirm'   => __( 'Apply these changes to your users now?', 'tagbridge' ),
				),
			)
		);
	}

	/**
	 * Reminds administrators on every admin screen that changed links have not been reconciled.
	 */
	public function reminder() {
		$pending = $this->changes->pending();
		if ( ! $pending || ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$url = admin_url( 'admin.php?page=' . self::SLUG . '#tagbridge-reconcile' );
		printf(
			'<div class="notice notice-warning"><p>%1$s <a href="%2$s">%3$s</a></p></div>',
			/* translators: %s: comma-separated role slugs */
			esc_html( sprintf( __( 'TagBridge: the links of these roles changed, and existing users have not been reconciled yet: %s.', 'tagbridge' ), implode( ', ', $pending ) ) ),
			esc_url( $url ),
			esc_html__( 'Review with a dry run', 'tagbridge' )
		);
	}

	/**
	 * Saves the links form (admin-post), then returns to the screen.
	 */
	public function save() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'Only administrators can link roles to tags.', 'tagbridge' ), 403 );
		}
		check_admin_referer( self::SAVE_ACTION );
		$posted = isset( $_POST['links'] ) && is_array( $_POST['links'] ) ? wp_unslash( $_POST['links'] ) : array(); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised per entry below.
		$links  = array();
		foreach ( $posted as $role => $tag ) {
			$tag = is_string( $tag ) ? trim( sanitize_text_field( $tag ) ) : '';
			if ( '' !== $tag ) {
				$links[] = array(
					'role' => sanitize_key( (string) $role ),
					'tag'  => $tag,
				);
			}
		}
		$settings               = $this->settings->get();
		$settings['role_links'] = $links;
		$result                 = $this->settings->update( $settings );
		if ( is_wp_error( $result ) ) {
			$this->notices->add( 'error', $result->get_error_message() );
		} else {
			$this->notices->add( 'success', __( 'Role links saved. Existing users are not changed until you reconcile them below.', 'tagbridge' ) );
		}
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * Prints the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$links   = array();
		$summary = $this->settings->summary();
		foreach ( $this->settings->get()['role_links'] as $link ) {
			$links[ $link['role'] ] = $link['tag'];
		}
		$roles = wp_roles()->roles;
		uasort( $roles, static fn( $a, $b ) => strcasecmp( $a['name'], $b['name'] ) );
		$pending = $this->changes->pending();
		echo '<div class="wrap"><h1>' . esc_html__( 'TagBridge: Roles & Tags', 'tagbridge' ) . '</h1>';
		if ( is_wp_error( $summary ) ) {
			echo '<div class="notice notice-error"><p>' . esc_html( $summary->get_error_message() ) . '</p></div>';
		} else {
			foreach ( (array) ( $summary['warnings'] ?? array() ) as $warning ) {
				echo '<div class="notice notice-warning"><p>' . esc_html( (string) $warning ) . '</p></div>';
			}
		}
		echo '<p>' . esc_html__( 'Link a role to a tag: a user who gets the role gets the tag, a user who gets the tag gets the role, and losing either removes the other. Administrators and users with protected capabilities are never changed.', 'tagbridge' ) . '</p>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		wp_nonce_field( self::SAVE_ACTION );
		echo '<input type="hidden" name="action" value="' . esc_attr( self::SAVE_ACTION ) . '" />';
		echo '<table class="widefat striped" style="max-width:48em"><thead><tr><th>' . esc_html__( 'Role', 'tagbridge' ) . '</th><th>' . esc_html__( 'Linked tag', 'tagbridge' ) . '</th></tr></thead><tbody>';
		foreach ( $roles as $slug => $role ) {
			printf(
				'<tr><td><label for="tagbridge-link-%1$s">%2$s</label> <code>%1$s</code></td><td><input type="text" class="regular-text" id="tagbridge-link-%1$s" name="links[%1$s]" value="%3$s" maxlength="191" /></td></tr>',
				esc_attr( $slug ),
				esc_html( translate_user_role( $role['name'] ) ),
				esc_attr( $links[ $slug ] ?? '' )
			);
		}
		echo '</tbody></table>';
		submit_button( __( 'Save links', 'tagbridge' ) );
		echo '</form>';
		$this->render_reconcile( $pending, array_keys( $links ) );
		echo '</div>';
	}

	/**
	 * Prints the reconcile panel (driven by assets/reconcile.js over REST).
	 *
	 * @param string[] $pending Roles whose links changed.
	 * @param string[] $linked  Linked roles.
	 */
	private function render_reconcile( array $pending, array $linked ) {
		$state = $this->job->state();
		echo '<h2 id="tagbridge-reconcile">' . esc_html__( 'Reconcile existing users', 'tagbridge' ) . '</h2>';
		if ( ! $linked ) {
			echo '<p>' . esc_html__( 'No role is linked yet.', 'tagbridge' ) . '</p>';
			return;
		}
		echo '<p>' . esc_html__( 'Changing a link does not touch existing users. Choose which side is the truth, run a dry run to see who would gain or lose what, then apply it.', 'tagbridge' ) . '</p>';
		echo '<fieldset id="tagbridge-reconcile-form" data-roles="' . esc_attr( wp_json_encode( $pending ) ) . '" data-state="' . esc_attr( (string) wp_json_encode( $state ) ) . '">';
		echo '<p><label><input type="radio" name="tagbridge_truth" value="roles" checked /> ' . esc_html__( 'Roles are the truth: apply each linked tag to everyone holding its role, and remove it from everyone else.', 'tagbridge' ) . '</label><br />';
		echo '<label><input type="radio" name="tagbridge_truth" value="tags" /> ' . esc_html__( 'Tags are the truth: grant each linked role to everyone with its tag, and remove it from everyone without (a new, empty tag would remove the role from all its holders).', 'tagbridge' ) . '</label></p>';
		if ( $pending ) {
			/* translators: %s: comma-separated role slugs */
			echo '<p><label><input type="checkbox" id="tagbridge-only-changed" checked /> ' . esc_html( sprintf( __( 'Only the links changed since the last reconcile (%s)', 'tagbridge' ), implode( ', ', $pending ) ) ) . '</label></p>';
		}
		echo '<p><button type="button" class="button" id="tagbridge-dry-run">' . esc_html__( 'Dry run', 'tagbridge' ) . '</button> ';
		echo '<button type="button" class="button button-primary" id="tagbridge-apply" disabled>' . esc_html__( 'Apply', 'tagbridge' ) . '</button> ';
		echo '<button type="button" class="button" id="tagbridge-cancel" style="display:none">' . esc_html__( 'Cancel', 'tagbridge' ) . '</button></p>';
		echo '<p><progress id="tagbridge-progress" max="100" value="0" style="display:none"></progress> <span id="tagbridge-status" role="status"></span></p>';
		echo '<table class="widefat striped" id="tagbridge-counts" style="display:none;max-width:48em"><tbody></tbody></table>';
		echo '</fieldset>';
	}
}
