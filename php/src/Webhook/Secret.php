<?php
/**
 * The per-site webhook secret: 256 random bits, stored with autoload off, shown and rotated on the
 * Webhooks screen.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

defined( 'ABSPATH' ) || exit;

/**
 * Creates, reads and rotates the secret.
 */
final class Secret {

	/** Option holding the secret (autoload off: it is needed by webhooks only). */
	const OPTION = 'tagbridge_webhook_secret';

	/**
	 * The secret, created on first use (activation creates it too).
	 *
	 * @return string 64 hex characters.
	 */
	public static function get() {
		$secret = get_option( self::OPTION );
		if ( is_string( $secret ) && strlen( $secret ) >= 32 ) {
			return $secret;
		}
		// add_option inserts only when absent, so two first requests racing end up with one secret.
		add_option( self::OPTION, self::generate(), '', false );
		wp_cache_delete( self::OPTION, 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		return (string) get_option( self::OPTION );
	}

	/**
	 * Replaces the secret; the old one stops working at once.
	 *
	 * @return string The new secret.
	 */
	public static function rotate() {
		$secret = self::generate();
		update_option( self::OPTION, $secret, false );
		return $secret;
	}

	/**
	 * 256 random bits as hex.
	 *
	 * @return string
	 */
	private static function generate() {
		return bin2hex( random_bytes( 32 ) );
	}
}
