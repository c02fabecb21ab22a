<?php
/**
 * Replay protection shared by every PHP worker: a value (a signature, a nonce, a token id) is
 * accepted the first time only, for as long as it could still be valid.
 *
 * @package TagBridge
 */

namespace TagBridge\Security;

defined( 'ABSPATH' ) || exit;

/**
 * One table of hashed values with the time they were first seen. The INSERT is the atomic "first
 * time" test, so two workers racing with the same value cannot both accept it.
 */
final class SeenOnce {

	/**
	 * The table.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_seen_once';
	}

	/**
	 * CREATE TABLE for dbDelta.
	 *
	 * @return string
	 */
	public static function schema() {
		global $wpdb;
		$table = self::table();
		return "CREATE TABLE {$table} (
  value_hash char(64) NOT NULL,
  seen_at bigint(20) unsigned NOT NULL,
  PRIMARY KEY  (value_hash),
  KEY seen_at (seen_at)
) {$wpdb->get_charset_collate()};";
	}

	/**
	 * Records a value; false when it was seen before. Values older than `$keep` seconds are
	 * forgotten (they are refused by their timestamp anyway).
	 *
	 * @param string $scope What the value is (`webhook`, `site:{link}`), so scopes never collide.
	 * @param string $value The value.
	 * @param int    $now   Unix time.
	 * @param int    $keep  Seconds to remember values.
	 * @return bool
	 */
	public static function first_time( $scope, $value, $now, $keep ) {
		global $wpdb;
		$table = self::table();
		// phpcs:disable WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table.
		if ( 0 === wp_rand( 0, 49 ) ) {
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE seen_at < %d", $now - $keep ) );
		}
		$fresh = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (value_hash, seen_at) VALUES (%s, %d)", hash( 'sha256', $scope . "\0" . $value ), $now ) );
		// phpcs:enable
		return 1 === (int) $fresh;
	}
}
