<?php
/**
 * Makes sure a webhook runner comes after a request stored webhooks: once the caller has its
 * answer, a non-blocking loopback request (admin-ajax) starts a runner, with a WP-Cron event as the
 * safety net. A heartbeat option, written by the working runner, saves a loopback per webhook
 * during a burst.
 *
 * Kept apart from WebhookRunner so the early webhook entry (EarlyEntry) can kick a runner without
 * building what processing needs.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Background\Loopback;

defined( 'ABSPATH' ) || exit;

/**
 * Starts a runner at the end of a request that accepted webhooks.
 */
final class Kicker {

	/** WP-Cron event and admin-ajax action of the runner. */
	const HOOK = 'tagbridge_webhook_run';

	/** Option: Unix time a runner last reported it was working (kicks are skipped meanwhile). */
	const HEARTBEAT_OPTION = 'tagbridge_webhook_runner_beat';

	/** Seconds a heartbeat counts as a live runner. */
	const BEAT_FRESH = 10;

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
	 * Builds the kicker.
	 *
	 * @param callable $key Returns the loopback key.
	 */
	public function __construct( callable $key ) {
		$this->key = $key;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'shutdown', array( $this, 'end_of_request' ), 60 );
	}

	/**
	 * The endpoint stored a webhook in this request.
	 */
	public function accepted() {
		$this->accepted = true;
	}

	/**
	 * End of a request that accepted webhooks: start a runner. The early entry has handed its
	 * answer over by now, so the kick costs its caller nothing; on the REST route the kick ends
	 * the same request after the answer was written.
	 */
	public function end_of_request() {
		if ( ! $this->accepted ) {
			return;
		}
		$this->accepted = false;
		$this->kick( time() );
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
		$this->beat( $now );
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_single_event( $now + 60, self::HOOK );
		}
		Loopback::start( self::HOOK, $this->key() );
	}

	/**
	 * The key the loopback request carries (and the runner's handler checks).
	 *
	 * @return string
	 */
	public function key() {
		return (string) call_user_func( $this->key );
	}

	/**
	 * A runner is working (or about to).
	 *
	 * @param int $now Unix time.
	 */
	public function beat( $now ) {
		update_option( self::HEARTBEAT_OPTION, $now, false );
	}

	/**
	 * The runner stopped: the next accepted webhook kicks a new one at once.
	 */
	public function stop() {
		delete_option( self::HEARTBEAT_OPTION );
	}
}
