<?php
/**
 * Signed, timestamped requests between linked sites: HMAC-SHA256 with the pair's secret over the
 * link id, timestamp, a random nonce and the body; checked in constant time; a nonce is accepted
 * once (table `{prefix}tagbridge_seen_once`, shared with the webhooks), and a timestamp only within the window, so a
 * replayed request is refused. Sign-on tokens use the same nonce table for their one-time use.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Security\SeenOnce;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Signs and verifies site-to-site requests.
 */
final class Signer {

	/** Seconds a request's timestamp may differ from this site's clock (and nonces are kept). */
	const WINDOW = 300;

	/**
	 * Links.
	 *
	 * @var Links
	 */
	private $links;

	/**
	 * Builds the signer.
	 *
	 * @param Links $links Links.
	 */
	public function __construct( Links $links ) {
		$this->links = $links;
	}

	/**
	 * The signature of a message.
	 *
	 * @param string $secret Pair secret.
	 * @param string $link   Link id.
	 * @param int    $time   Timestamp.
	 * @param string $nonce  Nonce.
	 * @param string $body   Body.
	 * @return string
	 */
	public static function signature( $secret, $link, $time, $nonce, $body ) {
		return hash_hmac( 'sha256', $link . "\n" . $time . "\n" . $nonce . "\n" . $body, $secret );
	}

	/**
	 * Headers of a signed request.
	 *
	 * @param array  $link Link.
	 * @param string $body Body.
	 * @param int    $now  Unix time.
	 * @return array<string, string>
	 */
	public static function headers( array $link, $body, $now ) {
		$nonce = bin2hex( random_bytes( 16 ) );
		return array(
			'Content-Type'          => 'application/json',
			'X-TagBridge-Link'      => $link['id'],
			'X-TagBridge-Timestamp' => (string) $now,
			'X-TagBridge-Nonce'     => $nonce,
			'X-TagBridge-Signature' => self::signature( $link['secret'], $link['id'], $now, $nonce, $body ),
		);
	}

	/**
	 * Verifies a request: known link, fresh timestamp, valid signature, unseen nonce (in that
	 * order, so a forged request never fills the nonce table).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @param int              $now     Unix time.
	 * @return array|WP_Error The link, or why the request is refused (401/409).
	 */
	public function verify( \WP_REST_Request $request, $now ) {
		$link  = $this->links->get( (string) $request->get_header( 'X-TagBridge-Link' ) );
		$time  = (string) $request->get_header( 'X-TagBridge-Timestamp' );
		$nonce = (string) $request->get_header( 'X-TagBridge-Nonce' );
		$sig   = (string) $request->get_header( 'X-TagBridge-Signature' );
		if ( null === $link || ! ctype_digit( $time ) || ! preg_match( '/^[0-9a-f]{32}$/', $nonce ) ) {
			return self::refusal( 'tagbridge_unsigned', __( 'The request is not signed by a linked site.', 'tagbridge' ), 401 );
		}
		$stale = tagbridge_site_check_timestamp( $now, (int) $time, self::WINDOW );
		if ( null !== $stale ) {
			/* translators: %s: expired or from_the_future */
			return self::refusal( 'tagbridge_stale_request', sprintf( __( 'The request\'s timestamp is refused (%s).', 'tagbridge' ), $stale ), 401 );
		}
		if ( ! hash_equals( self::signature( $link['secret'], $link['id'], (int) $time, $nonce, $request->get_body() ), $sig ) ) {
			return self::refusal( 'tagbridge_bad_signature', __( 'The request\'s signature is wrong.', 'tagbridge' ), 401 );
		}
		if ( ! $this->use_once( $link['id'] . ':' . $nonce, $now ) ) {
			return self::refusal( 'tagbridge_replayed', __( 'This request was already received.', 'tagbridge' ), 409 );
		}
		return $link;
	}

	/**
	 * Records a one-time value; false when it was seen before.
	 *
	 * @param string $value Nonce or token id.
	 * @param int    $now   Unix time.
	 * @return bool
	 */
	public function use_once( $value, $now ) {
		return SeenOnce::first_time( 'site', $value, $now, 2 * self::WINDOW );
	}

	/**
	 * A refusal.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 * @return WP_Error
	 */
	private static function refusal( $code, $message, $status ) {
		return new WP_Error( $code, $message, array( 'status' => $status ) );
	}
}
