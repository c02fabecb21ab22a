<?php
/**
 * When the outbox is drained: at the end of the request that queued changes (after the visitor has
 * the page, when the CRM is healthy), else in the background (WP-Cron plus a loopback request).
 *
 * @package TagBridge
 */

namespace TagBridge\Outbox;

use TagBridge\Background\Loopback;
use TagBridge\Log\Logger;

defined( 'ABSPATH' ) || exit;

/**
 * Drains the outbox.
 */
final class Runner {

	/** WP-Cron event. */
	const CRON_HOOK = 'tagbridge_outbox_run';

	/** admin-ajax action of the loopback trigger. */
	const AJAX_ACTION = 'tagbridge_outbox_run';

	/** Option: Unix time until which the CRM counts as unhealthy (set by a failed delivery). */
	const UNHEALTHY_OPTION = 'tagbridge_outbox_unhealthy_until';

	/** Option: random key the loopback trigger must present. */
	const KEY_OPTION = 'tagbridge_outbox_runner_key';

	/** Seconds one drain may run, so a background run never hits PHP's time limit. */
	const TIME_BUDGET = 20;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Deliverer.
	 *
	 * @var Deliverer
	 */
	private $deliverer;

	/**
	 * Log.
	 *
	 * @var Logger
	 */
	private $log;

	/**
	 * Returns true while deliveries must not happen (a copied site must not write to the production CRM).
	 *
	 * @var callable
	 */
	private $is_site_moved;

	/**
	 * Builds the runner.
	 *
	 * @param Outbox    $outbox        Outbox.
	 * @param Deliverer $deliverer     Deliverer.
	 * @param Logger    $log           Log.
	 * @param callable  $is_site_moved Staging check; true stops every delivery.
	 */
	public function __construct( Outbox $outbox, Deliverer $deliverer, Logger $log, callable $is_site_moved ) {
		$this->outbox        = $outbox;
		$this->deliverer     = $deliverer;
		$this->log           = $log;
		$this->is_site_moved = $is_site_moved;
	}

	/**
	 * Whether the CRM answered well lately.
	 *
	 * @param int $now Unix time.
	 * @return bool
	 */
	public function is_healthy( $now ) {
		return (int) get_option( self::UNHEALTHY_OPTION, 0 ) <= $now;
	}

	/**
	 * End of a request: delivers what this request queued when the CRM is healthy, after the
	 * response went out (fastcgi_finish_request), else leaves it to the background runner.
	 */
	public function end_of_request() {
		$users = $this->outbox->take_touched();
		if ( ! $users ) {
			return;
		}
		$now = time();
		if ( ! $this->is_healthy( $now ) || call_user_func( $this->is_site_moved ) ) {
			$this->kick( $now );
			return;
		}
		if ( function_exists( 'fastcgi_finish_request' ) && 'cli' !== PHP_SAPI ) {
			fastcgi_finish_request();
		}
		$this->drain( count( $users ), $now, $users );
		$this->kick_if_pending( $now );
	}

	/**
	 * WP-Cron and loopback entry: drains whatever is due.
	 */
	public function run_background() {
		$now = time();
		$this->drain( 500, $now );
		$this->kick_if_pending( $now );
	}

	/**
	 * The loopback request: checks the key in constant time, then drains.
	 */
	public function loopback() {
		Loopback::authorise( $this->key() );
		$this->run_background();
		wp_send_json_success();
	}

	/**
	 * Drains due users: claim, deliver, release.
	 *
	 * @param int        $limit Most users.
	 * @param int|null   $now   Unix time (tests pass a later time to skip a backoff).
	 * @param int[]|null $only  Restrict to these users.
	 * @return array{delivered: int, retry: int, parked: int, rows: int}
	 */
	public function drain( $limit = 100, $now = null, $only = null ) {
		$now   = null === $now ? time() : (int) $now;
		$stats = array(
			'delivered' => 0,
			'retry'     => 0,
			'parked'    => 0,
			'rows'      => 0,
		);
		if ( call_user_func( $this->is_site_moved ) ) {
			$this->log->log( 'warning', 'outbox', 'site_moved', __( 'This site looks like a copy of the production site: nothing is sent to the CRM.', 'tagbridge' ) );
			return $stats;
		}
		$started = microtime( true );
		$seen    = array();
		// Each user at most once per drain: a failed user is rescheduled, not hammered again.
		while ( count( $seen ) < $limit && microtime( true ) - $started < self::TIME_BUDGET ) {
			$users = array_diff( $this->outbox->due_users( $now, $limit, $only ), array_keys( $seen ) );
			if ( ! $users ) {
				break;
			}
			foreach ( array_slice( $users, 0, $limit - count( $seen ) ) as $user_id ) {
				$seen[ $user_id ] = true;
				$token            = $this->outbox->claim( $user_id, $now );
				if ( null === $token ) {
					continue; // Another worker holds this user.
				}
				try {
					$result = $this->deliverer->deliver( $user_id, $now );
				} finally {
					$this->outbox->release_claim( $user_id, $token );
				}
				if ( isset( $stats[ $result['outcome'] ] ) ) {
					++$stats[ $result['outcome'] ];
					$stats['rows'] += $result['rows'];
				}
				if ( 'retry' === $result['outcome'] ) {
					update_option( self::UNHEALTHY_OPTION, $now + $result['delay'], false );
				} elseif ( 'delivered' === $result['outcome'] ) {
					delete_option( self::UNHEALTHY_OPTION );
				}
			}
		}
		return $stats;
	}

	/**
	 * Schedules a background run for the next due row, if any.
	 *
	 * @param int $now Unix time.
	 */
	private function kick_if_pending( $now ) {
		if ( null !== $this->outbox->next_due() ) {
			$this->kick( $now );
		}
	}

	/**
	 * Makes sure a background run happens: a WP-Cron event at the next due time, and a loopback
	 * request now when something is already due (WP-Cron alone waits for a visitor).
	 *
	 * @param int $now Unix time.
	 */
	public function kick( $now ) {
		$due = $this->outbox->next_due();
		if ( null === $due ) {
			return;
		}
		$at        = max( $now, $due );
		$scheduled = wp_next_scheduled( self::CRON_HOOK );
		if ( false === $scheduled || $scheduled > $at ) {
			wp_clear_scheduled_hook( self::CRON_HOOK );
			wp_schedule_single_event( $at, self::CRON_HOOK );
		}
		if ( $due <= $now && ! call_user_func( $this->is_site_moved ) ) {
			Loopback::start( self::AJAX_ACTION, $this->key() );
		}
	}

	/**
	 * The loopback key (created on first use; the webhook runner's loopback uses it too).
	 *
	 * @return string
	 */
	public function key() {
		return Loopback::key( self::KEY_OPTION );
	}
}
