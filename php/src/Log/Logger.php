<?php
/**
 * The activity log: `{prefix}tagbridge_log`, one row per decision or CRM call, capped in size.
 *
 * @package TagBridge
 */

namespace TagBridge\Log;

use TagBridge\Crm\Result;
use TagBridge\Db\Sql;

defined( 'ABSPATH' ) || exit;

/**
 * Writes and reads log rows. Everything written passes the Redactor.
 */
final class Logger {

	/** Levels, most severe first. */
	const LEVELS = array( 'error', 'warning', 'info', 'debug' );

	/** Default most rows kept (filter `tagbridge_log_max_rows`). */
	const MAX_ROWS = 10000;

	/** Prune once every this many rows, so pruning costs one DELETE per batch of writes. */
	const PRUNE_EVERY = 100;

	/** Most rows per INSERT statement. */
	const WRITE_CHUNK = 500;

	/**
	 * Table name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_log';
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
  created_at datetime NOT NULL,
  level varchar(10) NOT NULL,
  user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  source varchar(32) NOT NULL,
  code varchar(64) NOT NULL,
  message text NOT NULL,
  context longtext NULL,
  duration_ms int(10) unsigned NULL,
  PRIMARY KEY  (id),
  KEY user_id (user_id,id),
  KEY level (level,id)
) {$wpdb->get_charset_collate()};";
	}

	/**
	 * Rows logged inside batch(), waiting to be written; null outside a batch.
	 *
	 * @var array<int, array<string, mixed>>|null
	 */
	private $pending = null;

	/**
	 * Writes one row (at the end of the batch() it is logged in, if any).
	 *
	 * @param string   $level       One of LEVELS.
	 * @param string   $source      Where it comes from (`outbox`, `crm`, `plan`).
	 * @param string   $code        Stable reason code.
	 * @param string   $message     A sentence.
	 * @param int      $user_id     The user concerned, 0 for none.
	 * @param array    $context     Extra data (redacted).
	 * @param int|null $duration_ms How long it took.
	 */
	public function log( $level, $source, $code, $message, $user_id = 0, array $context = array(), $duration_ms = null ) {
		$row = array(
			'created_at'  => gmdate( 'Y-m-d H:i:s' ), // current_time( 'mysql', true ) without its two objects a row.
			'level'       => in_array( $level, self::LEVELS, true ) ? $level : 'info',
			'user_id'     => (int) $user_id,
			'source'      => substr( $source, 0, 32 ),
			'code'        => substr( $code, 0, 64 ),
			'message'     => Redactor::text( $message ),
			'context'     => $context ? wp_json_encode( Redactor::redact( $context ) ) : null,
			'duration_ms' => null === $duration_ms ? null : max( 0, (int) $duration_ms ),
		);
		if ( null !== $this->pending ) {
			$this->pending[] = $row;
			return;
		}
		$this->write( array( $row ) );
	}

	/**
	 * Runs $work and writes the rows it logs together afterwards, in order: a reconcile page logs
	 * thousands of plan changes, and one INSERT each cost more than the rest of the page.
	 *
	 * @param callable $work Work.
	 * @return mixed What $work returns.
	 */
	public function batch( callable $work ) {
		if ( null !== $this->pending ) {
			return $work(); // The outer batch writes them.
		}
		$this->pending = array();
		try {
			return $work();
		} finally {
			$rows          = $this->pending;
			$this->pending = null;
			$this->write( $rows );
		}
	}

	/**
	 * Inserts rows with one statement per WRITE_CHUNK, pruning whenever the ids pass a multiple of
	 * PRUNE_EVERY.
	 *
	 * @param array<int, array<string, mixed>> $rows Rows shaped as log() builds them.
	 */
	private function write( array $rows ) {
		global $wpdb;
		foreach ( array_chunk( $rows, self::WRITE_CHUNK ) as $chunk ) {
			$values = array_map( array( Sql::class, 'tuple' ), $chunk );
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- our own table; each value is quoted by Sql.
			$wpdb->query( 'INSERT INTO ' . self::table() . ' (' . implode( ', ', array_keys( $chunk[0] ) ) . ') VALUES ' . implode( ',', $values ) );
			// A multi-row INSERT reports its first id and takes the next ones (near enough to decide
			// when to prune, even where concurrent inserts interleave).
			$first = (int) $wpdb->insert_id;
			$last  = $first + count( $chunk ) - 1;
			if ( $first > 0 && intdiv( $last, self::PRUNE_EVERY ) > intdiv( $first - 1, self::PRUNE_EVERY ) ) {
				$this->prune( $last );
			}
		}
	}

