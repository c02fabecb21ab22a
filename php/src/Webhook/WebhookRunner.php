<?php
/**
 * Processes the webhook queue after the caller has its 202, in a background request started by
 * the Kicker (a non-blocking loopback, with WP-Cron as the safety net). One runner at a time (a
 * database lock), in id order, so one contact's webhooks are applied in the order they arrived.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Background\Loopback;
use TagBridge\Log\Logger;

defined( 'ABSPATH' ) || exit;

/**
 * Drains the webhook queue.
 */
final class WebhookRunner {

	/** MariaDB lock that makes one runner at a time. */
	const LOCK = 'tagbridge_webhooks';

	/**
	 * Seconds one drain may run before it hands over to a fresh loopback request (which costs one
	 * WordPress boot). Short, because a runner holds a web server worker all along — and on PHP's
	 * built-in server, also the connections that worker had already accepted: webhooks that wait
	 * behind it are stored late, out of their sending order.
	 */
	const TIME_BUDGET = 5;

	/** Attempts before a webhook whose CRM keeps failing is given up. */
	const MAX_ATTEMPTS = 10;

	/**
	 * Webhooks arriving per second above which the runner yields: during a burst, answering every
	 * caller comes first, so after each row the runner sleeps YIELD times as long as the row took
	 * (it then uses about a third of a core) and catches up once the burst is over.
	 */
	const BURST_RATE = 20;

	/** See BURST_RATE. */
	const YIELD = 2;

	/**
	 * Seconds one drain may run while a burst is arriving: the connections its web server worker
	 * has accepted wait for it (PHP's built-in server), so it hands over sooner.
	 */
	const BURST_BUDGET = 1;

	/** Seconds between two measurements of the arrival rate. */
	const RATE_WINDOW = 0.5;

	/**
	 * Queue.
	 *
	 * @var Queue
	 */
	private $queue;

	/**
	 * Processor.
	 *
	 * @var Processor
	 */
	private $processor;

	/**
	 * Log.
	 *
	 * @var Logger
	 */
	private $log;

	/**
	 * Heartbeat, next runner and the loopback key.
	 *
	 * @var Kicker
	 */
	private $kicker;

	/**
	 * Builds the runner.
	 *
	 * @param Queue     $queue     Queue.
	 * @param Processor $processor Processor.
	 * @param Logger    $log       Log.
	 * @param Kicker    $kicker    Heartbeat, next runner and the loopback key.
	 */
	public function __construct( Queue $queue, Processor $processor, Logger $log, Kicker $kicker ) {
		$this->queue     = $queue;
		$this->processor = $processor;
		$this->log       = $log;
		$this->kicker    = $kicker;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( Kicker::HOOK, array( $this, 'drain' ) );
		add_action( 'wp_ajax_nopriv_' . Kicker::HOOK, array( $this, 'loopback' ) );
		add_action( 'wp_ajax_' . Kicker::HOOK, array( $this, 'loopback' ) );
	}

	/**
	 * The loopback request: checks the key in constant time, then drains.
	 */
	public function loopback() {
		Loopback::authorise( $this->kicker->key() );
		$this->drain();
		wp_send_json_success();
	}

