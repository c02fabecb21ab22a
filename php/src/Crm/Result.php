<?php
/**
 * The typed outcome of one CRM call.
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

defined( 'ABSPATH' ) || exit;

/**
 * Success with a value, or a failure of a known kind that the outbox knows how to treat.
 */
final class Result {

	/** The call did what was asked. */
	const OK = 'ok';
	/** The contact (or tag) does not exist. */
	const NOT_FOUND = 'not_found';
	/** Creating would duplicate an existing contact. */
	const DUPLICATE = 'duplicate';
	/** The CRM asked us to slow down; see $retry_after. */
	const RATE_LIMITED = 'rate_limited';
	/** Credentials refused or lacking permission: retrying will not help until settings change. */
	const AUTH_FAILED = 'auth_failed';
	/** Timeout, connection refused, 5xx: worth retrying. */
	const TRANSIENT = 'transient';
	/** The CRM refused the request itself: retrying the same request will fail again. */
	const PERMANENT = 'permanent';

	/**
	 * One of the constants above.
	 *
	 * @var string
	 */
	public $status;

	/**
	 * The answer of a successful call.
	 *
	 * @var mixed
	 */
	public $value;

	/**
	 * What went wrong, for the log and the admin (never contains credentials).
	 *
	 * @var string
	 */
	public $message;

	/**
	 * Seconds the CRM asked us to wait (RATE_LIMITED), else null.
	 *
	 * @var int|null
	 */
	public $retry_after;

	/**
	 * Use ok() or error().
	 *
	 * @param string   $status      Status.
	 * @param mixed    $value       Value.
	 * @param string   $message     Message.
	 * @param int|null $retry_after Retry-after seconds.
	 */
	private function __construct( $status, $value, $message, $retry_after ) {
		$this->status      = $status;
		$this->value       = $value;
		$this->message     = $message;
		$this->retry_after = $retry_after;
	}

	/**
	 * A success.
	 *
	 * @param mixed $value The answer.
	 * @return Result
	 */
	public static function ok( $value = null ) {
		return new self( self::OK, $value, '', null );
	}

	/**
	 * A failure.
	 *
	 * @param string   $status      One of the failure constants.
	 * @param string   $message     What went wrong.
	 * @param int|null $retry_after Seconds to wait, when the CRM said.
	 * @return Result
	 */
	public static function error( $status, $message, $retry_after = null ) {
		return new self( $status, null, $message, $retry_after );
	}

	/**
	 * True on success.
	 *
	 * @return bool
	 */
	public function is_ok() {
		return self::OK === $this->status;
	}

	/**
	 * True when the same call may succeed later without a settings change.
	 *
	 * @return bool
	 */
	public function is_retryable() {
		return self::TRANSIENT === $this->status || self::RATE_LIMITED === $this->status;
	}
}
