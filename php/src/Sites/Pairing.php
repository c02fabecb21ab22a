<?php
/**
 * Pairing two sites with a one-time code. The administrator of site A creates a code (128 bits,
 * valid 15 minutes, one at a time); the administrator of site B enters A's address and the code.
 * B sends one handshake signed with a key derived from the code and its random nonce; A checks it,
 * burns the code (only one request can delete it) and answers with the pair id, its own nonce and
 * a proof. Both derive the pair secret from the code and both nonces: the secret itself never
 * travels, and someone who saw the handshake without knowing the code cannot derive it.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Pairing codes and the pairing handshake (both sides).
 */
final class Pairing {

	/** Option holding the current code's key and expiry (never the code). */
	const OPTION = 'tagbridge_site_pairing';

	/** Seconds a pairing code is valid. */
	const TTL = 900;

	/**
	 * Links.
	 *
	 * @var Links
	 */
	private $links;

	/**
	 * Builds the pairing.
	 *
	 * @param Links $links Links.
	 */
	public function __construct( Links $links ) {
		$this->links = $links;
	}

	/**
	 * The HMAC key derived from a code.
	 *
	 * @param string $code Pairing code.
	 * @return string
	 */
	private static function key( $code ) {
		return hash( 'sha256', 'tagbridge-pair|' . $code );
	}

	/**
	 * Whether a text is an http(s) site address (loopback and private hosts allowed: linked sites
	 * may share a network).
	 *
	 * @param string $url Address.
	 * @return bool
	 */
	private static function is_site_url( $url ) {
		$parts = wp_parse_url( $url );
		return is_array( $parts ) && isset( $parts['scheme'], $parts['host'] ) && in_array( $parts['scheme'], array( 'http', 'https' ), true ) && ! isset( $parts['user'] ) && ! isset( $parts['query'] );
	}

	/**
	 * The pair secret both sides derive.
	 *
	 * @param string $key     Code key.
	 * @param string $id      Pair id.
	 * @param string $nonce_a A's nonce.
	 * @param string $nonce_b B's nonce.
	 * @return string
	 */
	private static function secret( $key, $id, $nonce_a, $nonce_b ) {
		return hash_hmac( 'sha256', 'secret|' . $id . '|' . $nonce_a . '|' . $nonce_b, $key );
	}

	/**
	 * Site A: creates a new code (replacing any earlier one). Shown once to the administrator.
	 *
	 * @param int $now Unix time.
	 * @return array{code: string, expires: int}
	 */
	public function create_code( $now ) {
		$code = implode( '-', str_split( bin2hex( random_bytes( 16 ) ), 8 ) );
		// Delete then add: another request (the handshake) may have deleted the row this process still caches.
		delete_option( self::OPTION );
		wp_cache_delete( self::OPTION, 'options' );
		add_option(
			self::OPTION,
			array(
				'key'     => self::key( $code ),
				'expires' => $now + self::TTL,
			),
			'',
			false
		);
		return array(
			'code'    => $code,
			'expires' => $now + self::TTL,
		);
	}

