<?php
/**
 * Admin notices that survive a redirect (Members redirects and exits right after saving a role).
 *
 * @package TagBridge
 */

namespace TagBridge\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Per-user queue of notices, kept in a short-lived transient and shown once.
 */
final class Notices {

	/**
	 * Registers the display.
	 */
	public function register() {
		add_action( 'admin_notices', array( $this, 'render' ) );
	}

	/**
	 * Queues a notice for the current user.
	 *
	 * @param string $type    'error', 'warning', 'success' or 'info'.
	 * @param string $message Plain text.
	 */
	public function add( $type, $message ) {
		$user = get_current_user_id();
		if ( ! $user ) {
			return;
		}
		$queue   = $this->queue( $user );
		$queue[] = array(
			'type'    => $type,
			'message' => $message,
		);
		set_transient( self::key( $user ), $queue, 10 * MINUTE_IN_SECONDS );
	}

	/**
	 * The current user's queued notices (without consuming them).
	 *
	 * @return array<int, array{type: string, message: string}>
	 */
	public function pending() {
		return $this->queue( get_current_user_id() );
	}

	/**
	 * Prints and clears the current user's notices.
	 */
	public function render() {
		$user  = get_current_user_id();
		$queue = $this->queue( $user );
		if ( ! $queue ) {
			return;
		}
		delete_transient( self::key( $user ) );
		foreach ( $queue as $notice ) {
			$type = in_array( $notice['type'], array( 'error', 'warning', 'success', 'info' ), true ) ? $notice['type'] : 'info';
			printf( '<div class="notice notice-%1$s is-dismissible"><p>%2$s</p></div>', esc_attr( $type ), esc_html( $notice['message'] ) );
		}
	}

	/**
	 * A user's queue.
	 *
	 * @param int $user User id.
	 * @return array
	 */
	private function queue( $user ) {
		$queue = $user ? get_transient( self::key( $user ) ) : array();
		return is_array( $queue ) ? $queue : array();
	}

	/**
	 * Transient key of a user's queue.
	 *
	 * @param int $user User id.
	 * @return string
	 */
	private static function key( $user ) {
		return 'tagbridge_notices_' . (int) $user;
	}
}
