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
 * Facts of a page of users: roles and direct capabilities from one usermeta query, tags from one
 * indexed tag-table query. Building WP_User objects would cost a query or two per user.
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
	 * The next page of this site's user ids after $after_id, in id order.
	 *
	 * @param int $after_id Last id of the previous page (0 to start).
	 * @param int $limit    Page size.
	 * @return int[]
	 */
	public function next_ids( $after_id, $limit ) {
		global $wpdb;
		if ( is_multisite() ) {
			// Only members of this site: they are the users holding this site's capabilities meta.
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$ids = $wpdb->get_col( $wpdb->prepare( "SELECT user_id FROM {$wpdb->usermeta} WHERE meta_key = %s AND user_id > %d ORDER BY user_id LIMIT %d", $wpdb->get_blog_prefix() . 'capabilities', $after_id, $limit ) );
		} else {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$ids = $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->users} WHERE ID > %d ORDER BY ID LIMIT %d", $after_id, $limit ) );
		}
		return array_map( 'intval', $ids );
	}

	/**
	 * Facts for the planner, one entry per user id, in the order given.
	 *
	 * @param int[] $user_ids User ids.
	 * @return array<int, array{user_id: int, roles: string[], tags: string[], caps: string[], super_admin: bool}>
	 */
	public function facts( array $user_ids ) {
		global $wpdb;
		$ids = array_map( 'intval', $user_ids );
		if ( ! $ids ) {
			return array();
		}
		$wp_roles = wp_roles();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- integers only.
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT user_id, meta_value FROM {$wpdb->usermeta} WHERE meta_key = %s AND user_id IN (" . implode( ',', $ids ) . ')', $wpdb->get_blog_prefix() . 'capabilities' ), ARRAY_N );
		$caps = array();
		foreach ( $rows as $row ) {
			$value                   = maybe_unserialize( $row[1] );
			$caps[ (int) $row[0] ] = is_array( $value ) ? $value : array();
		}
		$tags   = $this->tags->get_many( $ids );
		$supers = is_multisite() ? $this->super_admin_ids( $ids ) : array();
		$out    = array();
		foreach ( $ids as $id ) {
			$roles  = array();
			$direct = array();
			foreach ( $caps[ $id ] ?? array() as $name => $granted ) {
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
			$out[] = array(
				'user_id'     => $id,
				'roles'       => $roles,
				'tags'        => $tags[ $id ] ?? array(),
				'caps'        => $direct,
				'super_admin' => isset( $supers[ $id ] ),
			);
		}
		return $out;
	}

	/**
	 * Which of these users are network super admins.
	 *
	 * @param int[] $ids User ids.
	 * @return array<int, true>
	 */
	private function super_admin_ids( array $ids ) {
		$out = array();
		foreach ( get_super_admins() as $login ) {
			$user = get_user_by( 'login', $login );
			if ( $user && in_array( (int) $user->ID, $ids, true ) ) {
				$out[ (int) $user->ID ] = true;
			}
		}
		return $out;
	}
}
