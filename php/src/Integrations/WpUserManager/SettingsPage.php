<?php
/**
 * TagBridge → WP User Manager (`admin.php?page=tagbridge-wp-user-manager`): "Defer until
 * activation" and the tags applied on registration through each WPUM registration form.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\WpUserManager;

use TagBridge\Admin\Notices;
use TagBridge\Fields\Discovery;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Renders and saves the WPUM options (nonce + `manage_options`).
 */
final class SettingsPage {

	/** Page slug. */
	const SLUG = 'tagbridge-wp-user-manager';

	/** admin-post action and nonce action. */
	const ACTION = 'tagbridge_save_wp_user_manager';

	/**
	 * Registration forms.
	 *
	 * @var RegistrationForms
	 */
	private $forms;

	/**
	 * Admin notices.
	 *
	 * @var Notices
	 */
	private $notices;

	/**
	 * Builds the page.
	 *
	 * @param RegistrationForms $forms   Registration forms.
	 * @param Notices           $notices Admin notices.
	 */
	public function __construct( RegistrationForms $forms, Notices $notices ) {
		$this->forms   = $forms;
		$this->notices = $notices;
	}

	/**
	 * Registers the page and its save handler.
	 */
	public function register() {
		# Actions
		add_action( 'admin_menu', array( $this, 'add_page' ), 20 );
		add_action( 'admin_post_' . self::ACTION, array( $this, 'handle' ) );
	}

	/**
	 * Adds the submenu under TagBridge while WP User Manager is active.
	 */
	public function add_page() {
		if ( Discovery::wp_user_manager_active() ) {
			add_submenu_page( 'tagbridge', __( 'WP User Manager integration', 'tagbridge' ), __( 'WP User Manager', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
		}
	}

	/**
	 * Prints the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to change TagBridge settings.', 'tagbridge' ), 403 );
		}
		$options = Options::get();
		echo '<div class="wrap"><h1>' . esc_html__( 'WP User Manager integration', 'tagbridge' ) . '</h1>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />';
		wp_nonce_field( self::ACTION );

		echo '<h2>' . esc_html__( 'Defer until activation', 'tagbridge' ) . '</h2>';
		echo '<p><label><input type="checkbox" name="defer" value="1"' . checked( $options['defer'], true, false ) . ' /> ';
		echo esc_html__( 'Send nothing to the CRM for a new user (contact, fields, tags) until they confirm their email address or an administrator approves them; then send everything at once. A rejected or deleted user sends nothing.', 'tagbridge' ) . '</label></p>';
		$status = Options::verification_configured()
			? __( 'WP User Manager\'s User Verification add-on is configured on this site.', 'tagbridge' )
			: __( 'This only takes effect while WP User Manager\'s User Verification add-on is configured (a verification method is chosen); it is not configured on this site, so users are not deferred.', 'tagbridge' );
		echo '<p class="description">' . esc_html( $status ) . '</p>';

		echo '<h2>' . esc_html__( 'Registration form tags', 'tagbridge' ) . '</h2>';
		$forms = $this->forms->all();
		if ( ! $forms ) {
			echo '<p>' . esc_html__( 'WP User Manager has no registration forms.', 'tagbridge' ) . '</p>';
		} else {
			echo '<p class="description">' . esc_html__( 'Tags applied to users who register through each form (separate tags with commas). Linked roles follow.', 'tagbridge' ) . '</p>';
			echo '<table class="form-table"><tbody>';
			foreach ( $forms as $id => $name ) {
				$field = 'form_tags[' . $id . ']';
				echo '<tr><th scope="row"><label for="' . esc_attr( 'tagbridge-wpum-form-' . $id ) . '">' . esc_html( '' === $name ? '#' . $id : $name ) . '</label></th>';
				echo '<td><input type="text" class="regular-text" id="' . esc_attr( 'tagbridge-wpum-form-' . $id ) . '" name="' . esc_attr( $field ) . '" value="' . esc_attr( implode( ', ', $options['form_tags'][ $id ] ?? array() ) ) . '" /></td></tr>';
			}
			echo '</tbody></table>';
		}
		echo '<p class="submit"><button type="submit" class="button button-primary">' . esc_html__( 'Save', 'tagbridge' ) . '</button></p>';
		echo '</form></div>';
	}

	/**
	 * admin-post handler: saves, reports the outcome as a notice, returns to the screen.
	 */
	public function handle() {
		$result = $this->save( wp_unslash( $_POST ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- save() verifies the nonce.
		if ( is_wp_error( $result ) && 'tagbridge_forbidden' === $result->get_error_code() ) {
			wp_die( esc_html( $result->get_error_message() ), 403 );
		}
		$this->notices->add( is_wp_error( $result ) ? 'error' : 'success', is_wp_error( $result ) ? $result->get_error_message() : __( 'WP User Manager settings saved.', 'tagbridge' ) );
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * Checks the nonce and capability, reads the posted form and saves it. Forms not on the site
	 * are refused; nothing is saved on any refusal.
	 *
	 * @param array $post Unslashed POST data.
	 * @return true|WP_Error
	 */
	public function save( array $post ) {
		if ( ! current_user_can( 'manage_options' ) || ! wp_verify_nonce( (string) ( $post['_wpnonce'] ?? '' ), self::ACTION ) ) {
			return new WP_Error( 'tagbridge_forbidden', __( 'The link has expired or you may not change TagBridge settings.', 'tagbridge' ), array( 'status' => 403 ) );
		}
		$forms  = $this->forms->all();
		$posted = isset( $post['form_tags'] ) && is_array( $post['form_tags'] ) ? $post['form_tags'] : array();
		$tags   = array();
		foreach ( $posted as $id => $text ) {
			if ( ! is_int( $id ) || ! isset( $forms[ $id ] ) || ! is_string( $text ) ) {
				/* translators: %s: registration form id as posted */
				return new WP_Error( 'tagbridge_invalid_wpum_options', sprintf( __( 'There is no WP User Manager registration form %s.', 'tagbridge' ), sanitize_text_field( (string) $id ) ), array( 'status' => 400 ) );
			}
			$tags[ $id ] = array_values( array_filter( array_map( 'trim', explode( ',', sanitize_text_field( $text ) ) ), 'strlen' ) );
		}
		return Options::save(
			array(
				'defer'     => ! empty( $post['defer'] ),
				'form_tags' => $tags,
			)
		);
	}
}
