<?php
/**
 * The durable outbox: every outgoing CRM change is a row in `{prefix}tagbridge_outbox` before
 * anything is sent, so a request that dies or a CRM that is down loses nothing.
 *
 * Claiming is per user, through a row in `{prefix}tagbridge_outbox_claims` whose primary key is the
 * user id: the INSERT either creates it (this drainer owns the user) or does nothing (another one
 * does). Owning the user, not single rows, is what keeps one contact's deliveries in order while
 * several PHP workers drain at once. A claim older than the lease is taken to belong to a dead
 * worker and is dropped; delivery is idempotent, so re-sending its rows is safe.
 *
 * @package TagBridge
 */

namespace TagBridge\Outbox;

use TagBridge\Db\Sql;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Storage, claiming and the from-CRM scope.
 */
final class Outbox {

	/** Seconds after which a claim is considered abandoned by a dead worker. */
	const LEASE = 600;

	/** Most rows of one user delivered (coalesced) at once. */
	const MAX_ROWS_PER_USER = 1000;

	/** User meta marking a held user (Unix time of the hold): their rows wait until released. */
	const HOLD_META = '_tagbridge_outbox_hold';

	/**
	 * Nesting depth of from_crm() scopes.
	 *
	 * @var int
	 */
	private $from_crm = 0;

	/**
	 * Users who got a change in this request (for end-of-request delivery).
	 *
	 * @var array<int, true>
	 */
	private $touched = array();

