<?php
/**
 * TagBridge's Ultimate Member settings: the general settings (pull on profile load and its
 * freshness window, defer until activation, deactivation tag) and the per-role Profile
 * Completeness tags. Kept in TagBridge's own options, not in UM's role meta, because UM replaces
 * a role's whole meta option on every save of its role screen (pitfall 20).
 *
 * Role links are not here: they are TagBridge's role links (SettingsStore), with the same
 * semantics whichever screen sets them.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Validated storage of the UM settings.
 */
final class Options {

	/** Option holding the general settings. */
	const OPTION = 'tagbridge_ultimate_member';

	/** Option holding role slug => Profile Completeness tags. */
	const COMPLETE_TAGS_OPTION = 'tagbridge_um_complete_tags';

	/** Shortest and longest freshness window of the profile pull, in minutes. */
	const MIN_WINDOW = 1;
	const MAX_WINDOW = 10080;

	/**
	 * The defaults.
	 *
	 * @return array{pull: bool, pull_window: int, defer: bool, deactivation_tag: string}
	 */
	public static function defaults() {
		return array(
			'pull'             => false,
			'pull_window'      => 15,
			'defer'            => false,
			'deactivation_tag' => '',
		);
	}

	/**
	 * The general settings, with defaults.
	 *
	 * @return array{pull: bool, pull_window: int, defer: bool, deactivation_tag: string}
	 */
	public function get() {
		$stored = get_option( self::OPTION, array() );
		return array_merge( self::defaults(), array_intersect_key( is_array( $stored ) ? $stored : array(), self::defaults() ) );
	}

	/**
	 * Validates and saves the general settings; nothing is saved on refusal.
	 *
	 * @param mixed $input `{pull, pull_window, defer, deactivation_tag}` (missing keys keep their value).
	 * @return true|WP_Error `tagbridge_invalid_um_settings` naming the bad key.
	 */
	public function save( $input ) {
		if ( ! is_array( $input ) ) {
			return self::invalid( '', __( 'The Ultimate Member settings must be an array.', 'tagbridge' ) );
		}
		$unknown = array_diff( array_keys( $input ), array_keys( self::defaults() ) );
		if ( $unknown ) {
			/* translators: %s: the unknown key */
			return self::invalid( (string) reset( $unknown ), sprintf( __( 'Unknown Ultimate Member setting %s.', 'tagbridge' ), (string) reset( $unknown ) ) );
		}
		$settings = array_merge( $this->get(), $input );
		foreach ( array( 'pull', 'defer' ) as $key ) {
			if ( ! is_bool( $settings[ $key ] ) ) {
				/* translators: %s: the setting's key */
				return self::invalid( $key, sprintf( __( '%s must be true or false.', 'tagbridge' ), $key ) );
			}
		}
		$window = $settings['pull_window'];
		if ( ! is_int( $window ) || $window < self::MIN_WINDOW || $window > self::MAX_WINDOW ) {
			/* translators: 1: shortest window, 2: longest window (minutes) */
			return self::invalid( 'pull_window', sprintf( __( 'The freshness window must be a whole number of minutes from %1$d to %2$d.', 'tagbridge' ), self::MIN_WINDOW, self::MAX_WINDOW ) );
		}
		$tag = self::clean_tags( array( $settings['deactivation_tag'] ) );
		if ( is_wp_error( $tag ) ) {
			return self::invalid( 'deactivation_tag', $tag->get_error_message() );
		}
		$settings['deactivation_tag'] = $tag ? $tag[0] : '';
		update_option( self::OPTION, $settings );
		return true;
	}

	/**
	 * Profile Completeness tags of a role.
	 *
	 * @param string $role Role slug.
	 * @return string[]
	 */
	public function complete_tags( $role ) {
		$all = get_option( self::COMPLETE_TAGS_OPTION, array() );
		return is_array( $all ) && isset( $all[ $role ] ) && is_array( $all[ $role ] ) ? $all[ $role ] : array();
	}

	/**
	 * Sets a role's Profile Completeness tags (empty list: none).
	 *
	 * @param string   $role Role slug.
	 * @param string[] $tags Tags.
	 * @return true|WP_Error
	 */
	public function set_complete_tags( $role, $tags ) {
		if ( ! is_string( $role ) || ! get_role( $role ) ) {
			return self::invalid( 'role', __( 'No such role.', 'tagbridge' ) );
		}
		$tags = self::clean_tags( $tags );
		if ( is_wp_error( $tags ) ) {
			return self::invalid( 'complete_tags', $tags->get_error_message() );
		}
		$all = get_option( self::COMPLETE_TAGS_OPTION, array() );
		$all = is_array( $all ) ? $all : array();
		if ( $tags ) {
			$all[ $role ] = $tags;
		} else {
			unset( $all[ $role ] );
		}
		update_option( self::COMPLETE_TAGS_OPTION, $all );
		return true;
	}

	/**
	 * Checks a list of tags ('' entries are dropped).
	 *
	 * @param mixed $tags Tags.
	 * @return string[]|WP_Error
	 */
	public static function clean_tags( $tags ) {
		if ( ! is_array( $tags ) ) {
			return new WP_Error( 'tagbridge_invalid_tags', __( 'Tags must be a list of strings.', 'tagbridge' ) );
		}
		$clean = array();
		foreach ( $tags as $tag ) {
			if ( ! is_string( $tag ) || wp_check_invalid_utf8( $tag ) !== $tag || strlen( trim( $tag ) ) > 191 ) {
				return new WP_Error( 'tagbridge_invalid_tags', __( 'Tags must be UTF-8 strings of at most 191 bytes.', 'tagbridge' ) );
			}
			if ( '' !== trim( $tag ) ) {
				$clean[] = trim( $tag );
			}
		}
		return array_values( array_unique( $clean ) );
	}

	/**
	 * Splits a comma-separated text field into tags.
	 *
	 * @param string $text Posted text (already unslashed).
	 * @return string[]|WP_Error
	 */
	public static function tags_from_text( $text ) {
		return self::clean_tags( explode( ',', sanitize_text_field( (string) $text ) ) );
	}

	/**
	 * Removes what the UM integration stored (plugin uninstall).
	 */
	public static function uninstall() {
		delete_option( self::OPTION );
		delete_option( self::COMPLETE_TAGS_OPTION );
		delete_metadata( 'post', 0, RegistrationTags::META, '', true );
		foreach ( array( Deferral::TAGS_META, ProfilePull::PULLED_META, ProfileCompleteness::DONE_META, \TagBridge\Outbox\Outbox::HOLD_META ) as $key ) {
			delete_metadata( 'user', 0, $key, '', true );
		}
	}

	/**
	 * A refusal.
	 *
	 * @param string $key     Bad key.
	 * @param string $message Message.
	 * @return WP_Error
	 */
	private static function invalid( $key, $message ) {
		return new WP_Error( 'tagbridge_invalid_um_settings', $message, array( 'status' => 400, 'key' => $key ) );
	}
}
