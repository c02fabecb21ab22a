<?php
/**
 * The tag store: one indexed row per (user, tag) in `{prefix}tagbridge_user_tags`.
 *
 * Every change is a single SQL statement per tag, so concurrent requests can never overwrite each
 * other's tags (serialized user meta, read-modify-write, loses them). "All users with tag X" is one
 * indexed query.
 *
 * @package TagBridge
 */

namespace TagBridge\Tags;

use TagBridge\Db\Sql;

defined( 'ABSPATH' ) || exit;

/**
 * Reads and writes users' tags. Knows nothing about roles or CRMs.
 */
final class TagStore {

	/**
	 * Rows this process has written (added or deleted) so far.
	 *
	 * @var int
	 */
	private $writes = 0;

	/**
	 * Whether add() and remove() use one statement with RETURNING; null finds out from the server.
	 *
	 * @var bool|null
	 */
	private $returning;

	/**
	 * Builds the store.
	 *
	 * @param bool|null $returning Use RETURNING (true), one statement per tag (false), or ask the
	 *                             server (null; tests pin each way).
	 */
	public function __construct( $returning = null ) {
		$this->returning = $returning;
	}

	/**
	 * How many tag rows this process has added or deleted so far: a caller that knows what it
	 * wrote can tell whether anything else (a listener of its announcement) wrote since.
	 *
	 * @return int
	 */
	public function writes() {
		return $this->writes;
	}