	/**
	 * Site A: answers a handshake.
	 *
	 * @param string $body      Raw JSON body `{url, nonce, ts}`.
	 * @param string $signature Hex HMAC of the body with the code key.
	 * @param int    $now       Unix time.
	 * @return array|WP_Error `{id, url, nonce, proof}`, or the refusal.
	 */
	public function accept( $body, $signature, $now ) {
		$data = json_decode( $body, true );
		if ( ! is_array( $data ) || ! isset( $data['url'], $data['nonce'], $data['ts'] ) || ! is_string( $data['url'] ) || ! is_string( $data['nonce'] ) || ! is_int( $data['ts'] )
			|| ! preg_match( '/^[0-9a-f]{32}$/', $data['nonce'] ) || ! self::is_site_url( $data['url'] ) ) {
			return new WP_Error( 'tagbridge_invalid_pairing', __( 'The pairing request is malformed.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$pending = get_option( self::OPTION );
		if ( ! is_array( $pending ) || ! isset( $pending['key'], $pending['expires'] ) ) {
			return new WP_Error( 'tagbridge_pairing_refused', __( 'There is no pairing code waiting on this site (it was used, replaced or never created).', 'tagbridge' ), array( 'status' => 403 ) );
		}
		if ( $pending['expires'] < $now ) {
			delete_option( self::OPTION );
			return new WP_Error( 'tagbridge_pairing_expired', __( 'The pairing code has expired: create a new one.', 'tagbridge' ), array( 'status' => 403 ) );
		}
		if ( ! hash_equals( hash_hmac( 'sha256', $body, $pending['key'] ), (string) $signature ) || null !== tagbridge_site_check_timestamp( $now, $data['ts'], Signer::WINDOW ) ) {
			return new WP_Error( 'tagbridge_pairing_refused', __( 'The pairing code is wrong.', 'tagbridge' ), array( 'status' => 403 ) );
		}
		if ( ! delete_option( self::OPTION ) ) {
			return new WP_Error( 'tagbridge_pairing_refused', __( 'The pairing code was just used.', 'tagbridge' ), array( 'status' => 403 ) );
		}
		$id      = bin2hex( random_bytes( 8 ) );
		$nonce_a = bin2hex( random_bytes( 16 ) );
		$secret  = self::secret( $pending['key'], $id, $nonce_a, $data['nonce'] );
		$this->links->add( $id, $data['url'], $secret );
		return array(
			'id'    => $id,
			'url'   => home_url(),
			'nonce' => $nonce_a,
			'proof' => hash_hmac( 'sha256', 'proof|' . $id . '|' . home_url(), $secret ),
		);
	}

	/**
	 * Site B: links to site A with A's address and code.
	 *
	 * @param string $url  Site A's address.
	 * @param string $code The code shown on site A.
	 * @param int    $now  Unix time.
	 * @return array|WP_Error The new link (without its secret), or what went wrong.
	 */
	public function connect( $url, $code, $now ) {
		$url  = untrailingslashit( esc_url_raw( trim( (string) $url ) ) );
		$code = strtolower( trim( (string) $code ) );
		if ( ! self::is_site_url( $url ) || ! preg_match( '/^[0-9a-f]{8}(-[0-9a-f]{8}){3}$/', $code ) ) {
			return new WP_Error( 'tagbridge_invalid_pairing', __( 'Enter the other site\'s address and the pairing code shown there (four groups of 8 characters).', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$key      = self::key( $code );
		$nonce_b  = bin2hex( random_bytes( 16 ) );
		$body     = (string) wp_json_encode(
			array(
				'url'   => home_url(),
				'nonce' => $nonce_b,
				'ts'    => $now,
			)
		);
		$response = wp_remote_post(
			$url . '/wp-json/tagbridge/v1/sites/pair',
			array(
				'timeout'     => 15,
				'redirection' => 0,
				'headers'     => array(
					'Content-Type'          => 'application/json',
					'X-TagBridge-Signature' => hash_hmac( 'sha256', $body, $key ),
				),
				'body'        => $body,
			)
		);
		if ( is_wp_error( $response ) ) {
			/* translators: %s: error message */
			return new WP_Error( 'tagbridge_pairing_failed', sprintf( __( 'The other site could not be reached: %s', 'tagbridge' ), $response->get_error_message() ), array( 'status' => 502 ) );
		}
		$answer = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 !== (int) wp_remote_retrieve_response_code( $response ) || ! is_array( $answer ) ) {
			$message = is_array( $answer ) && isset( $answer['message'] ) && is_string( $answer['message'] ) ? $answer['message'] : __( 'not a TagBridge site', 'tagbridge' );
			/* translators: %s: the other site's message */
			return new WP_Error( 'tagbridge_pairing_failed', sprintf( __( 'The other site refused the pairing: %s', 'tagbridge' ), $message ), array( 'status' => 502 ) );
		}
		$id      = isset( $answer['id'] ) && is_string( $answer['id'] ) && preg_match( '/^[0-9a-f]{16}$/', $answer['id'] ) ? $answer['id'] : '';
		$nonce_a = isset( $answer['nonce'] ) && is_string( $answer['nonce'] ) ? $answer['nonce'] : '';
		$secret  = self::secret( $key, $id, $nonce_a, $nonce_b );
		$peer    = isset( $answer['url'] ) && is_string( $answer['url'] ) ? $answer['url'] : '';
		$proof   = isset( $answer['proof'] ) && is_string( $answer['proof'] ) ? $answer['proof'] : '';
		if ( '' === $id || ! hash_equals( hash_hmac( 'sha256', 'proof|' . $id . '|' . $peer, $secret ), $proof ) ) {
			return new WP_Error( 'tagbridge_pairing_failed', __( 'The other site\'s answer is not signed with the pairing code.', 'tagbridge' ), array( 'status' => 502 ) );
		}
		$this->links->add( $id, $peer, $secret );
		$link = $this->links->get( $id );
		unset( $link['secret'] );
		return $link;
	}
}
