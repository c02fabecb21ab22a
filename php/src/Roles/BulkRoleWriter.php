<?php
/**
 * Writes the role changes of many users with a few statements (the whole-site reconcile).
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

defined( 'ABSPATH' ) || exit;

/**
 * WP_User::add_role() costs five queries a user; a reconcile that changes 50,000 users would spend
 * minutes there. This writes `{prefix}capabilities` and `{prefix}user_level` exactly as WP_User
 * would (denied capabilities kept, level from the roles' level_N capabilities), with one UPDATE per
 * page, inside one transaction, then clears the users' meta caches and fires WordPress's own
 * add_user_role / remove_user_role actions so other plugins still hear of each change.
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
		$ids       = implode( ',', array_map( 'intval', array_keys( $changes ) ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- integers only.
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT user_id, meta_value FROM {$wpdb->usermeta} WHERE meta_key = %s AND user_id IN ($ids)", $caps_key ), ARRAY_N );
		$caps = array();
		foreach ( $rows as $row ) {
			$value                   = maybe_unserialize( $row[1] );
			$caps[ (int) $row[0] ] = is_array( $value ) ? $value : array();
		}
		$caps_sql  = array();
		$level_sql = array();
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
			$caps_sql[]  = $wpdb->prepare( 'WHEN %d THEN %s', $id, serialize( $new ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize -- the format WordPress stores.
			$level_sql[] = $wpdb->prepare( 'WHEN %d THEN %s', $id, (string) self::level( $new ) );
			$done[ $id ] = $change;
		}
		if ( ! $done ) {
			return;
		}
		$in = implode( ',', array_keys( $done ) );
		$wpdb->query( 'START TRANSACTION' );
		// phpcs:disable WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- every WHEN is prepared above, ids are integers.
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->usermeta} SET meta_value = CASE user_id " . implode( ' ', $caps_sql ) . " END WHERE meta_key = %s AND user_id IN ($in)", $caps_key ) );
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->usermeta} SET meta_value = CASE user_id " . implode( ' ', $level_sql ) . " END WHERE meta_key = %s AND user_id IN ($in)", $level_key ) );
		// phpcs:enable
		$wpdb->query( 'COMMIT' );
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
	 * The user level WordPress derives from capabilities (WP_User::update_user_level_from_caps()).
	 *
	 * @param array<string, bool> $caps Capabilities meta (roles and direct capabilities).
	 * @return int
	 */
	private static function level( array $caps ) {
		$wp_roles = wp_roles();
		$all      = array();
		foreach ( $caps as $name => $granted ) {
			if ( $granted && $wp_roles->is_role( $name ) ) {
				$all = array_merge( $all, $wp_roles->get_role( $name )->capabilities );
			}
		}
		$all   = array_merge( $all, $caps );
		$level = 0;
		// Like WordPress, every level_N key counts, whatever its value.
		foreach ( array_keys( $all ) as $cap ) {
			if ( preg_match( '/^level_(10|[0-9])$/i', (string) $cap, $m ) ) {
				$level = max( $level, (int) $m[1] );
			}
		}
		return $level;
	}
}