	/**
	 * Processes due webhooks in arrival order until none is left or the time budget is spent.
	 *
	 * @param int|null $now Unix time (tests pass a later time to skip a retry delay).
	 * @return int Webhooks processed (0 when another runner holds the lock).
	 */
	public function drain( $now = null ) {
		global $wpdb;
		$fixed_now = null !== $now;
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', self::LOCK ) ) ) {
			return 0;
		}
		$done    = 0;
		$started = microtime( true );
		$pace    = array(
			'at'     => $started,
			'newest' => $this->queue->newest_id(),
			'burst'  => false,
		);
		try {
			$this->kicker->beat( time() );
			$beat = time();
			do {
				$now      = $fixed_now ? (int) $now : time();
				$progress = 0;
				$blocked  = array();
				$after    = 0;
				while ( microtime( true ) - $started < self::budget( $pace ) ) {
					$rows = $this->queue->pending( $after, 200 );
					if ( ! $rows ) {
						break;
					}
					foreach ( $rows as $row ) {
						// Checked per row: under load a batch can take longer than the whole budget.
						if ( microtime( true ) - $started >= self::budget( $pace ) ) {
							break 2;
						}
						$after = $row['id'];
						$names = self::names( $row );
						// A contact whose older row waits for a retry keeps its later rows waiting too,
						// whichever of its names (email, contact id) they carry.
						if ( array_intersect_key( $names, $blocked ) || $row['due_at'] > $now ) {
							$blocked += $names;
							continue;
						}
						$took = microtime( true );
						if ( ! $this->process_row( $row, $now ) ) {
							$blocked += $names;
						}
						++$progress;
						if ( ! $fixed_now ) {
							$this->pace( $pace, microtime( true ) - $took );
						}
						if ( time() - $beat >= 2 ) {
							$beat = time();
							$this->kicker->beat( $beat );
						}
					}
				}
				$done += $progress;
			} while ( $progress > 0 && microtime( true ) - $started < self::budget( $pace ) );
		} finally {
			$this->kicker->stop();
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::LOCK ) );
		}
		if ( 0 === wp_rand( 0, 99 ) ) {
			$this->queue->prune();
		}
		// Rows that arrived while this runner was finishing found the lock taken: carry on for them.
		if ( ! $fixed_now && $this->queue->has_due( time() ) ) {
			$this->kicker->kick( time() );
		}
		return $done;
	}

	/**
	 * Seconds this drain may run.
	 *
	 * @param array $pace See pace().
	 * @return float
	 */
	private static function budget( array $pace ) {
		return $pace['burst'] ? self::BURST_BUDGET : self::TIME_BUDGET;
	}

	/**
	 * Yields the CPU while a burst is arriving (see BURST_RATE); measures the arrival rate every
	 * RATE_WINDOW seconds from the growth of the newest id.
	 *
	 * @param array $pace  `{at, newest, burst}`, carried between rows.
	 * @param float $spent Seconds the last row took.
	 */
	private function pace( array &$pace, $spent ) {
		$now = microtime( true );
		if ( $now - $pace['at'] >= self::RATE_WINDOW ) {
			$newest         = $this->queue->newest_id();
			$pace['burst']  = ( $newest - $pace['newest'] ) / ( $now - $pace['at'] ) >= self::BURST_RATE;
			$pace['at']     = $now;
			$pace['newest'] = $newest;
		}
		if ( $pace['burst'] ) {
			usleep( (int) min( 1e6, $spent * self::YIELD * 1e6 ) );
		}
	}

	/**
	 * The names a row's contact goes by: its ordering key (email, else contact id) and, when the
	 * webhook carries both, its contact id too — so a contact addressed by email in one webhook
	 * and by contact id in the next keeps its order behind a retry. A contact addressed only by
	 * email, then only by contact id, is not linked here (only the CRM knows they are one).
	 *
	 * @param array $row Queue row.
	 * @return array<string, true>
	 */
	private static function names( array $row ) {
		$names = array( $row['contact_key'] => true );
		if ( isset( $row['request']['contact_id'] ) && '' !== (string) $row['request']['contact_id'] ) {
			$names[ 'id:' . $row['request']['contact_id'] ] = true;
		}
		return $names;
	}

	/**
	 * Processes one row and records the outcome.
	 *
	 * @param array $row Queue row.
	 * @param int   $now Unix time.
	 * @return bool False when the row waits for a retry.
	 */
	private function process_row( array $row, $now ) {
		$request  = $row['request'];
		$attempts = $row['attempts'] + 1;
		try {
			$out = $this->processor->process( $request );
		} catch ( \Throwable $e ) {
			$out = array(
				'outcome'     => 'failed',
				'user_id'     => 0,
				'result'      => array( 'error' => 'exception: ' . $e->getMessage() ),
				'retry_after' => null,
			);
		}
		$action = (string) ( $request['action'] ?? '' );
		if ( 'retry' === $out['outcome'] && $attempts < self::MAX_ATTEMPTS ) {
			$delay = max( (int) $out['retry_after'], min( 3600, 30 * 2 ** ( $attempts - 1 ) ) );
			$this->queue->finish( $row['id'], 'pending', $out['user_id'], $out['result'], $attempts, $now + $delay );
			/* translators: 1: webhook id, 2: seconds */
			$this->log->log( 'warning', 'webhook', 'webhook_retry', sprintf( __( 'Webhook %1$d will be retried in %2$d s.', 'tagbridge' ), $row['id'], $delay ), 0, $out['result'] );
			return false;
		}
		$status = 'done' === $out['outcome'] ? 'done' : 'failed';
		$this->queue->finish( $row['id'], $status, $out['user_id'], $out['result'], $attempts );
		$this->log->log(
			'done' === $status ? 'info' : 'error',
			'webhook',
			'webhook_' . $status,
			/* translators: 1: webhook id, 2: action */
			sprintf( __( 'Webhook %1$d (%2$s) processed.', 'tagbridge' ), $row['id'], $action ),
			$out['user_id'],
			$out['result']
		);
		return true;
	}
}