	/**
	 * Outbox table.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_outbox';
	}

	/**
	 * Claims table.
	 *
	 * @return string
	 */
	public static function claims_table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_outbox_claims';
	}

	/**
	 * CREATE TABLE statements for dbDelta.
	 *
	 * @return string[]
	 */
	public static function schema() {
		global $wpdb;
		$charset = $wpdb->get_charset_collate();
		$table   = self::table();
		$claims  = self::claims_table();
		return array(
			"CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned NOT NULL,
  payload longtext NOT NULL,
  status varchar(10) NOT NULL DEFAULT 'pending',
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  due_at bigint(20) unsigned NOT NULL DEFAULT 0,
  reason varchar(64) NOT NULL DEFAULT '',
  last_error text NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (id),
  KEY status_user (status,user_id,due_at)
) {$charset};",
			"CREATE TABLE {$claims} (
  user_id bigint(20) unsigned NOT NULL,
  token char(32) NOT NULL,
  claimed_at bigint(20) unsigned NOT NULL,
  PRIMARY KEY  (user_id)
) {$charset};",
		);
	}

	/**
	 * Runs $work as the result of a CRM event (a webhook, a pull): whatever it changes on the site
	 * is not sent back to the CRM, so a change never echoes.
	 *
	 * @param callable $work Work to run.
	 * @return mixed What $work returns.
	 */
	public function from_crm( callable $work ) {
		++$this->from_crm;
		try {
			return $work();
		} finally {
			--$this->from_crm;
		}
	}

	/**
	 * Whether the code running now is inside from_crm().
	 *
	 * @return bool
	 */
	public function is_from_crm() {
		return $this->from_crm > 0;
	}

	/**
	 * Stores one outgoing change for a user. Nothing is sent here; the runner delivers it.
	 *
	 * @param int   $user_id User.
	 * @param array $change  `{fields?: array<string, mixed>, apply_tags?: string[], remove_tags?: string[]}`.
	 * @return int|WP_Error The row id; 0 when nothing was stored (empty change, or inside from_crm()).
	 */
	public function enqueue( $user_id, $change ) {
		$clean = self::validate( $user_id, $change );
		if ( is_wp_error( $clean ) ) {
			return $clean;
		}
		if ( $this->is_from_crm() || ( ! $clean['fields'] && ! $clean['apply_tags'] && ! $clean['remove_tags'] ) ) {
			return 0;
		}
		global $wpdb;
		// Unescaped slashes: a payload without quotes or backslashes needs no escaping to be an SQL literal.
		$payload = wp_json_encode( $clean, JSON_UNESCAPED_SLASHES );
		// One plain INSERT (wpdb::insert() checks each column's charset and length first: this runs
		// at the end of every registration). The payload is valid UTF-8 JSON or false.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- the outbox is its own table; each value is quoted by Sql.
		$ok = false !== $payload && $wpdb->query( 'INSERT INTO ' . self::table() . ' (user_id, payload, status, due_at, created_at) VALUES ' . Sql::tuple( array( (int) $user_id, $payload, 'pending', time(), gmdate( 'Y-m-d H:i:s' ) ) ) );
		if ( ! $ok ) {
			return new WP_Error( 'tagbridge_outbox_write_failed', __( 'The change could not be stored in the outbox.', 'tagbridge' ) );
		}
		$this->touched[ (int) $user_id ] = true;
		return (int) $wpdb->insert_id;
	}

	/**
	 * Checks and normalises a change.
	 *
	 * @param mixed $user_id User id.
	 * @param mixed $change  Change.
	 * @return array|WP_Error
	 */
	private static function validate( $user_id, $change ) {
		// A users row in the object cache (every user this request has read) answers the existence
		// question without building a WP_User.
		if ( ! is_int( $user_id ) || $user_id <= 0 || ( false === wp_cache_get( $user_id, 'users' ) && ! get_userdata( $user_id ) ) ) {
			return new WP_Error( 'tagbridge_unknown_user', __( 'No such user.', 'tagbridge' ) );
		}
		if ( ! is_array( $change ) || array_diff( array_keys( $change ), array( 'fields', 'apply_tags', 'remove_tags' ) ) ) {
			return new WP_Error( 'tagbridge_invalid_change', __( 'A change is an array with only the keys fields, apply_tags and remove_tags.', 'tagbridge' ) );
		}
		$fields = $change['fields'] ?? array();
		if ( ! is_array( $fields ) ) {
			return new WP_Error( 'tagbridge_invalid_change', __( 'fields must be an array of CRM field => value.', 'tagbridge' ) );
		}
		foreach ( $fields as $key => $value ) {
			if ( ! is_string( $key ) || '' === trim( $key ) || strlen( $key ) > 191 || ! ( is_scalar( $value ) || null === $value || is_array( $value ) ) ) {
				/* translators: %s: the CRM field name */
				return new WP_Error( 'tagbridge_invalid_change', sprintf( __( 'Field %s must have a non-numeric name and a plain value.', 'tagbridge' ), (string) $key ) );
			}
		}
		$lists = array();
		foreach ( array( 'apply_tags', 'remove_tags' ) as $key ) {
			$tags = $change[ $key ] ?? array();
			if ( ! is_array( $tags ) ) {
				return new WP_Error( 'tagbridge_invalid_change', __( 'Tags must be arrays of strings.', 'tagbridge' ) );
			}
			foreach ( $tags as $tag ) {
				if ( ! is_string( $tag ) || '' === trim( $tag ) || strlen( trim( $tag ) ) > 191 || ! wp_check_invalid_utf8( $tag ) ) {
					return new WP_Error( 'tagbridge_invalid_change', __( 'Tags must be non-empty UTF-8 strings of at most 191 bytes.', 'tagbridge' ) );
				}
			}
			$lists[ $key ] = array_values( array_unique( array_map( 'trim', $tags ) ) );
		}
		if ( array_intersect( $lists['apply_tags'], $lists['remove_tags'] ) ) {
			return new WP_Error( 'tagbridge_invalid_change', __( 'One change cannot both apply and remove a tag.', 'tagbridge' ) );
		}
		return array(
			'fields'      => $fields,
			'apply_tags'  => $lists['apply_tags'],
			'remove_tags' => $lists['remove_tags'],
		);
	}

	/**
	 * Users who got a change in this request, and forgets them.
	 *
	 * @return int[]
	 */
	public function take_touched() {
		$users         = array_keys( $this->touched );
		$this->touched = array();
		return $users;
	}

	/**
	 * Users whose pending rows are all due, oldest first (a user with a row waiting out a backoff
	 * waits as a whole, so later changes never overtake earlier ones). Held users are left out.
	 *
	 * @param int      $now   Unix time.
	 * @param int      $limit Most users.
	 * @param int[]|null $only  Restrict to these users.
	 * @return int[]
	 */
	public function due_users( $now, $limit, $only = null ) {
		global $wpdb;
		$where = '';
		if ( null !== $only ) {
			$only = array_map( 'intval', $only );
			if ( ! $only ) {
				return array();
			}
			$where = ' AND user_id IN (' . implode( ',', $only ) . ')';
		}
		$where .= self::not_held();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- ids are intval'd above.
		$ids = $wpdb->get_col( $wpdb->prepare( 'SELECT user_id FROM ' . self::table() . " WHERE status = 'pending'{$where} GROUP BY user_id HAVING MAX(due_at) <= %d ORDER BY MIN(id) LIMIT %d", $now, $limit ) );
		return array_map( 'intval', $ids );
	}

	/**
	 * Claims a user for this worker, or returns null when another worker holds them.
	 *
	 * @param int $user_id User.
	 * @param int $now     Unix time.
	 * @return string|null Claim token.
	 */
	public function claim( $user_id, $now ) {
		global $wpdb;
		$token = bin2hex( random_bytes( 16 ) );
		// phpcs:disable WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::claims_table() . ' WHERE user_id = %d AND claimed_at < %d', $user_id, $now - self::LEASE ) );
		$rows = $wpdb->query( $wpdb->prepare( 'INSERT IGNORE INTO ' . self::claims_table() . ' (user_id, token, claimed_at) VALUES (%d, %s, %d)', $user_id, $token, $now ) );
		// phpcs:enable
		return 1 === $rows ? $token : null;
	}

	/**
	 * Releases a claim (only the holder's own token releases it).
	 *
	 * @param int    $user_id User.
	 * @param string $token   Claim token.
	 */
	public function release_claim( $user_id, $token ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::claims_table() . ' WHERE user_id = %d AND token = %s', $user_id, $token ) );
	}

	/**
	 * Holds a user: their rows are kept but not delivered (the runner skips them) until release().
	 * Durable across requests (user meta, so it goes with the user).
	 *
	 * @param int $user_id User.
	 * @return bool False for an unknown user.
	 */
	public function hold( $user_id ) {
		if ( ! get_userdata( (int) $user_id ) ) {
			return false;
		}
		update_user_meta( (int) $user_id, self::HOLD_META, time() );
		return true;
	}

	/**
	 * Whether a user is held.
	 *
	 * @param int $user_id User.
	 * @return bool
	 */
	public function is_held( $user_id ) {
		return (bool) get_user_meta( (int) $user_id, self::HOLD_META, true );
	}

	/**
	 * Lifts a user's hold: their kept rows are delivered at the end of this request (or by the
	 * background runner), coalesced like any others.
	 *
	 * @param int $user_id User.
	 */
	public function release( $user_id ) {
		delete_user_meta( (int) $user_id, self::HOLD_META );
		$this->touched[ (int) $user_id ] = true;
	}

	/**
	 * Deletes every row of a user that has not been delivered (pending or parked). A hold stays.
	 *
	 * @param int $user_id User.
	 * @return int Rows deleted.
	 */
	public function discard( $user_id ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . ' WHERE user_id = %d', $user_id ) );
	}

	/**
	 * SQL condition leaving out held users' rows.
	 *
	 * @return string
	 */
	private static function not_held() {
		global $wpdb;
		return " AND user_id NOT IN (SELECT user_id FROM {$wpdb->usermeta} WHERE meta_key = '" . self::HOLD_META . "')";
	}

	/**
	 * A claimed user's pending rows, oldest first, with decoded changes.
	 *
	 * @param int $user_id User.
	 * @return array<int, array{id: int, attempts: int, due_at: int, change: array}>
	 */
	public function pending_rows( $user_id ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT id, attempts, due_at, payload FROM ' . self::table() . " WHERE user_id = %d AND status = 'pending' ORDER BY id LIMIT %d", $user_id, self::MAX_ROWS_PER_USER ), ARRAY_A );
		$out  = array();
		foreach ( $rows as $row ) {
			$change = json_decode( $row['payload'], true );
			$out[]  = array(
				'id'       => (int) $row['id'],
				'attempts' => (int) $row['attempts'],
				'due_at'   => (int) $row['due_at'],
				'change'   => is_array( $change ) ? $change : array(),
			);
		}
		return $out;
	}

	/**
	 * Deletes delivered rows.
	 *
	 * @param int[] $ids Row ids.
	 */
	public function complete( array $ids ) {
		$this->update_rows( $ids, 'DELETE FROM ' . self::table() );
	}

	/**
	 * Schedules rows for another attempt.
	 *
	 * @param int[]  $ids      Row ids.
	 * @param int    $attempts Attempts made so far.
	 * @param int    $due_at   Next attempt (Unix time).
	 * @param string $error    What went wrong.
	 */
	public function reschedule( array $ids, $attempts, $due_at, $error ) {
		global $wpdb;
		$this->update_rows( $ids, $wpdb->prepare( 'UPDATE ' . self::table() . ' SET attempts = %d, due_at = %d, last_error = %s', $attempts, $due_at, $error ) );
	}

	/**
	 * Parks rows: no more attempts until someone retries them.
	 *
	 * @param int[]  $ids      Row ids.
	 * @param int    $attempts Attempts made so far.
	 * @param string $reason   Reason code.
	 * @param string $error    What went wrong.
	 */
	public function park( array $ids, $attempts, $reason, $error ) {
		global $wpdb;
		$this->update_rows( $ids, $wpdb->prepare( 'UPDATE ' . self::table() . " SET status = 'parked', attempts = %d, reason = %s, last_error = %s", $attempts, $reason, $error ) );
	}

	/**
	 * Puts parked rows back in line, due now, with a fresh attempt count.
	 *
	 * @param int[]|null $ids Row ids, or null for every parked row.
	 * @return int Rows requeued.
	 */
	public function requeue( $ids = null ) {
		global $wpdb;
		$sql = $wpdb->prepare( 'UPDATE ' . self::table() . " SET status = 'pending', attempts = 0, reason = '', due_at = %d WHERE status = 'parked'", time() );
		if ( null !== $ids ) {
			$ids = array_filter( array_map( 'intval', $ids ) );
			if ( ! $ids ) {
				return 0;
			}
			$sql .= ' AND id IN (' . implode( ',', $ids ) . ')';
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- prepared above, ids intval'd.
		return (int) $wpdb->query( $sql );
	}

	/**
	 * Runs "$sql WHERE id IN (...)".
	 *
	 * @param int[]  $ids Row ids.
	 * @param string $sql Statement up to WHERE.
	 */
	private function update_rows( array $ids, $sql ) {
		global $wpdb;
		$ids = array_map( 'intval', $ids );
		if ( $ids ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- ids intval'd.
			$wpdb->query( $sql . ' WHERE id IN (' . implode( ',', $ids ) . ')' );
		}
	}

	/**
	 * Row counts by status.
	 *
	 * @return array{pending: int, parked: int}
	 */
	public function counts() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( 'SELECT status, COUNT(*) AS n FROM ' . self::table() . ' GROUP BY status', ARRAY_A );
		$out  = array(
			'pending' => 0,
			'parked'  => 0,
		);
		foreach ( $rows as $row ) {
			$out[ $row['status'] ] = (int) $row['n'];
		}
		return $out;
	}

	/**
	 * Rows for the admin screen, newest first.
	 *
	 * @param string $status `pending` or `parked`.
	 * @param int    $limit  Most rows.
	 * @return array<int, array<string, string>>
	 */
	public function rows( $status, $limit = 100 ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return $wpdb->get_results( $wpdb->prepare( 'SELECT id, user_id, status, attempts, due_at, reason, last_error, created_at FROM ' . self::table() . ' WHERE status = %s ORDER BY id DESC LIMIT %d', $status, $limit ), ARRAY_A );
	}

	/**
	 * Earliest due time of pending rows of users not held, or null when none.
	 *
	 * @return int|null
	 */
	public function next_due() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$due = $wpdb->get_var( 'SELECT MIN(due_at) FROM ' . self::table() . " WHERE status = 'pending'" . self::not_held() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- constant SQL.
		return null === $due ? null : (int) $due;
	}
}
