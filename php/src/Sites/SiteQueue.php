<?php
/**
 * The durable queue of changes for linked sites, `{prefix}tagbridge_site_outbox`. A separate small
 * queue rather than a second destination of the CRM outbox: the CRM outbox coalesces per contact
 * and claims per user, while a linked site must receive every change of a link in order (a create
 * before its tag, a role set before it is removed). So rows are claimed per link (a database lock),
 * sent one by one in id order, and a failure holds back the whole link with the CRM outbox's
 * backoff (`tagbridge_outbox_schedule`: 30 s doubling to 1 h, jitter, parked after 30 attempts or
 * at once on a refused signature). Nothing is lost while the other site is down: rows stay until a
 * 2xx answer.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Background\Loopback;
use TagBridge\Db\Sql;
use TagBridge\Engine\Engine;
use TagBridge\Log\Logger;

defined( 'ABSPATH' ) || exit;

/**
 * Storage and in-order delivery of site changes.
 */
final class SiteQueue {

	/** WP-Cron event that delivers due rows. */
	const CRON_HOOK = 'tagbridge_sites_run';

	/** admin-ajax action of the loopback run. */
	const AJAX_ACTION = 'tagbridge_sites_run';

	/** Option holding the loopback key (autoload off). */
	const KEY_OPTION = 'tagbridge_sites_runner_key';

	/** Seconds one drain of a link may take. */
	const TIME_BUDGET = 20;

	/**
	 * Links.
	 *
	 * @var Links
	 */
	private $links;

	/**
	 * Extension wrapper (retry schedule).
	 *
	 * @var Engine
	 */
	private $engine;

	/**
	 * Log.
	 *
	 * @var Logger
	 */
	private $log;

	/**
	 * Links that got rows in this request.
	 *
	 * @var array<string, true>
	 */
	private $touched = array();

	/**
	 * Whether the last drain stopped on its time budget with rows still due.
	 *
	 * @var bool
	 */
	private $unfinished = false;

	/**
	 * Builds the queue.
	 *
	 * @param Links  $links  Links.
	 * @param Engine $engine Extension wrapper.
	 * @param Logger $log    Log.
	 */
	public function __construct( Links $links, Engine $engine, Logger $log ) {
		$this->links  = $links;
		$this->engine = $engine;
		$this->log    = $log;
	}

