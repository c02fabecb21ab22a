<?php
/**
 * The Connection screen (TagBridge → Connection): choose the CRM, enter FluentCRM credentials,
 * test them; and the admin notice shown when the site's address changed since connecting.
 *
 * Hooks (registered by register()):
 *   admin_menu                          add the submenu page under `tagbridge`
 *   admin_post_tagbridge_connection     save or test the form
 *   admin_post_tagbridge_confirm_site   confirm this site after a move
 *   admin_notices                       "TagBridge stopped sending to the CRM ..."
 *
 * @package TagBridge
 */

namespace TagBridge\Admin;

use TagBridge\Crm\Connection;
use TagBridge\Crm\ConnectionTest;

defined( 'ABSPATH' ) || exit;

/**
 * Connection screen and site-moved notice.
 */
final class ConnectionPage {

	/** Page slug. */
	const SLUG = 'tagbridge-connection';

	/** Nonce action of the form. */
	const NONCE = 'tagbridge_connection';

	/** Nonce action of the confirm button. */
	const CONFIRM_NONCE = 'tagbridge_confirm_site';

	/**
	 * Registers the hooks.
	 */
	public function register() {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_post_tagbridge_connection', array( $this, 'handle_form' ) );
		add_action( 'admin_post_tagbridge_confirm_site', array( $this, 'handle_confirm' ) );
		add_action( 'admin_notices', array( $this, 'site_moved_notice' ) );
	}

