<?php
/**
 * TagBridge → Linked sites (`manage_options`, nonces): create a pairing code, link to a site,
 * per-direction rules, unlink, initial sync with progress.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

defined( 'ABSPATH' ) || exit;

/**
 * The Linked sites screen.
 */
final class SitesPage {

	/** Page slug. */
	const SLUG = 'tagbridge-sites';

	/** admin-post action (and nonce action). */
	const ACTION = 'tagbridge_sites';

	/**
	 * Services.
	 *
	 * @var Sites
	 */
	private $sites;

	/**
	 * Builds the screen.
	 *
	 * @param Sites $sites Services.
	 */
	public function __construct( Sites $sites ) {
		$this->sites = $sites;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_post_' . self::ACTION, array( $this, 'handle' ) );
	}

	/**
	 * Adds the submenu.
	 */
	public function menu() {
		add_submenu_page( 'tagbridge', __( 'Linked sites', 'tagbridge' ), __( 'Linked sites', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * Handles a form: nonce and capability first.
	 */
	public function handle() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'tagbridge' ), 403 );
		}
		check_admin_referer( self::ACTION );
		$do      = isset( $_POST['do'] ) ? sanitize_key( wp_unslash( $_POST['do'] ) ) : '';
		$id      = isset( $_POST['site'] ) ? sanitize_key( wp_unslash( $_POST['site'] ) ) : '';
		$message = '';
		if ( 'code' === $do ) {
			$code = $this->sites->pairing->create_code( time() );
			/* translators: %s: pairing code */
			$message = sprintf( __( 'Pairing code (valid 15 minutes, works once): %s', 'tagbridge' ), $code['code'] );
		} elseif ( 'connect' === $do ) {
			$url     = isset( $_POST['url'] ) ? esc_url_raw( wp_unslash( $_POST['url'] ) ) : '';
			$code    = isset( $_POST['code'] ) ? sanitize_text_field( wp_unslash( $_POST['code'] ) ) : '';
			$result  = $this->sites->pairing->connect( $url, $code, time() );
			$message = is_wp_error( $result ) ? $result->get_error_message() : __( 'Sites linked.', 'tagbridge' );
		} elseif ( 'unlink' === $do ) {
			$this->sites->links->remove( $id );
			$message = __( 'Site unlinked.', 'tagbridge' );
		} elseif ( 'sync' === $do ) {
			$job     = $this->sites->initial->start( $id );
			$message = is_wp_error( $job ) ? $job->get_error_message() : __( 'Initial sync started.', 'tagbridge' );
		} elseif ( 'rules' === $do ) {
			$message = __( 'Rules saved.', 'tagbridge' );
			foreach ( array( 'send', 'receive' ) as $direction ) {
				$result = $this->sites->links->set_rules( $id, $direction, self::rules_from_post( $direction ) );
				$message = is_wp_error( $result ) ? $result->get_error_message() : $message;
			}
		}
		set_transient( 'tagbridge_sites_notice_' . get_current_user_id(), $message, 60 );
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * One direction's rules from the form.
	 *
	 * @param string $direction `send` or `receive`.
	 * @return array
	 */
	private static function rules_from_post( $direction ) {
		$raw   = isset( $_POST[ $direction ] ) && is_array( $_POST[ $direction ] ) ? wp_unslash( $_POST[ $direction ] ) : array(); // phpcs:ignore WordPress.Security.NonceVerification,WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- checked in handle(); sanitized below.
		$list  = static fn( $key ) => isset( $raw[ $key ] ) ? array_values( array_filter( array_map( 'sanitize_key', explode( ',', (string) $raw[ $key ] ) ) ) ) : array();
		$rules = array(
			'fields' => $list( 'fields' ),
			'roles'  => $list( 'roles' ),
		);
		foreach ( array( 'create', 'tags', 'passwords', 'delete' ) as $flag ) {
			$rules[ $flag ] = ! empty( $raw[ $flag ] );
		}
		return $rules;
	}

