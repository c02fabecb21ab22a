<?php
/**
 * Gathers the planner's facts for many users with a fixed number of queries.
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

use TagBridge\Tags\TagStore;

defined( 'ABSPATH' ) || exit;

/**
 * Facts of a page of users: capabilities meta from one query, tags from one indexed range scan.
 * Building WP_User objects would cost a query or two per user.
 */
final class FactsBatch {

	/**
	 * Tag store.
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Builds the reader.
	 *
	 * @param TagStore $tags Tag store.
	 */
	public function __construct( TagStore $tags ) {
		$this->tags = $tags;
	}

	/**
	 * Facts of the next page of this site's users after $after_id, in id order, one entry per user.
	 *
	 * One query gives the page's ids with their capabilities meta, and one range scan their tags:
	 * fetching the ids apart costs a query and a wpdb call per row, and an IN list of more than
	 * 1,000 ids is turned by MariaDB into a temporary table joined row by row. The meta is handed
	 * to the extension as stored (`capabilities`), which reads it faster than unserialize() and a
	 * split in PHP; for a page it refuses, unserialized() gives the same facts the PHP way.
	 *
	 * @param int $after_id Last id of the previous page (0 to start).
	 * @param int $limit    Page size.
	 * @return array<int, array{user_id: int, capabilities?: string, tags: string[], super_admin: bool}>
	 */
	public function page( $after_id, $limit ) {
		global $wpdb;
		$caps_key = $wpdb->get_blog_prefix() . 'capabilities';
		if ( is_multisite() ) {
			// Only members of this site: they are the users holding this site's capabilities meta.
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT user_id, meta_value FROM {$wpdb->usermeta} WHERE meta_key = %s AND user_id > %d ORDER BY user_id LIMIT %d", $caps_key, $after_id, $limit ), ARRAY_N );
		} else {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT u.ID, m.meta_value FROM {$wpdb->users} u LEFT JOIN {$wpdb->usermeta} m ON m.user_id = u.ID AND m.meta_key = %s WHERE u.ID > %d ORDER BY u.ID LIMIT %d", $caps_key, $after_id, $limit ), ARRAY_N );
		}
		if ( ! $rows ) {
			return array();
		}
		$first  = (int) reset( $rows )[0];
		$last   = (int) end( $rows )[0];
		$tags   = $this->tags->between( $first, $last );
		$supers = is_multisite() ? $this->super_admin_ids( $first, $last ) : array();
		$out    = array();
		foreach ( $rows as $row ) {
			$id         = (int) $row[0];
			$out[ $id ] = array(
				'user_id'     => $id,
				'tags'        => $tags[ $id ] ?? array(),
				'super_admin' => isset( $supers[ $id ] ),
			);
			if ( null !== $row[1] ) { // Null: no capabilities meta, so nothing held.
				$out[ $id ]['capabilities'] = $row[1];
			}
		}
		return array_values( $out );
	}

	/**
	 * The same facts with each user's capabilities meta unserialized and split into `roles` and
	 * `caps` in PHP, for a page the extension refused to read.
	 *
	 * @param array[] $facts Facts from page().
	 * @return array<int, array{user_id: int, roles: string[], tags: string[], caps: string[], super_admin: bool}>
	 */
	public function unserialized( array $facts ) {
		$wp_roles = wp_roles();
		foreach ( $facts as $i => $user ) {
			$value  = maybe_unserialize( $user['capabilities'] ?? '' );
			$roles  = array();
			$direct = array();
			foreach ( is_array( $value ) ? $value : array() as $name => $granted ) {
				if ( ! $granted ) {
					continue;
				}
				// The same split WP_User makes: keys naming a registered role are roles.
				if ( $wp_roles->is_role( $name ) ) {
					$roles[] = (string) $name;
				} else {
					$direct[] = (string) $name;
				}
			}
			unset( $user['capabilities'] );
			$facts[ $i ] = $user + array(
				'roles' => $roles,
				'caps'  => $direct,
			);
		}
		return $facts;
	}

	/**
	 * Which users with ids from $first to $last are network super admins.
	 *
	 * @param int $first Lowest user id.
	 * @param int $last  Highest user id.
	 * @return array<int, true>
	 */
	private function super_admin_ids( $first, $last ) {
		$out = array();
		foreach ( get_super_admins() as $login ) {
			$user = get_user_by( 'login', $login );
			if ( $user && $user->ID >= $first && $user->ID <= $last ) {
				$out[ (int) $user->ID ] = true;
			}
		}
		return $out;
	}
}
