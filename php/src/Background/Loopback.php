<?php
/**
 * Background runs started by a non-blocking request from the site to itself.
 *
 * @package TagBridge
 */

namespace TagBridge\Background;

defined( 'ABSPATH' ) || exit;

/**
 * WP-Cron alone waits for a visitor, so the queues (CRM outbox, inbound webhooks, linked sites)
 * also start a run at once with a loopback request to admin-ajax.php carrying a random key, which
 * the handler checks in constant time before doing anything.
 */
final class Loopback {

	/**
	 * The key stored in `$option`, created on first use (64 hex characters, never autoloaded).
	 *
	 * @param string $option Option name.
	 * @return string
	 */
	public static function key( $option ) {
		$key = get_option( $option );
		if ( ! is_string( $key ) || strlen( $key ) < 32 ) {
			$key = bin2hex( random_bytes( 32 ) );
			update_option( $option, $key, false );
		}
		return $key;
	}

	/**
	 * Fires the loopback request and returns at once.
	 *
	 * @param string $action admin-ajax action.
	 * @param string $key    Key the handler expects.
	 */
	public static function start( $action, $key ) {
		wp_remote_post(
			admin_url( 'admin-ajax.php' ),
			array(
				'blocking'  => false,
				'timeout'   => 0.5,
				'sslverify' => apply_filters( 'https_local_ssl_verify', false ),
				'headers'   => array( 'Content-Type' => 'application/x-www-form-urlencoded' ),
				// Encoded here: WordPress 6.1's Requests raises a PHP 8.2 deprecation encoding arrays itself.
				'body'      => http_build_query(
					array(
						'action' => $action,
						'key'    => $key,
					),
					'',
					'&'
				),
			)
		);
	}

	/**
	 * In the handler: answers 403 and stops unless the request carries `$key`; otherwise lets the
	 * run go on after the caller hung up.
	 *
	 * @param string $key The expected key.
	 */
	public static function authorise( $key ) {
		$given = isset( $_POST['key'] ) ? sanitize_text_field( wp_unslash( $_POST['key'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- authenticated by the key.
		if ( ! hash_equals( (string) $key, $given ) ) {
			wp_send_json_error( null, 403 );
		}
		ignore_user_abort( true );
	}
}
