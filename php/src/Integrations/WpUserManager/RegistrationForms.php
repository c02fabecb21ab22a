<?php
/**
 * WP User Manager's registration forms, read as WPUM stores them: table
 * `{prefix}wpum_registration_forms` (`id`, `name`).
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\WpUserManager;

defined( 'ABSPATH' ) || exit;

/**
 * Lists registration forms and finds the form of a registration.
 */
final class RegistrationForms {

	/**
	 * Every registration form, id => name, in WPUM's order (the first is WPUM's default form).
	 *
	 * @return array<int, string>
	 */
	public function all() {
		global $wpdb;
		$table = $wpdb->prefix . 'wpum_registration_forms';
		if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) ) !== $table ) {
			return array();
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- WPUM's own table; no API reads it without WPUM.
		$rows  = $wpdb->get_results( "SELECT id, name FROM {$table} ORDER BY id", ARRAY_A );
		$forms = array();
		foreach ( (array) $rows as $row ) {
			$forms[ (int) $row['id'] ] = (string) $row['name'];
		}
		return $forms;
	}

	/**
	 * The id of the form passed to `wpum_after_registration` (a `WPUM_Registration_Form`), 0 when
	 * it is not one.
	 *
	 * @param mixed $form The hook's third argument.
	 * @return int
	 */
	public static function id_of( $form ) {
		return is_object( $form ) && method_exists( $form, 'get_ID' ) ? (int) $form->get_ID() : 0;
	}
}
