<?php
/**
 * Delivers one claimed user's pending changes through the CRM.
 *
 * @package TagBridge
 */

namespace TagBridge\Outbox;

use TagBridge\Crm\Crm;
use TagBridge\Crm\Result;
use TagBridge\Engine\Engine;
use TagBridge\Log\Logger;

defined( 'ABSPATH' ) || exit;

/**
 * Rows → engine (coalesce) → CRM calls → rows deleted, rescheduled (engine's schedule) or parked.
 *
 * Create first: a contact whose id is not known yet is created with the fields and the tags to
 * apply in one call, with no lookup before it. The CRM refuses a create for an email it already
 * has (DUPLICATE, nothing changed); only then is the contact looked up by email and the changes
 * sent to it, coalesced again for a known contact. So a new contact costs one request, a contact
 * the CRM already had is never overwritten wholesale (its subscription status stays as it is),
 * and a create that timed out after succeeding is found by its retry, never made twice.
 *
 * Idempotent by construction: the contact id is stored the moment it is known, and a retry
 * re-sends the net state of every row still pending — never an older state over a newer one,
 * because a user's rows are only delivered together and in order.
 */
final class Deliverer {

	/** User meta key prefix of the contact id (suffixed with the CRM's id()). */
	const CONTACT_META = 'tagbridge_contact_id_';

	/**
	 * The CRM once built (or why there is none).
	 *
	 * @var Crm|\WP_Error|null
	 */
	private $crm = null;

	/**
	 * Builds the CRM on first use.
	 *
	 * @var callable
	 */
	private $crm_provider;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Extension wrapper.
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
	 * Builds the deliverer.
	 *
	 * @param callable $crm    Returns the configured Crm, or a WP_Error saying why there is none
	 *                         (called once, when the first delivery needs it: a page view that
	 *                         delivers nothing never builds an adapter).
	 * @param Outbox   $outbox Outbox.
	 * @param Engine   $engine Extension wrapper.
	 * @param Logger   $log    Log.
	 */
	public function __construct( callable $crm, Outbox $outbox, Engine $engine, Logger $log ) {
		$this->crm_provider = $crm;
		$this->outbox = $outbox;
		$this->engine = $engine;
		$this->log    = $log;
	}

	/**
	 * The configured CRM, built on first use.
	 *
	 * @return Crm|\WP_Error
	 */
	private function crm() {
		if ( null === $this->crm ) {
			$this->crm = call_user_func( $this->crm_provider );
		}
		return $this->crm;
	}

	/**
	 * Delivers a claimed user's due rows.
	 *
	 * @param int $user_id User (claimed by the caller).
	 * @param int $now     Unix time.
	 * @return array{outcome: string, rows: int, delay?: int} `delivered`, `retry`, `parked` or `none`.
	 */
	public function deliver( $user_id, $now ) {
		$rows = $this->outbox->pending_rows( $user_id );
		if ( ! $rows ) {
			return array(
				'outcome' => 'none',
				'rows'    => 0,
			);
		}
		foreach ( $rows as $row ) {
			// Another worker rescheduled this user after we listed them: not due yet.
			if ( $row['due_at'] > $now ) {
				return array(
					'outcome' => 'none',
					'rows'    => 0,
				);
			}
		}
		$changes = array();
		foreach ( $rows as $row ) {
			$changes[] = array( 'id' => $row['id'] ) + $row['change'];
		}
		$ids      = array_column( $rows, 'id' );
		$attempts = max( array_column( $rows, 'attempts' ) );
		try {
			$result = $this->send( $user_id, $changes );
		} catch ( \Throwable $e ) {
			// A broken adapter must not lose the rows: count it as a transient failure.
			$result = array( Result::error( Result::TRANSIENT, get_class( $e ) . ': ' . $e->getMessage() ), null );
		}
		list( $outcome, $delivery ) = $result;
		if ( $outcome->is_ok() ) {
			$this->outbox->complete( $ids );
			$change = array(
				'fields'      => $delivery['fields'],
				'apply_tags'  => $delivery['apply_tags'],
				'remove_tags' => $delivery['remove_tags'],
			);
			$this->log->log(
				'info',
				'outbox',
				'delivered',
				/* translators: %d: number of queued changes */
				sprintf( _n( 'Delivered %d queued change.', 'Delivered %d queued changes coalesced into one delivery.', count( $ids ), 'tagbridge' ), count( $ids ) ),
				$user_id,
				array(
					'rows'        => $ids,
					'fields'      => array_keys( $change['fields'] ),
					'apply_tags'  => $change['apply_tags'],
					'remove_tags' => $change['remove_tags'],
				)
			);
			/**
			 * Fires after a user's queued changes reached the CRM.
			 *
			 * @param int   $user_id User.
			 * @param array $change  The net change delivered: {fields, apply_tags, remove_tags}.
			 */
			do_action( 'tagbridge_outbox_delivered', $user_id, $change );
			return array(
				'outcome' => 'delivered',
				'rows'    => count( $ids ),
			);
		}
		return $this->failed( $user_id, $ids, $attempts + 1, $outcome, $now );
	}