	/**
	 * Renders the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html__( 'Linked sites', 'tagbridge' ) . '</h1>';
		$notice = get_transient( 'tagbridge_sites_notice_' . get_current_user_id() );
		if ( $notice ) {
			delete_transient( 'tagbridge_sites_notice_' . get_current_user_id() );
			echo '<div class="notice notice-info"><p>' . esc_html( $notice ) . '</p></div>';
		}
		echo '<p>' . esc_html__( 'Passwords never travel in plain text: between linked sites only the WordPress password hash is sent (opt-in per direction); a CRM never receives one, and mapping user_pass to a CRM field is refused.', 'tagbridge' ) . '</p>';
		$this->form( 'code', __( 'Create a pairing code', 'tagbridge' ), '' );
		$this->form( 'connect', __( 'Link to a site', 'tagbridge' ), '<input type="url" name="url" placeholder="https://" required> <input type="text" name="code" placeholder="' . esc_attr__( 'pairing code', 'tagbridge' ) . '" required> ' );
		foreach ( $this->sites->links->all() as $id => $link ) {
			echo '<h2>' . esc_html( $link['url'] ) . '</h2>';
			$counts = $this->sites->queue->counts( $id );
			$job    = $this->sites->initial->get( $id );
			/* translators: 1: pending, 2: parked */
			echo '<p>' . esc_html( sprintf( __( 'Queue: %1$d pending, %2$d parked.', 'tagbridge' ), $counts['pending'], $counts['parked'] ) ) . '</p>';
			if ( $job ) {
				/* translators: 1: status, 2: processed, 3: total */
				echo '<p>' . esc_html( sprintf( __( 'Initial sync: %1$s, %2$d of %3$d users.', 'tagbridge' ), $job['status'], $job['processed'], $job['total'] ) ) . '</p>';
			}
			$fields = '';
			foreach ( array( 'send' => __( 'Send to this site', 'tagbridge' ), 'receive' => __( 'Accept from this site', 'tagbridge' ) ) as $direction => $title ) {
				$rules   = $link[ $direction ];
				$fields .= '<fieldset><legend><strong>' . esc_html( $title ) . '</strong></legend>';
				foreach ( array( 'create' => __( 'Create users', 'tagbridge' ), 'tags' => __( 'Tags', 'tagbridge' ), 'passwords' => __( 'Password hashes', 'tagbridge' ), 'delete' => __( 'Deletions (never protected users)', 'tagbridge' ) ) as $flag => $label ) {
					$fields .= '<label><input type="checkbox" name="' . esc_attr( $direction . '[' . $flag . ']' ) . '" value="1"' . checked( $rules[ $flag ], true, false ) . '> ' . esc_html( $label ) . '</label> ';
				}
				$fields .= '<br><label>' . esc_html__( 'Fields (comma-separated keys; add user_email to follow email changes)', 'tagbridge' ) . ' <input type="text" name="' . esc_attr( $direction . '[fields]' ) . '" value="' . esc_attr( implode( ',', $rules['fields'] ) ) . '"></label>';
				$fields .= '<br><label>' . esc_html__( 'Roles that may be set remotely (protected roles never are)', 'tagbridge' ) . ' <input type="text" name="' . esc_attr( $direction . '[roles]' ) . '" value="' . esc_attr( implode( ',', $rules['roles'] ) ) . '"></label></fieldset>';
			}
			$this->form( 'rules', __( 'Save rules', 'tagbridge' ), $fields, $id );
			$this->form( 'sync', __( 'Send existing users (initial sync)', 'tagbridge' ), '', $id );
			$this->form( 'unlink', __( 'Unlink', 'tagbridge' ), '', $id );
		}
		echo '</div>';
	}

	/**
	 * One form posting to admin-post with the nonce.
	 *
	 * @param string $do     Action.
	 * @param string $label  Button label.
	 * @param string $inner  Escaped inner HTML.
	 * @param string $site   Link id.
	 */
	private function form( $do, $label, $inner, $site = '' ) {
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		wp_nonce_field( self::ACTION );
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '"><input type="hidden" name="do" value="' . esc_attr( $do ) . '"><input type="hidden" name="site" value="' . esc_attr( $site ) . '">';
		echo $inner; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts above.
		submit_button( $label, 'secondary', 'submit', false );
		echo '</form>';
	}
}
