<?php
/**
 * Writes the role changes of many users with a few statements (the whole-site reconcile).
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

use TagBridge\Db\Sql;

defined( 'ABSPATH' ) || exit;

/**
 * WP_User::add_role() costs five queries a user; a reconcile that changes 50,000 users would spend
 * minutes there. This writes `{prefix}capabilities` and `{prefix}user_level` exactly as WP_User
 * would (denied capabilities kept, level from the roles' level_N capabilities), with one UPDATE per
 * page (and one more for the levels that change), inside one transaction, then clears the users'
 * meta caches and fires WordPress's own add_user_role / remove_user_role actions so other plugins
 * still hear of each change.
 */
final class BulkRoleWriter {

	/**
	 * Role watcher (paused while the role actions fire: these changes are TagBridge's own).
	 *
	 * @var RoleWatcher
	 */
	private $watcher;

	/**
	 * Builds the writer.
	 *
	 * @param RoleWatcher $watcher Role watcher.
	 */
	public function __construct( RoleWatcher $watcher ) {
		$this->watcher = $watcher;
	}

	/**
	 * Adds and removes roles.
	 *
	 * @param array<int, array{add: string[], remove: string[]}> $changes User id => roles to add and remove.
	 */
	public function write( array $changes ) {
		global $wpdb;
		if ( ! $changes ) {
			return;
		}
		$caps_key  = $wpdb->get_blog_prefix() . 'capabilities';
		$level_key = $wpdb->get_blog_prefix() . 'user_level';
		$keys      = Sql::value( $caps_key ) . ', ' . Sql::value( $level_key );
		$ids       = implode( ',', array_map( 'intval', array_keys( $changes ) ) );
		// Read and write in one transaction, the rows locked, so a profile saved meanwhile is not overwritten.
		$wpdb->query( 'START TRANSACTION' );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- integers and quoted keys only.
		$rows   = $wpdb->get_results( "SELECT user_id, meta_key, meta_value FROM {$wpdb->usermeta} WHERE meta_key IN ($keys) AND user_id IN ($ids) FOR UPDATE", ARRAY_N );
		$caps   = array();
		$stored = array();
		foreach ( $rows as $row ) {
			if ( $caps_key === $row[1] ) {
				$value                 = maybe_unserialize( $row[2] );
				$caps[ (int) $row[0] ] = is_array( $value ) ? $value : array();
			} else {
				$stored[ (int) $row[0] ] = $row[2];
			}
		}
		$levels    = self::role_levels();
		$caps_sql  = array();
		$level_sql = array();
		$level_new = array();
		$done      = array();
		foreach ( $changes as $id => $change ) {
			if ( ! isset( $caps[ $id ] ) ) {
				continue; // Deleted meanwhile, or not a member of this site.
			}
			$new = $caps[ $id ];
			foreach ( $change['add'] as $role ) {
				$new[ $role ] = true;
			}
			foreach ( $change['remove'] as $role ) {
				unset( $new[ $role ] );
			}
			$caps_sql[] = 'WHEN ' . (int) $id . ' THEN ' . Sql::value( serialize( $new ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize -- the format WordPress stores.
			$level      = (string) self::level( $new, $levels );
			// Most role changes leave the level as it was: rewriting the same value would cost an UPDATE per row.
			if ( ! isset( $stored[ $id ] ) ) {
				$level_new[] = Sql::tuple( array( (int) $id, $level_key, $level ) );
			} elseif ( $stored[ $id ] !== $level ) {
				$level_sql[ $id ] = 'WHEN ' . (int) $id . ' THEN ' . Sql::value( $level );
			}
			$done[ $id ] = $change;
		}
		if ( $done ) {
			// phpcs:disable WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- every value is quoted by Sql, ids are integers.
			$wpdb->query( "UPDATE {$wpdb->usermeta} SET meta_value = CASE user_id " . implode( ' ', $caps_sql ) . ' END WHERE meta_key = ' . Sql::value( $caps_key ) . ' AND user_id IN (' . implode( ',', array_keys( $done ) ) . ')' );
			if ( $level_sql ) {
				$wpdb->query( "UPDATE {$wpdb->usermeta} SET meta_value = CASE user_id " . implode( ' ', $level_sql ) . ' END WHERE meta_key = ' . Sql::value( $level_key ) . ' AND user_id IN (' . implode( ',', array_keys( $level_sql ) ) . ')' );
			}
			if ( $level_new ) {
				$wpdb->query( "INSERT INTO {$wpdb->usermeta} (user_id, meta_key, meta_value) VALUES " . implode( ',', $level_new ) );
			}
			// phpcs:enable
		}
		$wpdb->query( 'COMMIT' );
		if ( ! $done ) {
			return;
		}
		foreach ( array_keys( $done ) as $id ) {
			wp_cache_delete( $id, 'user_meta' ); // What update_user_meta() clears.
		}
		$this->watcher->pause(
			static function () use ( $done ) {
				foreach ( $done as $id => $change ) {
					foreach ( $change['add'] as $role ) {
						/** This action is documented in wp-includes/class-wp-user.php */
						do_action( 'add_user_role', $id, $role );
					}
					foreach ( $change['remove'] as $role ) {
						/** This action is documented in wp-includes/class-wp-user.php */
						do_action( 'remove_user_role', $id, $role );
					}
				}
			}
		);
	}

	/**
	 * The user level WordPress derives from capabilities (WP_User::get_role_caps() then
	 * update_user_level_from_caps()): the highest level_N among the keys of the user's capabilities
	 * and of every role named there, granted or not.
	 *
	 * @param array<string, bool> $caps   Capabilities meta (roles and direct capabilities).
	 * @param array<string, int>  $levels Level of each registered role (role_levels()).
	 * @return int
	 */
	private static function level( array $caps, array $levels ) {
		$level = self::highest_level( array_keys( $caps ) );
		foreach ( array_keys( $caps ) as $name ) {
			$level = max( $level, $levels[ $name ] ?? 0 );
		}
		return $level;
	}

	/**
	 * The level of each registered role, worked out once per page instead of once per user.
	 *
	 * @return array<string, int>
	 */
	private static function role_levels() {
		$levels = array();
		foreach ( wp_roles()->role_objects as $name => $role ) {
			$levels[ $name ] = self::highest_level( array_keys( $role->capabilities ) );
		}
		return $levels;
	}

	/**
	 * The highest N among level_N names; like WordPress, whatever the capability's value.
	 *
	 * @param array<int|string> $names Capability names.
	 * @return int
	 */
	private static function highest_level( array $names ) {
		$level = 0;
		foreach ( $names as $name ) {
			if ( preg_match( '/^level_(10|[0-9])$/i', (string) $name, $m ) ) {
				$level = max( $level, (int) $m[1] );
			}
		}
		return $level;
	}
}