	/**
	 * Records a failed attempt as the engine's schedule decides.
	 *
	 * @param int    $user_id User.
	 * @param int[]  $ids     Rows.
	 * @param int    $attempt Attempt number that failed.
	 * @param Result $result  The failure.
	 * @param int    $now     Unix time.
	 * @return array{outcome: string, rows: int, delay?: int}
	 */
	private function failed( $user_id, array $ids, $attempt, Result $result, $now ) {
		$decision = $this->engine->schedule( min( $ids ), $attempt, $result->status, $result->retry_after );
		if ( 'park' === $decision['action'] ) {
			$this->outbox->park( $ids, $attempt, (string) $decision['reason'], $result->message );
			$this->log->log( 'error', 'outbox', 'parked:' . $decision['reason'], $result->message, $user_id, array( 'rows' => $ids ) );
			return array(
				'outcome' => 'parked',
				'rows'    => count( $ids ),
			);
		}
		$delay = (int) $decision['delay'];
		$this->outbox->reschedule( $ids, $attempt, $now + $delay, $result->message );
		$this->log->log(
			'warning',
			'outbox',
			'retry:' . $result->status,
			/* translators: 1: attempt number, 2: seconds */
			sprintf( __( 'Attempt %1$d failed; next attempt in %2$d s.', 'tagbridge' ), $attempt, $delay ),
			$user_id,
			array( 'rows' => $ids )
		);
		return array(
			'outcome' => 'retry',
			'rows'    => count( $ids ),
			'delay'   => $delay,
		);
	}

	/**
	 * Creates the contact or sends to the known one, and makes the delivery's calls.
	 *
	 * @param int   $user_id User.
	 * @param array $changes Changes with ids.
	 * @return array{0: Result, 1: array|null} Outcome and the delivery.
	 */
	private function send( $user_id, array $changes ) {
		$user = get_userdata( $user_id );
		if ( ! $user ) {
			return array( Result::error( Result::PERMANENT, __( 'The user no longer exists.', 'tagbridge' ) ), null );
		}
		$crm = $this->crm();
		if ( is_wp_error( $crm ) ) {
			// Not connected (yet): keep everything queued and try again later.
			return array( Result::error( Result::TRANSIENT, $crm->get_error_message() ), null );
		}
		$key      = self::CONTACT_META . $crm->id();
		$contact  = (string) get_user_meta( $user_id, $key, true );
		$combined = $crm->supports_combined_update();
		$delivery = $this->engine->coalesce( $changes, '' !== $contact, $combined );
		$calls    = $delivery['calls'];
		while ( $calls ) {
			$call = array_shift( $calls );
			if ( 'create' !== $call['op'] ) {
				$result = $this->make_call( $user_id, $contact, $call );
			} else {
				$result = $this->call( $user_id, 'create_contact', array( $user->user_email, $call['fields'], $call['apply_tags'] ) );
				if ( Result::DUPLICATE === $result->status ) {
					// The CRM has this email (a contact of its own, or our create whose answer was
					// lost) and changed nothing: find it and send the changes to it instead.
					$result = $this->call( $user_id, 'find_contact', array( $user->user_email ) );
					if ( $result->is_ok() ) {
						$delivery = $this->engine->coalesce( $changes, true, $combined );
						$calls    = $delivery['calls'];
					}
				}
				if ( $result->is_ok() ) {
					$contact = (string) $result->value;
					update_user_meta( $user_id, $key, $contact );
				}
			}
			if ( ! $result->is_ok() ) {
				if ( Result::NOT_FOUND === $result->status ) {
					// Deleted or merged in the CRM: create it (or find it) again next attempt.
					delete_user_meta( $user_id, $key );
				}
				return array( $result, $delivery );
			}
		}
		return array( Result::ok(), $delivery );
	}

	/**
	 * Makes one call of a delivery to a known contact.
	 *
	 * @param int    $user_id User.
	 * @param string $contact Contact id.
	 * @param array  $call    Call from the engine.
	 * @return Result
	 */
	private function make_call( $user_id, $contact, array $call ) {
		switch ( $call['op'] ) {
			case 'update':
				return $this->call( $user_id, 'update_contact', array( $contact, $call['fields'] ) );
			case 'apply':
				return $this->call( $user_id, 'apply_tags', array( $contact, $call['tags'] ) );
			case 'remove':
				return $this->call( $user_id, 'remove_tags', array( $contact, $call['tags'] ) );
			default:
				return $this->call( $user_id, 'update_combined', array( $contact, $call['fields'], $call['apply_tags'], $call['remove_tags'] ) );
		}
	}

	/**
	 * Calls the CRM and logs the call with its outcome and timing (field names, never values).
	 *
	 * @param int    $user_id User.
	 * @param string $method  Crm method.
	 * @param array  $args    Arguments.
	 * @return Result
	 */
	private function call( $user_id, $method, array $args ) {
		$started = microtime( true );
		$result  = $this->crm()->$method( ...$args );
		if ( ! $result instanceof Result ) {
			$result = Result::error( Result::TRANSIENT, $method . ' returned no Result' );
		}
		$context = array();
		foreach ( $args as $arg ) {
			if ( is_array( $arg ) && $arg ) {
				$context[] = array_is_list( $arg ) ? $arg : array_keys( $arg );
			}
		}
		$this->log->crm_call( $user_id, $method, $result, $started, $context ? array( 'args' => $context ) : array() );
		return $result;
	}
}