	/**
	 * Logs one CRM call with its outcome and timing.
	 *
	 * @param int    $user_id User.
	 * @param string $method  Crm method.
	 * @param Result $result  Outcome.
	 * @param float  $started microtime(true) before the call.
	 * @param array  $context Extra data (field names, tags; never field values).
	 */
	public function crm_call( $user_id, $method, Result $result, $started, array $context = array() ) {
		$ms = (int) round( ( microtime( true ) - $started ) * 1000 );
		$this->log(
			// Not found is an answer (the contact does not exist yet), not a failure; so is a duplicate
			// create (the contact exists: the outbox creates first and looks up only then).
			$result->is_ok() || Result::NOT_FOUND === $result->status || ( Result::DUPLICATE === $result->status && 'create_contact' === $method ) ? 'info' : ( $result->is_retryable() ? 'warning' : 'error' ),
			'crm',
			$method . ':' . $result->status,
			$result->is_ok() ? $method : $method . ': ' . $result->message,
			$user_id,
			$context,
			$ms
		);
	}

	/**
	 * Deletes the oldest rows beyond the cap.
	 *
	 * @param int $last_id Newest row id.
	 */
	private function prune( $last_id ) {
		global $wpdb;
		/**
		 * Most activity log rows kept.
		 *
		 * @param int $max Default 10,000.
		 */
		$max = max( 100, (int) apply_filters( 'tagbridge_log_max_rows', self::MAX_ROWS ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::table() . ' WHERE id <= %d', $last_id - $max ) );
	}

	/**
	 * Rows, newest first.
	 *
	 * @param array{user_id?: int, level?: string, source?: string, limit?: int, offset?: int} $filter Filter.
	 * @return array<int, array<string, string|null>>
	 */
	public function query( array $filter = array() ) {
		global $wpdb;
		$where = array( '1=1' );
		$args  = array();
		if ( ! empty( $filter['user_id'] ) ) {
			$where[] = 'user_id = %d';
			$args[]  = (int) $filter['user_id'];
		}
		if ( ! empty( $filter['level'] ) && in_array( $filter['level'], self::LEVELS, true ) ) {
			// A level shows itself and everything more severe.
			$levels  = array_slice( self::LEVELS, 0, (int) array_search( $filter['level'], self::LEVELS, true ) + 1 );
			$where[] = 'level IN (' . implode( ',', array_fill( 0, count( $levels ), '%s' ) ) . ')';
			$args    = array_merge( $args, $levels );
		}
		if ( ! empty( $filter['source'] ) ) {
			$where[] = 'source = %s';
			$args[]  = (string) $filter['source'];
		}
		$args[] = max( 1, min( 1000, (int) ( $filter['limit'] ?? 100 ) ) );
		$args[] = max( 0, (int) ( $filter['offset'] ?? 0 ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- placeholders built above.
		return $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE ' . implode( ' AND ', $where ) . ' ORDER BY id DESC LIMIT %d OFFSET %d', $args ), ARRAY_A );
	}

	/**
	 * Logs each change of an applied roles ↔ tags plan with its reason (action `tagbridge_plan_applied`).
	 *
	 * @param array $plan    Plan from the engine.
	 * @param int   $user_id User.
	 */
	public function plan_applied( $plan, $user_id ) {
		foreach ( array( 'add_roles' => 'role', 'remove_roles' => 'role', 'apply_tags' => 'tag', 'remove_tags' => 'tag' ) as $list => $key ) {
			foreach ( $plan[ $list ] ?? array() as $change ) {
				$this->log( 'info', 'plan', $list . ':' . $change['reason'], $change['detail'], (int) $user_id, array( $key => $change[ $key ] ) );
			}
		}
		foreach ( $plan['notes'] ?? array() as $note ) {
			$this->log( 'info', 'plan', 'note:' . $note['code'], $note['message'], (int) $user_id );
		}
	}
}
