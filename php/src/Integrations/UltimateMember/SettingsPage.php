<?php
/**
 * TagBridge → Integrations → Ultimate Member: the general UM settings (pull on profile load and
 * its freshness window, defer until activation, deactivation tag). `manage_options` + nonce;
 * a refused value is named and nothing is saved.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

defined( 'ABSPATH' ) || exit;

/**
 * The settings screen.
 */
final class SettingsPage {

	/** Page slug (the Integrations page; this is its Ultimate Member tab). */
	const SLUG = 'tagbridge-integrations';

	/** admin-post action and nonce action. */
	const ACTION = 'tagbridge_um_settings';

	/**
	 * Settings.
	 *
	 * @var Options
	 */
	private $options;

	/**
	 * Builds the page.
	 *
	 * @param Options $options Settings.
	 */
	public function __construct( Options $options ) {
		$this->options = $options;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'admin_menu', array( $this, 'menu' ), 20 );
		add_action( 'admin_post_' . self::ACTION, array( $this, 'handle' ) );
	}

	/**
	 * Adds the submenu.
	 */
	public function menu() {
		add_submenu_page( 'tagbridge', __( 'TagBridge integrations', 'tagbridge' ), __( 'Integrations', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * Prints the page.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$s      = $this->options->get();
		$status = isset( $_GET['tagbridge_um'] ) ? sanitize_key( wp_unslash( $_GET['tagbridge_um'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only.
		$error  = isset( $_GET['tagbridge_um_error'] ) ? sanitize_text_field( wp_unslash( $_GET['tagbridge_um_error'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only.
		echo '<div class="wrap"><h1>' . esc_html__( 'Integrations', 'tagbridge' ) . '</h1><h2>' . esc_html__( 'Ultimate Member', 'tagbridge' ) . '</h2>';
		if ( 'saved' === $status ) {
			echo '<div class="notice notice-success"><p>' . esc_html__( 'Settings saved.', 'tagbridge' ) . '</p></div>';
		} elseif ( '' !== $error ) {
			echo '<div class="notice notice-error"><p>' . esc_html( $error ) . '</p></div>';
		}
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />';
		wp_nonce_field( self::ACTION );
		echo '<table class="form-table"><tr><th scope="row">' . esc_html__( 'Pull', 'tagbridge' ) . '</th><td><label><input type="checkbox" name="pull" value="1"' . checked( $s['pull'], true, false ) . ' /> ' . esc_html__( 'Refresh the viewed user\'s data from the CRM when their profile loads', 'tagbridge' ) . '</label><br />';
		echo '<label>' . esc_html__( 'At most once every', 'tagbridge' ) . ' <input type="number" min="' . esc_attr( (string) Options::MIN_WINDOW ) . '" max="' . esc_attr( (string) Options::MAX_WINDOW ) . '" name="pull_window" value="' . esc_attr( (string) $s['pull_window'] ) . '" class="small-text" /> ' . esc_html__( 'minutes per user', 'tagbridge' ) . '</label></td></tr>';
		echo '<tr><th scope="row">' . esc_html__( 'Defer until activation', 'tagbridge' ) . '</th><td><label><input type="checkbox" name="defer" value="1"' . checked( $s['defer'], true, false ) . ' /> ' . esc_html__( 'Send nothing about new users to the CRM until their account is approved', 'tagbridge' ) . '</label></td></tr>';
		echo '<tr><th scope="row"><label for="tagbridge-um-deactivation">' . esc_html__( 'Deactivation tag', 'tagbridge' ) . '</label></th><td><input type="text" id="tagbridge-um-deactivation" name="deactivation_tag" value="' . esc_attr( $s['deactivation_tag'] ) . '" class="regular-text" /><p class="description">' . esc_html__( 'Applying this tag deactivates the account; removing it reactivates it.', 'tagbridge' ) . '</p></td></tr></table>';
		submit_button();
		echo '</form></div>';
	}

	/**
	 * Saves the form.
	 */
	public function handle() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'Only administrators can change TagBridge settings.', 'tagbridge' ), 403 );
		}
		check_admin_referer( self::ACTION );
		$window = isset( $_POST['pull_window'] ) ? sanitize_text_field( wp_unslash( $_POST['pull_window'] ) ) : '';
		$result = $this->options->save(
			array(
				'pull'             => ! empty( $_POST['pull'] ),
				'pull_window'      => ctype_digit( $window ) ? (int) $window : -1,
				'defer'            => ! empty( $_POST['defer'] ),
				'deactivation_tag' => isset( $_POST['deactivation_tag'] ) ? sanitize_text_field( wp_unslash( $_POST['deactivation_tag'] ) ) : '',
			)
		);
		$args = is_wp_error( $result ) ? array( 'tagbridge_um_error' => rawurlencode( $result->get_error_message() ) ) : array( 'tagbridge_um' => 'saved' );
		wp_safe_redirect( add_query_arg( $args + array( 'page' => self::SLUG ), admin_url( 'admin.php' ) ) );
		exit;
	}
}