	/**
	 * Table name with prefix.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_user_tags';
	}

	/**
	 * The CREATE TABLE statement for dbDelta. Tags compare byte for byte (utf8mb4_bin): "Gold" and
	 * "gold" are two tags, exactly as the engine sees them.
	 *
	 * @return string
	 */
	public static function schema() {
		global $wpdb;
		$table = self::table();
		return "CREATE TABLE {$table} (
  user_id bigint(20) unsigned NOT NULL,
  tag varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  added_at datetime NOT NULL,
  PRIMARY KEY  (user_id,tag),
  KEY tag_user (tag,user_id)
) {$wpdb->get_charset_collate()};";
	}

	/**
	 * A user's tags, sorted.
	 *
	 * @param int $user_id User.
	 * @return string[]
	 */
	public function get( $user_id ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- our own table, one indexed read.
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- an integer.
		return $wpdb->get_col( 'SELECT tag FROM ' . self::table() . ' WHERE user_id = ' . (int) $user_id . ' ORDER BY tag' );
	}

	/**
	 * Adds tags; returns the ones that were new. The answer is exact even when another request
	 * adds the same tag at the same moment: on MariaDB one INSERT IGNORE … RETURNING names the rows
	 * this statement inserted; elsewhere one INSERT IGNORE per tag reports each.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags (already validated).
	 * @return string[] Newly added tags, in the order given.
	 */
	public function add( $user_id, array $tags ) {
		global $wpdb;
		$tags = array_values( array_unique( $tags ) );
		$now  = gmdate( 'Y-m-d H:i:s' ); // current_time( 'mysql', true ) without its two objects.
		if ( count( $tags ) > 1 && $this->returning() ) {
			$rows = array();
			foreach ( $tags as $tag ) {
				$rows[] = Sql::tuple( array( (int) $user_id, $tag, $now ) );
			}
			$added = $this->returned( 'INSERT IGNORE INTO ' . self::table() . ' (user_id, tag, added_at) VALUES ' . implode( ',', $rows ) . ' RETURNING tag', $tags );
		} else {
			$added = array();
			foreach ( $tags as $tag ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- each value is quoted by Sql.
				if ( 1 === $wpdb->query( 'INSERT IGNORE INTO ' . self::table() . ' (user_id, tag, added_at) VALUES ' . Sql::tuple( array( (int) $user_id, $tag, $now ) ) ) ) {
					$added[] = $tag;
				}
			}
		}
		$this->writes += count( $added );
		return $added;
	}

	/**
	 * Removes tags; returns the ones that were present (exact as add() is).
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags.
	 * @return string[] Removed tags, in the order given.
	 */
	public function remove( $user_id, array $tags ) {
		global $wpdb;
		$tags = array_values( array_unique( $tags ) );
		if ( count( $tags ) > 1 && $this->returning() ) {
			$removed = $this->returned( 'DELETE FROM ' . self::table() . ' WHERE user_id = ' . (int) $user_id . ' AND tag IN (' . implode( ',', array_map( array( Sql::class, 'value' ), $tags ) ) . ') RETURNING tag', $tags );
		} else {
			$removed = array();
			foreach ( $tags as $tag ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- each value is quoted by Sql.
				if ( $wpdb->query( 'DELETE FROM ' . self::table() . ' WHERE user_id = ' . (int) $user_id . ' AND tag = ' . Sql::value( $tag ) ) > 0 ) {
					$removed[] = $tag;
				}
			}
		}
		$this->writes += count( $removed );
		return $removed;
	}

	/**
	 * Runs a write … RETURNING tag and answers the given tags it returned.
	 *
	 * @param string   $sql  Statement, every value quoted by Sql.
	 * @param string[] $tags Tags the statement was about.
	 * @return string[]
	 */
	private function returned( $sql, array $tags ) {
		global $wpdb;
		// wpdb never reads the result of a statement that starts with INSERT or DELETE; one that
		// starts with a comment is read like a SELECT, so RETURNING's rows come back.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- each value is quoted by Sql.
		$returned = $wpdb->get_col( '/* tagbridge */ ' . $sql );
		return array_values( array_intersect( $tags, $returned ) );
	}

	/**
	 * Whether the database answers INSERT/DELETE … RETURNING (MariaDB 10.5 and later; MySQL never).
	 *
	 * @return bool
	 */
	private function returning() {
		if ( null === $this->returning ) {
			global $wpdb;
			$this->returning = (bool) preg_match( '/(\d+\.\d+)[.\d]*-MariaDB/i', (string) $wpdb->db_server_info(), $m ) && version_compare( $m[1], '10.5', '>=' );
		}
		return $this->returning;
	}

	/**
	 * Tags of the users with ids from $first to $last, in one range scan of the primary key.
	 *
	 * @param int $first Lowest user id.
	 * @param int $last  Highest user id.
	 * @return array<int, string[]> User id => tags, sorted (users without tags are absent).
	 */
	public function between( $first, $last ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT user_id, tag FROM ' . self::table() . ' WHERE user_id BETWEEN %d AND %d ORDER BY user_id, tag', $first, $last ), ARRAY_N );
		$out  = array();
		foreach ( $rows as $row ) {
			$out[ (int) $row[0] ][] = $row[1];
		}
		return $out;
	}

	/**
	 * Applies many (user, tag) pairs with one statement per 1,000 rows (a whole-site reconcile).
	 *
	 * @param array<int, array{0: int, 1: string}> $pairs (user id, tag) pairs.
	 */
	public function add_pairs( array $pairs ) {
		global $wpdb;
		$now = gmdate( 'Y-m-d H:i:s' );
		foreach ( array_chunk( $pairs, 1000 ) as $chunk ) {
			$values = array();
			foreach ( $chunk as $pair ) {
				$values[] = Sql::tuple( array( (int) $pair[0], $pair[1], $now ) );
			}
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- each value is quoted by Sql.
			$this->writes += (int) $wpdb->query( 'INSERT IGNORE INTO ' . self::table() . ' (user_id, tag, added_at) VALUES ' . implode( ',', $values ) );
		}
	}

	/**
	 * Removes many (user, tag) pairs with one statement per 1,000 rows.
	 *
	 * @param array<int, array{0: int, 1: string}> $pairs (user id, tag) pairs.
	 */
	public function remove_pairs( array $pairs ) {
		global $wpdb;
		foreach ( array_chunk( $pairs, 1000 ) as $chunk ) {
			$values = array();
			foreach ( $chunk as $pair ) {
				$values[] = Sql::tuple( array( (int) $pair[0], $pair[1] ) );
			}
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- each value is quoted by Sql.
			$this->writes += (int) $wpdb->query( 'DELETE FROM ' . self::table() . ' WHERE (user_id, tag) IN (' . implode( ',', $values ) . ')' );
		}
	}

	/**
	 * Tags in use on the site, for pickers (at most $limit, alphabetical).
	 *
	 * @param int $limit Most tags returned.
	 * @return string[]
	 */
	public function known( $limit = 500 ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- reads the (tag, user_id) index only.
		return $wpdb->get_col( $wpdb->prepare( 'SELECT DISTINCT tag FROM ' . self::table() . ' ORDER BY tag LIMIT %d', $limit ) );
	}

	/**
	 * Ids of the users having a tag (one indexed query).
	 *
	 * @param string $tag Tag.
	 * @return int[]
	 */
	public function users_with( $tag ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return array_map( 'intval', $wpdb->get_col( $wpdb->prepare( 'SELECT user_id FROM ' . self::table() . ' WHERE tag = %s ORDER BY user_id', $tag ) ) );
	}

	/**
	 * Forgets every tag of a user (the user was deleted).
	 *
	 * @param int $user_id User.
	 */
	public function forget_user( $user_id ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$this->writes += (int) $wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . ' WHERE user_id = %d', $user_id ) );
	}
}
