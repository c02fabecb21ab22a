<?php
/**
 * Sign-on handover: a logged-in user on this site follows a link to a linked site and arrives
 * logged in. The link carries a token bound to the user (email), the target site (its address)
 * and the pair, valid 60 seconds, usable once, signed with the pair's secret. No third-party
 * cookies, no hidden iframes: the target sets its own cookie on a top-level navigation.
 * Protected users are never signed in this way.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Makes and consumes sign-on tokens.
 */
final class Handover {

	/** Seconds a token is valid. */
	const TTL = 60;

	/**
	 * Links.
	 *
	 * @var Links
	 */
	private $links;

	/**
	 * Signer (one-time use).
	 *
	 * @var Signer
	 */
	private $signer;

	/**
	 * Protection.
	 *
	 * @var Protection
	 */
	private $protection;

	/**
	 * Builds the handover.
	 *
	 * @param Links      $links      Links.
	 * @param Signer     $signer     Signer.
	 * @param Protection $protection Protection.
	 */
	public function __construct( Links $links, Signer $signer, Protection $protection ) {
		$this->links      = $links;
		$this->signer     = $signer;
		$this->protection = $protection;
	}

	/**
	 * The shortcode: a link that signs the current user in on the linked site (a plain link for
	 * visitors).
	 *
	 * @param array|string $atts    Attributes.
	 * @param string|null  $content Link text.
	 * @return string
	 */
	public function shortcode( $atts, $content = null ) {
		$atts = shortcode_atts(
			array(
				'site' => '',
				'path' => '/',
			),
			$atts,
			'tagbridge_site_link'
		);
		$link = $this->links->get( (string) $atts['site'] );
		if ( null === $link ) {
			return '';
		}
		$url = is_user_logged_in() ? $this->url( $link['id'], get_current_user_id(), (string) $atts['path'], time() ) : $link['url'] . '/';
		$url = is_wp_error( $url ) ? $link['url'] . '/' : $url;
		return '<a href="' . esc_url( $url ) . '">' . esc_html( null === $content || '' === $content ? $link['url'] : $content ) . '</a>';
	}

	/**
	 * The handover address for a user to a linked site.
	 *
	 * @param string $link_id Link id.
	 * @param int    $user_id User.
	 * @param string $path    Path on the linked site to arrive at.
	 * @param int    $now     Unix time.
	 * @return string|WP_Error
	 */
	public function url( $link_id, $user_id, $path, $now ) {
		$link = $this->links->get( $link_id );
		$user = get_userdata( (int) $user_id );
		if ( null === $link || ! $user ) {
			return new WP_Error( 'tagbridge_unknown_site', __( 'No such linked site or user.', 'tagbridge' ), array( 'status' => 404 ) );
		}
		$payload = self::b64(
			(string) wp_json_encode(
				array(
					'l' => $link['id'],
					'e' => $user->user_email,
					'a' => $link['url'],
					'x' => $now + self::TTL,
					'j' => bin2hex( random_bytes( 16 ) ),
					'p' => '/' . ltrim( (string) $path, '/' ),
				)
			)
		);
		$token = $payload . '.' . hash_hmac( 'sha256', 'handover|' . $payload, $link['secret'] );
		return add_query_arg( 'token', rawurlencode( $token ), $link['url'] . '/wp-json/tagbridge/v1/sites/login' );
	}

	/**
	 * Consumes a token on the target site: the user to sign in and where to send them.
	 *
	 * @param string $token Token.
	 * @param int    $now   Unix time.
	 * @return array{user: \WP_User, path: string}|WP_Error Refusals are 403 and change nothing.
	 */
	public function consume( $token, $now ) {
		$refused = new WP_Error( 'tagbridge_handover_refused', __( 'This sign-on link is not valid: it is forged, expired or already used.', 'tagbridge' ), array( 'status' => 403 ) );
		$parts   = explode( '.', (string) $token );
		if ( 2 !== count( $parts ) ) {
			return $refused;
		}
		$data = json_decode( (string) base64_decode( strtr( $parts[0], '-_', '+/' ), true ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		$link = is_array( $data ) && isset( $data['l'] ) ? $this->links->get( (string) $data['l'] ) : null;
		if ( null === $link || ! hash_equals( hash_hmac( 'sha256', 'handover|' . $parts[0], $link['secret'] ), $parts[1] ) ) {
			return $refused;
		}
		if ( ! isset( $data['e'], $data['a'], $data['x'], $data['j'], $data['p'] ) || untrailingslashit( home_url() ) !== $data['a']
			|| ! is_int( $data['x'] ) || $data['x'] < $now || $data['x'] > $now + self::TTL ) {
			return $refused;
		}
		if ( ! $this->signer->use_once( 'handover:' . $data['j'], $now ) ) {
			return $refused;
		}
		$user = get_user_by( 'email', (string) $data['e'] );
		if ( ! $user || $this->protection->user( $user, $this->protection->roles() ) ) {
			return $refused;
		}
		return array(
			'user' => $user,
			'path' => '/' . ltrim( (string) $data['p'], '/' ),
		);
	}

	/**
	 * URL-safe base64.
	 *
	 * @param string $text Text.
	 * @return string
	 */
	private static function b64( $text ) {
		return rtrim( strtr( base64_encode( $text ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}
}
