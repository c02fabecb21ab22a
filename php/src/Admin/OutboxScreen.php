<?php
/**
 * Tools → TagBridge → Outbox: pending and parked changes, with a nonce-protected "retry".
 *
 * @package TagBridge
 */

namespace TagBridge\Admin;

use TagBridge\Outbox\Outbox;

defined( 'ABSPATH' ) || exit;

/**
 * The outbox admin screen.
 */
final class OutboxScreen {

	/** Page slug. */
	const SLUG = 'tagbridge-outbox';

	/** admin-post action and nonce action of "retry". */
	const RETRY = 'tagbridge_outbox_retry';

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Builds the screen.
	 *
	 * @param Outbox $outbox Outbox.
	 */
	public function __construct( Outbox $outbox ) {
		$this->outbox = $outbox;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_post_' . self::RETRY, array( $this, 'handle_retry' ) );
	}

	/**
	 * Adds the submenu under TagBridge.
	 */
	public function menu() {
		add_submenu_page( 'tagbridge', __( 'TagBridge outbox', 'tagbridge' ), __( 'Outbox', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * "Retry": puts parked rows (one, or all) back in line. Nonce and capability checked first.
	 *
	 * @return int Rows requeued (the caller redirects).
	 */
	public function retry_from_request() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'tagbridge' ), 403 );
		}
		check_admin_referer( self::RETRY );
		$id = isset( $_POST['id'] ) ? absint( wp_unslash( $_POST['id'] ) ) : 0;
		return $this->outbox->requeue( $id > 0 ? array( $id ) : null );
	}

	/**
	 * admin-post handler.
	 */
	public function handle_retry() {
		$count = $this->retry_from_request();
		wp_safe_redirect( add_query_arg( 'requeued', $count, admin_url( 'admin.php?page=' . self::SLUG ) ) );
		exit;
	}

	/**
	 * Renders the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$counts = $this->outbox->counts();
		echo '<div class="wrap"><h1>' . esc_html__( 'TagBridge outbox', 'tagbridge' ) . '</h1>';
		if ( isset( $_GET['requeued'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification -- display only.
			/* translators: %d: number of changes */
			echo '<div class="notice notice-success"><p>' . esc_html( sprintf( __( '%d changes put back in line.', 'tagbridge' ), absint( $_GET['requeued'] ) ) ) . '</p></div>'; // phpcs:ignore WordPress.Security.NonceVerification
		}
		/* translators: 1: pending count, 2: parked count */
		echo '<p>' . esc_html( sprintf( __( '%1$d pending, %2$d parked.', 'tagbridge' ), $counts['pending'], $counts['parked'] ) ) . '</p>';
		foreach ( array( 'parked' => __( 'Parked (need a retry)', 'tagbridge' ), 'pending' => __( 'Pending', 'tagbridge' ) ) as $status => $title ) {
			echo '<h2>' . esc_html( $title ) . '</h2>';
			if ( 'parked' === $status && $counts['parked'] ) {
				$this->retry_form( 0, __( 'Retry all parked', 'tagbridge' ) );
			}
			echo '<table class="widefat striped"><thead><tr>';
			foreach ( array( __( 'ID', 'tagbridge' ), __( 'User', 'tagbridge' ), __( 'Attempts', 'tagbridge' ), __( 'Next attempt', 'tagbridge' ), __( 'Reason', 'tagbridge' ), __( 'Last error', 'tagbridge' ), '' ) as $head ) {
				echo '<th>' . esc_html( $head ) . '</th>';
			}
			echo '</tr></thead><tbody>';
			foreach ( $this->outbox->rows( $status ) as $row ) {
				echo '<tr><td>' . esc_html( $row['id'] ) . '</td><td>' . esc_html( $row['user_id'] ) . '</td><td>' . esc_html( $row['attempts'] ) . '</td><td>'
					. esc_html( gmdate( 'Y-m-d H:i:s', (int) $row['due_at'] ) ) . '</td><td>' . esc_html( $row['reason'] ) . '</td><td>' . esc_html( (string) $row['last_error'] ) . '</td><td>';
				if ( 'parked' === $status ) {
					$this->retry_form( (int) $row['id'], __( 'Retry', 'tagbridge' ) );
				}
				echo '</td></tr>';
			}
			echo '</tbody></table>';
		}
		echo '</div>';
	}

	/**
	 * A retry button.
	 *
	 * @param int    $id    Row id, 0 for all.
	 * @param string $label Button label.
	 */
	private function retry_form( $id, $label ) {
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		wp_nonce_field( self::RETRY );
		echo '<input type="hidden" name="action" value="' . esc_attr( self::RETRY ) . '"><input type="hidden" name="id" value="' . esc_attr( (string) $id ) . '">';
		submit_button( $label, 'secondary', 'submit', false );
		echo '</form>';
	}
}
