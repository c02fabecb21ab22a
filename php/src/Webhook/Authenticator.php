<?php
/**
 * Who may call the webhook endpoint: the key (header `X-TagBridge-Key` or query `key`), or an
 * HMAC-SHA256 signature over timestamp and body (`X-TagBridge-Timestamp`, `X-TagBridge-Signature:
 * sha256=…`) within five minutes, each signature accepted once.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Security\SeenOnce;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Checks a request's credentials in constant time.
 */
final class Authenticator {

	/** Seconds a signed request stays valid either side of now (clock skew included). */
	const WINDOW = 300;

	/**
	 * Checks the credentials of one request.
	 *
	 * @param array<string, string> $headers   Lower-case header name (dashes as underscores) => value.
	 * @param string                $query_key The `key` query parameter, '' when absent.
	 * @param string                $body      Raw body.
	 * @param int                   $now       Unix time.
	 * @return true|WP_Error 401 when no credentials came, 403 when they are wrong.
	 */
	public function check( array $headers, $query_key, $body, $now ) {
		$signature = (string) ( $headers['x_tagbridge_signature'] ?? '' );
		if ( '' !== $signature ) {
			return $this->check_signature( $signature, (string) ( $headers['x_tagbridge_timestamp'] ?? '' ), $body, $now );
		}
		$key = (string) ( $headers['x_tagbridge_key'] ?? '' );
		if ( '' === $key ) {
			$key = (string) $query_key;
		}
		if ( '' === $key ) {
			return self::refuse( 'tagbridge_auth_missing', __( 'Missing key: send X-TagBridge-Key, key=, or a signature.', 'tagbridge' ), 401 );
		}
		if ( ! hash_equals( Secret::get(), $key ) ) {
			return self::refuse( 'tagbridge_auth_failed', __( 'Wrong key.', 'tagbridge' ), 403 );
		}
		return true;
	}

	/**
	 * HMAC mode.
	 *
	 * @param string $signature Header value, `sha256=<hex>`.
	 * @param string $timestamp Header value, Unix seconds.
	 * @param string $body      Raw body.
	 * @param int    $now       Unix time.
	 * @return true|WP_Error
	 */
	private function check_signature( $signature, $timestamp, $body, $now ) {
		if ( ! preg_match( '/^[0-9]{1,12}$/', $timestamp ) ) {
			return self::refuse( 'tagbridge_auth_missing', __( 'A signed request needs X-TagBridge-Timestamp (Unix seconds).', 'tagbridge' ), 401 );
		}
		if ( abs( $now - (int) $timestamp ) > self::WINDOW ) {
			return self::refuse( 'tagbridge_signature_expired', __( 'The signature timestamp is more than five minutes away from the server time.', 'tagbridge' ), 403 );
		}
		$given    = preg_match( '/^sha256=([0-9a-f]{64})$/', strtolower( $signature ), $m ) ? $m[1] : '';
		$expected = hash_hmac( 'sha256', $timestamp . '.' . $body, Secret::get() );
		if ( ! hash_equals( $expected, $given ) ) {
			return self::refuse( 'tagbridge_signature_invalid', __( 'Wrong signature.', 'tagbridge' ), 403 );
		}
		if ( ! SeenOnce::first_time( 'webhook', $given, $now, 2 * self::WINDOW ) ) {
			return self::refuse( 'tagbridge_signature_replayed', __( 'This signed request was already received.', 'tagbridge' ), 403 );
		}
		return true;
	}

	/**
	 * A refusal.
	 *
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 * @return WP_Error
	 */
	private static function refuse( $code, $message, $status ) {
		return new WP_Error( $code, $message, array( 'status' => $status ) );
	}
}
