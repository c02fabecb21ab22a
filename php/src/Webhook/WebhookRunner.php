<?php
/**
 * Processes the webhook queue after the caller has its 202: right after the response where PHP-FPM
 * can finish it early, otherwise in a background request (a non-blocking loopback, with WP-Cron as
 * the safety net). One runner at a time (a database lock), in id order, so one contact's webhooks
 * are applied in the order they arrived.
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

	/** WP-Cron event and admin-ajax action. */
	const HOOK = 'tagbridge_webhook_run';

	/** Option: Unix time a runner last reported it was working (kicks are skipped meanwhile). */
	const HEARTBEAT_OPTION = 'tagbridge_webhook_runner_beat';

	/** MariaDB lock that makes one runner at a time. */
	const LOCK = 'tagbridge_webhooks';

	/** Seconds one drain may run (below PHP's and the loopback's limits). */
	const TIME_BUDGET = 20;

	/** Seconds a heartbeat counts as a live runner. */
	const BEAT_FRESH = 10;

	/** Attempts before a webhook whose CRM keeps failing is given up. */
	const MAX_ATTEMPTS = 10;

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
	 * Returns the loopback key (shared with the outbox runner).
	 *
	 * @var callable
	 */
	private $key;

	/**
	 * Whether this request accepted a webhook.
	 *
	 * @var bool
	 */
	private $accepted = false;

	/**
	 * Builds the runner.
	 *
	 * @param Queue     $queue     Queue.
	 * @param Processor $processor Processor.
	 * @param Logger    $log       Log.
	 * @param callable  $key       Returns the loopback key.
	 */
	public function __construct( Queue $queue, Processor $processor, Logger $log, callable $key ) {
		$this->queue     = $queue;
		$this->processor = $processor;
		$this->log       = $log;
		$this->key       = $key;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'shutdown', array( $this, 'end_of_request' ), 60 );
		add_action( self::HOOK, array( $this, 'drain' ) );
		add_action( 'wp_ajax_nopriv_' . self::HOOK, array( $this, 'loopback' ) );
		add_action( 'wp_ajax_' . self::HOOK, array( $this, 'loopback' ) );
	}

	/**
	 * The endpoint stored a webhook in this request.
	 */
	public function accepted() {
		$this->accepted = true;
	}

	/**
	 * End of a request that accepted webhooks: process them once the caller has its answer.
	 */
	public function end_of_request() {
		if ( ! $this->accepted ) {
			return;
		}
		$this->accepted = false;
		if ( function_exists( 'fastcgi_finish_request' ) && 'cli' !== PHP_SAPI ) {
			fastcgi_finish_request();
			$this->drain();
			return;
		}
		// Elsewhere (mod_php, the built-in server) the answer waits for shutdown: hand over instead.
		$this->kick( time() );
	}

	/**
	 * The loopback request: checks the key in constant time, then drains.
	 */
	public function loopback() {
		Loopback::authorise( (string) call_user_func( $this->key ) );
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
		try {
			update_option( self::HEARTBEAT_OPTION, time(), false );
			$beat = time();
			do {
				$now      = $fixed_now ? (int) $now : time();
				$progress = 0;
				$blocked  = array();
				$after    = 0;
				while ( microtime( true ) - $started < self::TIME_BUDGET ) {
					$rows = $this->queue->pending( $after, 200 );
					if ( ! $rows ) {
						break;
					}
					foreach ( $rows as $row ) {
						$after = $row['id'];
						// A contact whose older row waits for a retry keeps its later rows waiting too.
						if ( isset( $blocked[ $row['contact_key'] ] ) || $row['due_at'] > $now ) {
							$blocked[ $row['contact_key'] ] = true;
							continue;
						}
						if ( ! $this->process_row( $row, $now ) ) {
							$blocked[ $row['contact_key'] ] = true;
						}
						++$progress;
						if ( time() - $beat >= 2 ) {
							$beat = time();
							update_option( self::HEARTBEAT_OPTION, $beat, false );
						}
					}
				}
				$done += $progress;
			} while ( $progress > 0 && microtime( true ) - $started < self::TIME_BUDGET );
		} finally {
			delete_option( self::HEARTBEAT_OPTION );
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::LOCK ) );
		}
		if ( 0 === wp_rand( 0, 99 ) ) {
			$this->queue->prune();
		}
		// Rows that arrived while this runner was finishing found the lock taken: carry on for them.
		if ( ! $fixed_now && $this->queue->has_due( time() ) ) {
			$this->kick( time() );
		}
		return $done;
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

	/**
	 * Makes sure a runner comes: unless one reported in lately, a loopback request now, and a
	 * WP-Cron event in case the loopback is lost.
	 *
	 * @param int $now Unix time.
	 */
	public function kick( $now ) {
		if ( (int) get_option( self::HEARTBEAT_OPTION, 0 ) > $now - self::BEAT_FRESH ) {
			return;
		}
		// Counts as a beat: the webhooks that arrive before the new runner starts need no kick of their own.
		update_option( self::HEARTBEAT_OPTION, $now, false );
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_single_event( $now + 60, self::HOOK );
		}
		Loopback::start( self::HOOK, (string) call_user_func( $this->key ) );
	}
}
