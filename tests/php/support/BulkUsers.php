<?php
/**
 * Creates and removes many real WordPress users quickly, for tests and benchmarks of whole-site
 * work: rows go into the real users, usermeta and tag tables with multi-row INSERTs, shaped exactly
 * as wp_insert_user() stores them (login, email, `{prefix}capabilities`, `{prefix}user_level`).
 * wp_insert_user() costs a few milliseconds a user, so 100,000 users would take minutes.
 */

namespace TagBridge\Tests;

use TagBridge\Tags\TagStore;

final class BulkUsers {

	/**
	 * Creates $count users whose logins start with $prefix.
	 *
	 * @param string   $prefix   Login prefix (unique to the caller, so remove() finds them).
	 * @param int      $count    Number of users.
	 * @param callable $roles_of fn( int $i ): string[] roles of the i-th user.
	 * @param callable $tags_of  fn( int $i ): string[] tags of the i-th user.
	 * @return int[] The new user ids, in creation order.
	 */
	public static function create( string $prefix, int $count, callable $roles_of, callable $tags_of ): array {
		global $wpdb;
		$caps_key  = $wpdb->get_blog_prefix() . 'capabilities';
		$level_key = $wpdb->get_blog_prefix() . 'user_level';
		$now       = gmdate( 'Y-m-d H:i:s' );
		$ids       = array();
		for ( $start = 0; $start < $count; $start += 1000 ) {
			$end  = min( $count, $start + 1000 );
			$rows   = array();
			$logins = array();
			for ( $i = $start; $i < $end; $i++ ) {
				$login    = $prefix . $i;
				$logins[] = $wpdb->prepare( '%s', $login );
				$rows[]   = $wpdb->prepare( '(%s, %s, %s, %s, %s, %s)', $login, '*', $login, $login . '@example.test', $now, $login );
			}
			$wpdb->query( "INSERT INTO {$wpdb->users} (user_login, user_pass, user_nicename, user_email, user_registered, display_name) VALUES " . implode( ',', $rows ) );
			$batch = array_map( 'intval', $wpdb->get_col( "SELECT ID FROM {$wpdb->users} WHERE user_login IN (" . implode( ',', $logins ) . ') ORDER BY ID' ) );
			$meta  = array();
			$pairs = array();
			foreach ( $batch as $k => $id ) {
				$i      = $start + $k;
				$caps   = array_fill_keys( $roles_of( $i ), true );
				$meta[] = $wpdb->prepare( '(%d, %s, %s)', $id, $caps_key, serialize( $caps ) );
				$meta[] = $wpdb->prepare( '(%d, %s, %s)', $id, $level_key, '0' );
				foreach ( $tags_of( $i ) as $tag ) {
					$pairs[] = array( $id, $tag );
				}
			}
			$wpdb->query( "INSERT INTO {$wpdb->usermeta} (user_id, meta_key, meta_value) VALUES " . implode( ',', $meta ) );
			( new TagStore() )->add_pairs( $pairs );
			$ids = array_merge( $ids, $batch );
		}
		return $ids;
	}

	/**
	 * Removes every user whose login starts with $prefix, with their meta and tags.
	 */
	public static function remove( string $prefix ): void {
		global $wpdb;
		$ids = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->users} WHERE user_login LIKE %s", $wpdb->esc_like( $prefix ) . '%' ) ) );
		foreach ( array_chunk( $ids, 5000 ) as $chunk ) {
			$in = implode( ',', $chunk );
			$wpdb->query( "DELETE FROM {$wpdb->usermeta} WHERE user_id IN ($in)" );
			$wpdb->query( 'DELETE FROM ' . TagStore::table() . " WHERE user_id IN ($in)" );
			$wpdb->query( "DELETE FROM {$wpdb->users} WHERE ID IN ($in)" );
		}
		wp_cache_flush();
	}
}