	/**
	 * Adds the page under TagBridge's menu.
	 */
	public function add_page() {
		add_submenu_page( 'tagbridge', __( 'TagBridge CRM connection', 'tagbridge' ), __( 'Connection', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * admin-post: saves or tests, then returns to the page with the outcome.
	 */
	public function handle_form() {
		$this->finish( $this->process_form( wp_unslash( $_POST ) ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- process_form() checks the nonce.
	}

	/**
	 * admin-post: confirms this site, then returns to the page.
	 */
	public function handle_confirm() {
		$this->finish( $this->process_confirm( wp_unslash( $_POST ) ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- process_confirm() checks the nonce.
	}

	/**
	 * Checks capability and nonce, then saves or tests the posted connection.
	 *
	 * @param array $post Unslashed $_POST.
	 * @return array{ok: bool, message: string}
	 */
	public function process_form( array $post ) {
		$denied = self::denied( $post, self::NONCE );
		if ( null !== $denied ) {
			return $denied;
		}
		$input = array(
			'type'     => sanitize_key( (string) ( $post['tagbridge_type'] ?? '' ) ),
			'url'      => sanitize_text_field( (string) ( $post['tagbridge_url'] ?? '' ) ),
			'username' => sanitize_text_field( (string) ( $post['tagbridge_username'] ?? '' ) ),
			// Not sanitize_text_field(): it could alter a password. Connection::check() validates it.
			'password' => is_string( $post['tagbridge_password'] ?? null ) ? $post['tagbridge_password'] : '',
		);
		if ( 'test' === ( $post['tagbridge_do'] ?? '' ) ) {
			$test = ConnectionTest::run( $input );
			return array(
				'ok'      => $test['ok'],
				'message' => $test['message'],
			);
		}
		$saved = Connection::save( $input );
		return array(
			'ok'      => ! is_wp_error( $saved ),
			'message' => is_wp_error( $saved ) ? $saved->get_error_message() : __( 'Connection saved.', 'tagbridge' ),
		);
	}

	/**
	 * Checks capability and nonce, then confirms this site.
	 *
	 * @param array $post Unslashed $_POST.
	 * @return array{ok: bool, message: string}
	 */
	public function process_confirm( array $post ) {
		$denied = self::denied( $post, self::CONFIRM_NONCE );
		if ( null !== $denied ) {
			return $denied;
		}
		Connection::confirm_site();
		return array(
			'ok'      => true,
			'message' => __( 'This site is confirmed: TagBridge sends to the CRM again.', 'tagbridge' ),
		);
	}

	/**
	 * The page.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$settings = Connection::get();
		$notice   = get_transient( self::notice_key() );
		delete_transient( self::notice_key() );
		?>
		<div class="wrap">
			<h1><?php esc_html_e( 'CRM connection', 'tagbridge' ); ?></h1>
			<?php if ( is_array( $notice ) ) : ?>
				<div class="notice <?php echo $notice['ok'] ? 'notice-success' : 'notice-error'; ?>"><p><?php echo esc_html( $notice['message'] ); ?></p></div>
			<?php endif; ?>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="tagbridge_connection">
				<?php wp_nonce_field( self::NONCE ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><?php esc_html_e( 'CRM', 'tagbridge' ); ?></th>
						<td>
							<label><input type="radio" name="tagbridge_type" value="embedded" <?php checked( 'embedded', $settings['type'] ); ?>> <?php esc_html_e( 'Embedded (tags kept by this site, no external service)', 'tagbridge' ); ?></label><br>
							<label><input type="radio" name="tagbridge_type" value="fluentcrm" <?php checked( 'fluentcrm', $settings['type'] ); ?>> <?php esc_html_e( 'FluentCRM (REST API of a WordPress site running FluentCRM)', 'tagbridge' ); ?></label>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="tagbridge_url"><?php esc_html_e( 'FluentCRM site address', 'tagbridge' ); ?></label></th>
						<td><input type="url" class="regular-text" id="tagbridge_url" name="tagbridge_url" value="<?php echo esc_attr( $settings['url'] ); ?>" placeholder="https://crm.example.com"></td>
					</tr>
					<tr>
						<th scope="row"><label for="tagbridge_username"><?php esc_html_e( 'User name', 'tagbridge' ); ?></label></th>
						<td><input type="text" class="regular-text" id="tagbridge_username" name="tagbridge_username" value="<?php echo esc_attr( $settings['username'] ); ?>" autocomplete="off"></td>
					</tr>
					<tr>
						<th scope="row"><label for="tagbridge_password"><?php esc_html_e( 'Application password', 'tagbridge' ); ?></label></th>
						<td>
							<input type="password" class="regular-text" id="tagbridge_password" name="tagbridge_password" value="" autocomplete="new-password">
							<p class="description">
								<?php
								if ( $settings['password_saved'] ) {
									esc_html_e( 'Saved. Leave empty to keep it, or enter a new one to replace it.', 'tagbridge' );
								} else {
									esc_html_e( 'Create one on the FluentCRM site under Users → Profile → Application Passwords, for a user with FluentCRM permission.', 'tagbridge' );
								}
								?>
							</p>
						</td>
					</tr>
				</table>
				<p class="submit">
					<button type="submit" class="button button-primary" name="tagbridge_do" value="save"><?php esc_html_e( 'Save', 'tagbridge' ); ?></button>
					<button type="submit" class="button" name="tagbridge_do" value="test"><?php esc_html_e( 'Test connection', 'tagbridge' ); ?></button>
				</p>
			</form>
		</div>
		<?php
	}

	/**
	 * The notice shown to administrators while the site's address differs from the connected one.
	 */
	public function site_moved_notice() {
		if ( ! current_user_can( 'manage_options' ) || ! Connection::is_site_moved() ) {
			return;
		}
		$settings = Connection::get();
		?>
		<div class="notice notice-error">
			<p>
				<?php
				/* translators: 1: address recorded when connecting, 2: current address */
				echo esc_html( sprintf( __( 'TagBridge stopped sending to the CRM because this site\'s address changed (connected as %1$s, now %2$s). A copied or staging site must not write to the production CRM. If this is the site that should, confirm it.', 'tagbridge' ), $settings['site'], Connection::current_site() ) );
				?>
			</p>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="tagbridge_confirm_site">
				<?php wp_nonce_field( self::CONFIRM_NONCE ); ?>
				<p><button type="submit" class="button button-primary"><?php esc_html_e( 'Confirm', 'tagbridge' ); ?></button></p>
			</form>
		</div>
		<?php
	}

	/**
	 * Null when the current user may act and the nonce is right; else the refusal.
	 *
	 * @param array  $post   Unslashed $_POST.
	 * @param string $action Nonce action.
	 * @return array{ok: false, message: string}|null
	 */
	private static function denied( array $post, $action ) {
		if ( ! current_user_can( 'manage_options' ) ) {
			return array(
				'ok'      => false,
				'message' => __( 'Only administrators can change the CRM connection.', 'tagbridge' ),
			);
		}
		if ( ! wp_verify_nonce( sanitize_text_field( (string) ( $post['_wpnonce'] ?? '' ) ), $action ) ) {
			return array(
				'ok'      => false,
				'message' => __( 'The form expired. Reload the page and try again.', 'tagbridge' ),
			);
		}
		return null;
	}

	/**
	 * Keeps the outcome for the next page view and goes back to the page.
	 *
	 * @param array{ok: bool, message: string} $notice Outcome.
	 */
	private function finish( array $notice ) {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html( $notice['message'] ), 403 );
		}
		set_transient( self::notice_key(), $notice, MINUTE_IN_SECONDS );
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * Per-user key of the pending notice.
	 *
	 * @return string
	 */
	private static function notice_key() {
		return 'tagbridge_connection_notice_' . get_current_user_id();
	}
}