	/**
	 * Queue table.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_site_outbox';
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
  link_id varchar(32) NOT NULL,
  payload longtext NOT NULL,
  status varchar(10) NOT NULL DEFAULT 'pending',
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  due_at bigint(20) unsigned NOT NULL DEFAULT 0,
  last_error text NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (id),
  KEY link_status (link_id,status,id)
) {$wpdb->get_charset_collate()};";
	}

	/**
	 * Stores a change for a link.
	 *
	 * @param string $link_id Link id.
	 * @param array  $change  Filtered change.
	 * @return int Row id.
	 */
	public function enqueue( $link_id, array $change ) {
		global $wpdb;
		// Values quoted by Sql, by their PHP type: wpdb::insert() would guess formats from column
		// names (its `link_id` is %d, for the old wp_links table) and ask for the column charsets.
		$row = Sql::tuple( array( (string) $link_id, (string) wp_json_encode( $change ), (int) $this->held_until( $link_id ), gmdate( 'Y-m-d H:i:s' ) ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- our own table; each value is quoted by Sql.
		if ( false === $wpdb->query( 'INSERT INTO ' . self::table() . ' (link_id, payload, due_at, created_at) VALUES ' . $row ) ) {
			$this->log->log( 'error', 'sites', 'site_queue_failed', __( 'A change for a linked site could not be stored.', 'tagbridge' ) );
			return 0;
		}
		$this->touched[ $link_id ] = true;
		return (int) $wpdb->insert_id;
	}

	/**
	 * A new row waits behind its link's backoff: it must not overtake older rows.
	 *
	 * @param string $link_id Link id.
	 * @return int
	 */
	private function held_until( $link_id ) {
		global $wpdb;
		$table = self::table();
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT MAX(due_at) FROM {$table} WHERE link_id = %s AND status = 'pending'", $link_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Pending and parked counts of a link.
	 *
	 * @param string $link_id Link id.
	 * @return array{pending: int, parked: int}
	 */
	public function counts( $link_id ) {
		global $wpdb;
		$table = self::table();
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT status, COUNT(*) AS n FROM {$table} WHERE link_id = %s GROUP BY status", $link_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery
		$out   = array(
			'pending' => 0,
			'parked'  => 0,
		);
		foreach ( $rows as $row ) {
			$out[ $row['status'] ] = (int) $row['n'];
		}
		return $out;
	}

	/**
	 * End of a request: delivers to the links this request queued for.
	 */
	public function end_of_request() {
		if ( ! $this->touched ) {
			return;
		}
		$links         = array_keys( $this->touched );
		$this->touched = array();
		if ( function_exists( 'fastcgi_finish_request' ) && 'cli' !== PHP_SAPI ) {
			fastcgi_finish_request();
		}
		$this->drain( time(), $links );
		if ( $this->unfinished ) {
			$this->kick();
		}
	}

	/**
	 * WP-Cron and loopback entry: delivers every due row; hands over to a new loopback run when
	 * the time budget ran out with rows still due.
	 */
	public function run_background() {
		$this->drain( time() );
		if ( $this->unfinished ) {
			$this->kick();
		}
	}

	/**
	 * The loopback request: checks the key in constant time, then delivers.
	 */
	public function loopback() {
		Loopback::authorise( self::key() );
		$this->run_background();
		wp_send_json_success();
	}

	/**
	 * Starts a background run now with a non-blocking loopback request (WP-Cron alone waits for a
	 * visitor), as the CRM outbox's runner does.
	 */
	public function kick() {
		Loopback::start( self::AJAX_ACTION, self::key() );
	}

	/**
	 * The loopback key (created on first use).
	 *
	 * @return string
	 */
	public static function key() {
		return Loopback::key( self::KEY_OPTION );
	}

	/**
	 * Delivers due rows, per link in order; schedules a background run for what is left.
	 *
	 * @param int           $now   Unix time (tests pass a later time to skip a backoff).
	 * @param string[]|null $links Only these links.
	 * @return array{delivered: int, failed: int}
	 */
	public function drain( $now, $links = null ) {
		$stats            = array(
			'delivered' => 0,
			'failed'    => 0,
		);
		$this->unfinished = false;
		foreach ( $this->links->all() as $id => $link ) {
			if ( null !== $links && ! in_array( $id, $links, true ) ) {
				continue;
			}
			$this->drain_link( $link, $now, $stats );
		}
		$this->schedule_next();
		return $stats;
	}

	/**
	 * Delivers one link's due rows in id order; stops at the first failure.
	 *
	 * @param array $link  Link.
	 * @param int   $now   Unix time.
	 * @param array $stats Counters.
	 */
	private function drain_link( array $link, $now, array &$stats ) {
		global $wpdb;
		$table = self::table();
		$lock  = $wpdb->prefix . 'tb_site_' . $link['id'];
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			return; // Another worker delivers this link.
		}
		try {
			$started = microtime( true );
			while ( true ) {
				if ( microtime( true ) - $started >= self::TIME_BUDGET ) {
					$this->unfinished = true; // Rows may still be due: another run takes over.
					return;
				}
				$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE link_id = %s AND status = 'pending' ORDER BY id LIMIT 1", $link['id'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery
				if ( ! $row || (int) $row['due_at'] > $now ) {
					return;
				}
				$failure = $this->send( $link, $row['payload'] );
				if ( null === $failure ) {
					$wpdb->query( "DELETE FROM {$table} WHERE id = " . (int) $row['id'] ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					++$stats['delivered'];
					continue;
				}
				++$stats['failed'];
				$this->failed( $link, $row, $failure, $now );
				if ( 'auth_failed' !== $failure['status'] && 'permanent' !== $failure['status'] ) {
					return;
				}
			}
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
	}

	/**
	 * Sends one change; null when the other site took it.
	 *
	 * @param array  $link    Link.
	 * @param string $payload JSON change.
	 * @return array{status: string, message: string}|null
	 */
	private function send( array $link, $payload ) {
		$body     = '{"change":' . $payload . '}';
		$response = wp_remote_post(
			$link['url'] . '/wp-json/tagbridge/v1/sites/receive',
			array(
				'timeout'     => 10,
				'redirection' => 0,
				// Signed with the real clock, not the scheduling time $now: the other site checks it.
				'headers'     => Signer::headers( $link, $body, time() ),
				'body'        => $body,
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'status'  => 'transient',
				'message' => $response->get_error_message(),
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( $code >= 200 && $code < 300 ) {
			return null;
		}
		$status = 'transient';
		if ( 401 === $code || 403 === $code ) {
			$status = 'auth_failed';
		} elseif ( 400 === $code || 404 === $code ) {
			$status = 'permanent';
		}
		return array(
			'status'  => $status,
			'message' => $code . ' ' . substr( (string) wp_remote_retrieve_body( $response ), 0, 300 ),
		);
	}

	/**
	 * A failed row: the whole link waits out the backoff, or the row is parked.
	 *
	 * @param array $link    Link.
	 * @param array $row     Row.
	 * @param array $failure `{status, message}`.
	 * @param int   $now     Unix time.
	 */
	private function failed( array $link, array $row, array $failure, $now ) {
		global $wpdb;
		$table    = self::table();
		$attempts = (int) $row['attempts'] + 1;
		$decision = $this->engine->schedule( (int) $row['id'], $attempts, $failure['status'], null );
		// A peer's error text may be any bytes: stored as valid UTF-8 (bad bytes become U+FFFD, or
		// the text is dropped where mbstring is missing).
		$message = (string) $failure['message'];
		$error   = array(
			'attempts'   => $attempts,
			'last_error' => function_exists( 'mb_scrub' ) ? mb_scrub( $message, 'UTF-8' ) : wp_check_invalid_utf8( $message ),
		);
		if ( 'retry' !== $decision['action'] ) {
			$error['status'] = 'parked';
		}
		$wpdb->query( "UPDATE {$table} SET " . Sql::assignments( $error ) . ' WHERE id = ' . (int) $row['id'] ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( 'retry' === $decision['action'] ) {
			$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET due_at = %d WHERE link_id = %s AND status = 'pending'", $now + (int) $decision['delay'], $link['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery
		}
		/* translators: 1: site address, 2: error */
		$this->log->log( 'warning', 'sites', 'site_' . $decision['action'], sprintf( __( 'Sending a change to %1$s failed: %2$s', 'tagbridge' ), $link['url'], $failure['message'] ) );
	}

	/**
	 * Schedules WP-Cron at the next due row.
	 */
	private function schedule_next() {
		global $wpdb;
		$table = self::table();
		$due   = $wpdb->get_var( "SELECT MIN(due_at) FROM {$table} WHERE status = 'pending'" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery
		if ( null === $due ) {
			return;
		}
		$scheduled = wp_next_scheduled( self::CRON_HOOK );
		if ( false === $scheduled || $scheduled > (int) $due ) {
			wp_clear_scheduled_hook( self::CRON_HOOK );
			wp_schedule_single_event( max( time(), (int) $due ), self::CRON_HOOK );
		}
	}
}
