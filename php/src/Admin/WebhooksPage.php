<?php
/**
 * TagBridge → Webhooks: the endpoint addresses, the secret (shown, rotatable), the username
 * setting and the queue counts. Every change is behind a nonce and `manage_options`.
 *
 * @package TagBridge
 */

namespace TagBridge\Admin;

use TagBridge\Webhook\Queue;
use TagBridge\Webhook\Secret;
use TagBridge\Webhook\UserImporter;

defined( 'ABSPATH' ) || exit;

/**
 * The webhooks admin screen.
 */
final class WebhooksPage {

	/** Page slug. */
	const SLUG = 'tagbridge-webhooks';

	/** admin-post action and nonce action of "rotate the secret". */
	const ROTATE = 'tagbridge_webhook_rotate';

	/** admin-post action and nonce action of "save settings". */
	const SAVE = 'tagbridge_webhook_save';

	/**
	 * Queue.
	 *
	 * @var Queue
	 */
	private $queue;

	/**
	 * Builds the screen.
	 *
	 * @param Queue $queue Queue.
	 */
	public function __construct( Queue $queue ) {
		$this->queue = $queue;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_post_' . self::ROTATE, array( $this, 'handle_rotate' ) );
		add_action( 'admin_post_' . self::SAVE, array( $this, 'handle_save' ) );
	}

	/**
	 * Adds the submenu under TagBridge.
	 */
	public function menu() {
		add_submenu_page( 'tagbridge', __( 'TagBridge webhooks', 'tagbridge' ), __( 'Webhooks', 'tagbridge' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * Refuses the request unless the user may manage options and the nonce is right.
	 *
	 * @param string $action Nonce action.
	 */
	private static function guard( $action ) {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'tagbridge' ), 403 );
		}
		check_admin_referer( $action );
	}

	/**
	 * "Rotate": a new secret; the old one stops working at once.
	 */
	public function handle_rotate() {
		self::guard( self::ROTATE );
		Secret::rotate();
		wp_safe_redirect( add_query_arg( 'rotated', 1, admin_url( 'admin.php?page=' . self::SLUG ) ) );
		exit;
	}

	/**
	 * "Save": the username strategy.
	 */
	public function handle_save() {
		self::guard( self::SAVE );
		$username = isset( $_POST['username'] ) ? sanitize_key( wp_unslash( $_POST['username'] ) ) : '';
		if ( in_array( $username, UserImporter::USERNAMES, true ) ) {
			update_option( UserImporter::OPTION, array( 'username' => $username ), false );
		}
		wp_safe_redirect( add_query_arg( 'saved', 1, admin_url( 'admin.php?page=' . self::SLUG ) ) );
		exit;
	}

	/**
	 * Renders the screen.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$secret   = Secret::get();
		$counts   = $this->queue->counts();
		$current  = UserImporter::username_strategy();
		$labels   = array(
			'email'      => __( 'The email address', 'tagbridge' ),
			'local'      => __( 'The part of the email before @', 'tagbridge' ),
			'first_last' => __( 'first.last', 'tagbridge' ),
		);
		$rest_url = rest_url( 'tagbridge/v1/webhook' );
		$query    = add_query_arg( array( 'tagbridge_action' => 'test' ), home_url( '/' ) );
		?>
		<div class="wrap">
			<h1><?php esc_html_e( 'TagBridge webhooks', 'tagbridge' ); ?></h1>
			<?php if ( isset( $_GET['rotated'] ) ) : // phpcs:ignore WordPress.Security.NonceVerification -- display only. ?>
				<div class="notice notice-success"><p><?php esc_html_e( 'A new secret is in use; update your CRM automations.', 'tagbridge' ); ?></p></div>
			<?php endif; ?>
			<p><?php esc_html_e( 'Your CRM calls this address with an action (add, update, update_tags, test) and the secret in the X-TagBridge-Key header or the key parameter, or signs the body (see the README).', 'tagbridge' ); ?></p>
			<table class="form-table" role="presentation">
				<tr><th scope="row"><?php esc_html_e( 'Endpoint', 'tagbridge' ); ?></th><td><code><?php echo esc_html( $rest_url ); ?></code></td></tr>
				<tr><th scope="row"><?php esc_html_e( 'Fixed-URL form', 'tagbridge' ); ?></th><td><code><?php echo esc_html( $query . '&key=' ); ?></code>&hellip;</td></tr>
				<tr><th scope="row"><?php esc_html_e( 'Secret', 'tagbridge' ); ?></th><td><input type="text" class="large-text code" readonly value="<?php echo esc_attr( $secret ); ?>" /></td></tr>
				<tr><th scope="row"><?php esc_html_e( 'Queue', 'tagbridge' ); ?></th><td>
					<?php
					/* translators: 1: pending, 2: processed, 3: failed webhook counts */
					echo esc_html( sprintf( __( '%1$d waiting, %2$d processed, %3$d failed', 'tagbridge' ), $counts['pending'], $counts['done'], $counts['failed'] ) );
					?>
				</td></tr>
			</table>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::ROTATE ); ?>" />
				<?php wp_nonce_field( self::ROTATE ); ?>
				<?php submit_button( __( 'Rotate secret', 'tagbridge' ), 'secondary' ); ?>
			</form>
			<h2><?php esc_html_e( 'New users', 'tagbridge' ); ?></h2>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::SAVE ); ?>" />
				<?php wp_nonce_field( self::SAVE ); ?>
				<fieldset><legend><?php esc_html_e( 'Username of users created by the add action', 'tagbridge' ); ?></legend>
				<?php foreach ( $labels as $value => $label ) : ?>
					<label><input type="radio" name="username" value="<?php echo esc_attr( $value ); ?>" <?php checked( $current, $value ); ?> /> <?php echo esc_html( $label ); ?></label><br />
				<?php endforeach; ?>
				</fieldset>
				<?php submit_button( __( 'Save', 'tagbridge' ) ); ?>
			</form>
		</div>
		<?php
	}
}
