<?php
/**
 * Reads a user's values of mapped keys: core user fields from the users table, anything else from
 * user meta, exactly as stored (the extension formats them).
 *
 * @package TagBridge
 */

namespace TagBridge\Fields;

defined( 'ABSPATH' ) || exit;

/**
 * Gathers field values of a user.
 */
final class UserFields {

	/** Columns of the users table (read from WP_User's data, not meta). */
	const USER_COLUMNS = array( 'user_login', 'user_email', 'user_url', 'user_registered', 'display_name', 'user_nicename' );

	/**
	 * The user's values of `$keys` (absent meta reads as '').
	 *
	 * @param int      $user_id User.
	 * @param string[] $keys    WordPress keys.
	 * @return array<string, mixed>|null Null when the user does not exist.
	 */
	public function read( $user_id, array $keys ) {
		$user = get_userdata( $user_id );
		if ( ! $user ) {
			return null;
		}
		$values = array();
		foreach ( $keys as $key ) {
			$values[ $key ] = in_array( $key, self::USER_COLUMNS, true )
				? (string) $user->data->$key
				: get_user_meta( $user_id, $key, true );
		}
		return $values;
	}

	/**
	 * The site's current offset from UTC in seconds, as the extension expects it.
	 *
	 * @return int
	 */
	public static function site_offset() {
		// What wp_timezone() answers, without building a zone for a plain UTC offset (it reads
		// timezone_string, then gmt_offset, whose filter reads timezone_string again).
		$zone = get_option( 'timezone_string' );
		if ( $zone ) {
			return (int) ( new \DateTimeZone( $zone ) )->getOffset( new \DateTimeImmutable( 'now' ) );
		}
		// wp_timezone_string() rounds the offset to whole minutes.
		return (int) round( (float) get_option( 'gmt_offset' ) * 60 ) * 60;
	}
}
