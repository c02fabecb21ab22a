<?php
/**
 * The Contact Fields screen (TagBridge → Contact Fields): every discoverable field under its
 * heading, each with enable, CRM field, type and direction. Saves the field map through the
 * settings store, so the extension validates it and a refusal names the bad entry.
 *
 * @package TagBridge
 */

namespace TagBridge\Fields;

use TagBridge\Settings\SettingsStore;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Renders and saves the field map.
 */
final class ContactFieldsPage {

	/** Page slug. */
	const SLUG = 'tagbridge-fields';

	/** admin-post action and nonce action. */
	const ACTION = 'tagbridge_save_fields';

	/** Field types offered (the extension's list). */
	const TYPES = array( 'text', 'textarea', 'int', 'date', 'checkbox', 'multiselect', 'tel', 'country', 'state', 'raw' );

	/** Directions offered. */
	const DIRECTIONS = array( 'push', 'pull', 'both' );

	/**
	 * Settings.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Field discovery.
	 *
	 * @var Discovery
	 */
	private $discovery;

	/**
	 * Builds the page.
	 *
	 * @param SettingsStore $settings  Settings.
	 * @param Discovery     $discovery Field discovery.
	 */
	public function __construct( SettingsStore $settings, Discovery $discovery ) {
		$this->settings  = $settings;
		$this->discovery = $discovery;
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
	 * Adds the submenu under TagBridge's top-level menu.
	 */
	public function add_page() {
		add_submenu_page( 'tagbridge', __( 'Contact Fields', 'tagbridge' ), __( 'Contact Fields', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * Headings as shown.
	 *
	 * @return array<string, string>
	 */
	private static function headings() {
		return array(
			Discovery::WORDPRESS       => __( 'WordPress', 'tagbridge' ),
			Discovery::ULTIMATE_MEMBER => __( 'Ultimate Member', 'tagbridge' ),
			Discovery::WP_USER_MANAGER => __( 'WP User Manager', 'tagbridge' ),
		);
	}

	/**
	 * Prints the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to change TagBridge settings.', 'tagbridge' ), 403 );
		}
		$mapped = array();
		foreach ( $this->settings->get()['fields'] as $field ) {
			$mapped[ $field['key'] ] = $field;
		}
		$error = get_transient( self::ACTION . '_' . get_current_user_id() );
		delete_transient( self::ACTION . '_' . get_current_user_id() );
		echo '<div class="wrap"><h1>' . esc_html__( 'Contact Fields', 'tagbridge' ) . '</h1>';
		if ( is_string( $error ) && '' !== $error ) {
			echo '<div class="notice notice-error"><p>' . esc_html( $error ) . '</p></div>';
		}
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />';
		wp_nonce_field( self::ACTION );
		$headings = self::headings();
		foreach ( $this->discovery->available() as $source => $fields ) {
			if ( ! $fields ) {
				continue;
			}
			echo '<h2>' . esc_html( $headings[ $source ] ) . '</h2>';
			echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Sync', 'tagbridge' ) . '</th><th>' . esc_html__( 'Field', 'tagbridge' ) . '</th><th>' . esc_html__( 'CRM field', 'tagbridge' ) . '</th><th>' . esc_html__( 'Type', 'tagbridge' ) . '</th><th>' . esc_html__( 'Direction', 'tagbridge' ) . '</th></tr></thead><tbody>';
			foreach ( $fields as $key => $field ) {
				$this->render_row( $source, $key, $field, $mapped[ $key ] ?? null );
			}
			echo '</tbody></table>';
		}
		echo '<p class="submit"><button type="submit" class="button button-primary">' . esc_html__( 'Save fields', 'tagbridge' ) . '</button></p>';
		echo '</form></div>';
	}

	/**
	 * Prints one field's row.
	 *
	 * @param string     $source Heading.
	 * @param string     $key    WordPress key.
	 * @param array      $field  Discovered label and default type.
	 * @param array|null $mapped Current mapping.
	 */
	private function render_row( $source, $key, array $field, $mapped ) {
		$name = 'fields[' . $key . ']';
		$type = $mapped['type'] ?? $field['type'];
		$dir  = $mapped['direction'] ?? 'push';
		echo '<tr><td><input type="hidden" name="' . esc_attr( $name . '[source]' ) . '" value="' . esc_attr( $source ) . '" />';
		echo '<input type="checkbox" name="' . esc_attr( $name . '[enabled]' ) . '" value="1"' . checked( null !== $mapped, true, false ) . ' /></td>';
		echo '<td>' . esc_html( $field['label'] ) . '<br /><code>' . esc_html( $key ) . '</code></td>';
		echo '<td><input type="text" name="' . esc_attr( $name . '[crm_field]' ) . '" value="' . esc_attr( $mapped['crm_field'] ?? '' ) . '" /></td>';
		echo '<td><select name="' . esc_attr( $name . '[type]' ) . '">';
		foreach ( self::TYPES as $t ) {
			echo '<option value="' . esc_attr( $t ) . '"' . selected( $type, $t, false ) . '>' . esc_html( $t ) . '</option>';
		}
		echo '</select></td><td><select name="' . esc_attr( $name . '[direction]' ) . '">';
		foreach ( self::DIRECTIONS as $d ) {
			echo '<option value="' . esc_attr( $d ) . '"' . selected( $dir, $d, false ) . '>' . esc_html( $d ) . '</option>';
		}
		echo '</select></td></tr>';
	}

	/**
	 * admin-post handler: saves, then returns to the screen.
	 */
	public function handle() {
		$result = $this->save( wp_unslash( $_POST ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- save() verifies the nonce.
		if ( is_wp_error( $result ) ) {
			if ( 'tagbridge_forbidden' === $result->get_error_code() ) {
				wp_die( esc_html( $result->get_error_message() ), 403 );
			}
			set_transient( self::ACTION . '_' . get_current_user_id(), $result->get_error_message(), MINUTE_IN_SECONDS );
		}
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * Checks the nonce and capability, builds the field map from the posted rows and saves it.
	 * Mapped keys not listed on the screen (a plugin switched off) are kept.
	 *
	 * @param array $post Unslashed POST data.
	 * @return true|WP_Error
	 */
	public function save( array $post ) {
		if ( ! current_user_can( 'manage_options' ) || ! wp_verify_nonce( (string) ( $post['_wpnonce'] ?? '' ), self::ACTION ) ) {
			return new WP_Error( 'tagbridge_forbidden', __( 'The link has expired or you may not change TagBridge settings.', 'tagbridge' ), array( 'status' => 403 ) );
		}
		$rows     = isset( $post['fields'] ) && is_array( $post['fields'] ) ? $post['fields'] : array();
		$settings = $this->settings->get();
		$fields   = array();
		foreach ( $settings['fields'] as $field ) {
			if ( ! isset( $rows[ $field['key'] ] ) ) {
				$fields[] = $field;
			}
		}
		foreach ( $rows as $key => $row ) {
			if ( ! is_array( $row ) || empty( $row['enabled'] ) ) {
				continue;
			}
			$key      = sanitize_text_field( (string) $key );
			$crm      = sanitize_text_field( (string) ( $row['crm_field'] ?? '' ) );
			$fields[] = array(
				'key'       => $key,
				'crm_field' => '' === $crm ? $key : $crm,
				'type'      => sanitize_key( (string) ( $row['type'] ?? 'text' ) ),
				'direction' => sanitize_key( (string) ( $row['direction'] ?? 'push' ) ),
				'source'    => sanitize_key( (string) ( $row['source'] ?? 'other' ) ),
			);
		}
		$settings['fields'] = $fields;
		return $this->settings->update( $settings );
	}
}
