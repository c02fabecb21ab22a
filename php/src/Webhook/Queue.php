<?php
/**
 * Accepted webhooks, stored before the caller gets its 202: `{prefix}tagbridge_webhooks`. Rows are
 * processed in id order; a contact whose row waits for a retry holds back its later rows, so one
 * contact's webhooks are always applied in the order they arrived.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Db\Sql;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The webhook queue table.
 */
final class Queue {

	/** Days a processed row is kept (for the screen and for support), then pruned. */
	const KEEP_DAYS = 7;

	/**
	 * Table name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_webhooks';
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
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  contact_key varchar(191) NOT NULL,
  action varchar(16) NOT NULL,
  request longtext NOT NULL,
  status varchar(10) NOT NULL DEFAULT 'pending',
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  due_at bigint(20) unsigned NOT NULL DEFAULT 0,
  user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  result text NULL,
  created_at datetime NOT NULL,
  processed_at datetime NULL,
  PRIMARY KEY  (id),
  KEY status_id (status,id)
) {$wpdb->get_charset_collate()};";
	}

	/**
	 * Stores a parsed request.
	 *
	 * @param array $request The request from tagbridge_webhook_parse().
	 * @return int|WP_Error Row id.
	 */
	public function accept( array $request ) {
		global $wpdb;
		// A prepared INSERT rather than wpdb::insert(), which reads the table's columns (SHOW FULL
		// COLUMNS) once per request for its charset check: one query less on every webhook. The row
		// is ASCII (the extension takes ASCII emails and contact ids only, wp_json_encode escapes
		// the rest), so there is nothing to check; wpdb::query() would still check a row that is not.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- our own table.
		$ok = $wpdb->query(
			$wpdb->prepare(
				'INSERT INTO ' . self::table() . ' (contact_key, action, request, status, due_at, created_at) VALUES (%s, %s, %s, %s, %d, %s)',
				substr( (string) $request['contact_key'], 0, 191 ),
				(string) $request['action'],
				wp_json_encode( $request ),
				'pending',
				time(),
				current_time( 'mysql', true )
			)
		);
		if ( ! $ok ) {
			return new WP_Error( 'tagbridge_webhook_store_failed', __( 'The webhook could not be stored; send it again.', 'tagbridge' ), array( 'status' => 503 ) );
		}
		return (int) $wpdb->insert_id;
	}

	/**
	 * Pending rows in arrival order (due or not: the caller skips a contact whose oldest row waits).
	 *
	 * @param int $after_id Only rows after this id.
	 * @param int $limit    Most rows.
	 * @return array<int, array{id: int, contact_key: string, attempts: int, due_at: int, request: array}>
	 */
	public function pending( $after_id, $limit ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT id, contact_key, attempts, due_at, request FROM ' . self::table() . " WHERE status = 'pending' AND id > %d ORDER BY id LIMIT %d", $after_id, $limit ), ARRAY_A );
		$out  = array();
		foreach ( $rows as $row ) {
			$request = json_decode( $row['request'], true );
			$out[]   = array(
				'id'          => (int) $row['id'],
				'contact_key' => (string) $row['contact_key'],
				'attempts'    => (int) $row['attempts'],
				'due_at'      => (int) $row['due_at'],
				'request'     => is_array( $request ) ? $request : array(),
			);
		}
		return $out;
	}

	/**
	 * The newest row's id (0 when the queue is empty): how fast it grows is the arrival rate.
	 *
	 * @return int
	 */
	public function newest_id() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->get_var( 'SELECT MAX(id) FROM ' . self::table() );
	}

	/**
	 * Whether a pending row is due.
	 *
	 * @param int $now Unix time.
	 * @return bool
	 */
	public function has_due( $now ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return null !== $wpdb->get_var( $wpdb->prepare( 'SELECT id FROM ' . self::table() . " WHERE status = 'pending' AND due_at <= %d LIMIT 1", $now ) );
	}

	/**
	 * Records the outcome of a row.
	 *
	 * @param int    $id       Row id.
	 * @param string $status   `done`, `failed` or `pending` (a retry).
	 * @param int    $user_id  User concerned (0 when none).
	 * @param array  $result   What was done or what went wrong.
	 * @param int    $attempts Attempts so far.
	 * @param int    $due_at   Next attempt (for a retry).
	 */
	public function finish( $id, $status, $user_id, array $result, $attempts, $due_at = 0 ) {
		global $wpdb;
		$set = Sql::assignments(
			array(
				'status'       => (string) $status,
				'user_id'      => (int) $user_id,
				'result'       => (string) wp_json_encode( $result ),
				'attempts'     => (int) $attempts,
				'due_at'       => (int) $due_at,
				'processed_at' => 'pending' === $status ? null : gmdate( 'Y-m-d H:i:s' ),
			)
		);
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- our own table; each value is quoted by Sql.
		$wpdb->query( 'UPDATE ' . self::table() . ' SET ' . $set . ' WHERE id = ' . (int) $id );
	}

	/**
	 * One row, decoded (for tests, the screen and support).
	 *
	 * @param int $id Row id.
	 * @return array|null
	 */
	public function find( $id ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE id = %d', $id ), ARRAY_A );
		if ( ! $row ) {
			return null;
		}
		$row['request'] = json_decode( $row['request'], true );
		$row['result']  = null === $row['result'] ? null : json_decode( $row['result'], true );
		return $row;
	}

	/**
	 * Row counts by status.
	 *
	 * @return array<string, int>
	 */
	public function counts() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results( 'SELECT status, COUNT(*) AS n FROM ' . self::table() . ' GROUP BY status', ARRAY_A );
		$out  = array(
			'pending' => 0,
			'done'    => 0,
			'failed'  => 0,
		);
		foreach ( $rows as $row ) {
			$out[ $row['status'] ] = (int) $row['n'];
		}
		return $out;
	}

	/**
	 * Deletes processed rows older than KEEP_DAYS.
	 */
	public function prune() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . " WHERE status <> 'pending' AND processed_at < %s", gmdate( 'Y-m-d H:i:s', time() - self::KEEP_DAYS * DAY_IN_SECONDS ) ) );
	}
}
