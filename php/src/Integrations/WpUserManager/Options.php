<?php
/**
 * TagBridge's WP User Manager options (option `tagbridge_wp_user_manager`) and the WPUM settings
 * they depend on.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\WpUserManager;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Reads and validates `{defer: bool, form_tags: {form id: string[]}}`.
 */
final class Options {

	/** The option. */
	const OPTION = 'tagbridge_wp_user_manager';

	/**
	 * The stored options with defaults.
	 *
	 * @return array{defer: bool, form_tags: array<int, string[]>}
	 */
	public static function get() {
		$stored = get_option( self::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		return array(
			'defer'     => ! empty( $stored['defer'] ),
			'form_tags' => isset( $stored['form_tags'] ) && is_array( $stored['form_tags'] ) ? $stored['form_tags'] : array(),
		);
	}

	/**
	 * Validates and saves the whole options array. Nothing is saved on refusal.
	 *
	 * @param mixed $input `{defer: bool, form_tags: {form id: string[]}}`.
	 * @return true|WP_Error `tagbridge_invalid_wpum_options` naming the bad entry.
	 */
	public static function save( $input ) {
		if ( ! is_array( $input ) || array_diff( array_keys( $input ), array( 'defer', 'form_tags' ) ) ) {
			return self::refusal( __( 'WP User Manager options are an array with only the keys defer and form_tags.', 'tagbridge' ) );
		}
		$form_tags = $input['form_tags'] ?? array();
		if ( ! is_array( $form_tags ) ) {
			return self::refusal( __( 'form_tags must map registration form ids to lists of tags.', 'tagbridge' ) );
		}
		$clean = array();
		foreach ( $form_tags as $form_id => $tags ) {
			$tags = tagbridge_clean_tags( $tags );
			if ( ! is_int( $form_id ) || $form_id <= 0 || is_wp_error( $tags ) ) {
				/* translators: 1: registration form id, 2: what is wrong */
				return self::refusal( sprintf( __( 'Tags of registration form %1$s refused: %2$s', 'tagbridge' ), (string) $form_id, is_wp_error( $tags ) ? $tags->get_error_message() : __( 'not a form id.', 'tagbridge' ) ) );
			}
			if ( $tags ) {
				$clean[ $form_id ] = $tags;
			}
		}
		update_option(
			self::OPTION,
			array(
				'defer'     => ! empty( $input['defer'] ),
				'form_tags' => $clean,
			),
			true
		);
		return true;
	}

	/**
	 * Whether WPUM's User Verification add-on is configured: a verification method is chosen
	 * (key `user_verification_method` of WPUM's option `wpum_settings`, written by the add-on).
	 *
	 * @return bool
	 */
	public static function verification_configured() {
		$settings = get_option( 'wpum_settings', array() );
		return is_array( $settings ) && ! empty( $settings['user_verification_method'] );
	}

	/**
	 * A refusal.
	 *
	 * @param string $message What is wrong.
	 * @return WP_Error
	 */
	private static function refusal( $message ) {
		return new WP_Error( 'tagbridge_invalid_wpum_options', $message, array( 'status' => 400 ) );
	}
}
