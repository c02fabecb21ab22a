<?php
/**
 * TagBridge → Activity log: decisions and CRM calls, filterable by user and level.
 *
 * @package TagBridge
 */

namespace TagBridge\Admin;

use TagBridge\Log\Logger;

defined( 'ABSPATH' ) || exit;

/**
 * The activity log screen (read-only).
 */
final class LogScreen {

	/** Page slug. */
	const SLUG = 'tagbridge-log';

	/**
	 * Log.
	 *
	 * @var Logger
	 */
	private $log;

	/**
	 * Builds the screen.
	 *
	 * @param Logger $log Log.
	 */
	public function __construct( Logger $log ) {
		$this->log = $log;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'admin_menu', array( $this, 'menu' ) );
	}

	/**
	 * Adds the submenu under TagBridge.
	 */
	public function menu() {
		add_submenu_page( 'tagbridge', __( 'TagBridge activity log', 'tagbridge' ), __( 'Activity log', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * The filter from the query string (a GET view: no state changes, so no nonce).
	 *
	 * @return array{user_id: int, level: string, offset: int}
	 */
	public static function filter() {
		// phpcs:disable WordPress.Security.NonceVerification
		$level = isset( $_GET['level'] ) ? sanitize_key( wp_unslash( $_GET['level'] ) ) : '';
		return array(
			'user_id' => isset( $_GET['user_id'] ) ? absint( wp_unslash( $_GET['user_id'] ) ) : 0,
			'level'   => in_array( $level, Logger::LEVELS, true ) ? $level : '',
			'offset'  => isset( $_GET['offset'] ) ? absint( wp_unslash( $_GET['offset'] ) ) : 0,
		);
		// phpcs:enable
	}

	/**
	 * Renders the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$filter = self::filter();
		echo '<div class="wrap"><h1>' . esc_html__( 'TagBridge activity log', 'tagbridge' ) . '</h1>';
		echo '<form method="get"><input type="hidden" name="page" value="' . esc_attr( self::SLUG ) . '">';
		echo '<label>' . esc_html__( 'User ID', 'tagbridge' ) . ' <input type="number" min="0" name="user_id" value="' . esc_attr( $filter['user_id'] ? (string) $filter['user_id'] : '' ) . '"></label> ';
		echo '<label>' . esc_html__( 'Level', 'tagbridge' ) . ' <select name="level"><option value="">' . esc_html__( 'All', 'tagbridge' ) . '</option>';
		foreach ( Logger::LEVELS as $level ) {
			echo '<option value="' . esc_attr( $level ) . '"' . selected( $filter['level'], $level, false ) . '>' . esc_html( $level ) . '</option>';
		}
		echo '</select></label> ';
		submit_button( __( 'Filter', 'tagbridge' ), 'secondary', '', false );
		echo '</form><table class="widefat striped"><thead><tr>';
		foreach ( array( __( 'Time (UTC)', 'tagbridge' ), __( 'Level', 'tagbridge' ), __( 'User', 'tagbridge' ), __( 'Source', 'tagbridge' ), __( 'Code', 'tagbridge' ), __( 'Message', 'tagbridge' ), __( 'ms', 'tagbridge' ), __( 'Context', 'tagbridge' ) ) as $head ) {
			echo '<th>' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $this->log->query( $filter + array( 'limit' => 100 ) ) as $row ) {
			echo '<tr>';
			foreach ( array( 'created_at', 'level', 'user_id', 'source', 'code', 'message', 'duration_ms' ) as $col ) {
				echo '<td>' . esc_html( (string) $row[ $col ] ) . '</td>';
			}
			echo '<td><code>' . esc_html( (string) $row['context'] ) . '</code></td></tr>';
		}
		echo '</tbody></table></div>';
	}
}
