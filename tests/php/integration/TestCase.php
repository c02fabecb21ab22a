<?php
/**
 * Base class of the integration tests: real WordPress, real database. Each test gets fresh users
 * and restored options; nothing is mocked.
 */

namespace TagBridge\Tests;

abstract class TestCase extends \PHPUnit\Framework\TestCase {

	/** @var int[] Users created by the test, deleted afterwards. */
	private $created_users = array();

	/** @var array<string, mixed> Options saved before the test. */
	private $saved_options = array();

	/** Options the tests may change; restored after each test. */
	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', 'tagbridge_links_changed', 'tagbridge_reconcile_job' );

	protected function setUp(): void {
		parent::setUp();
		foreach ( static::RESTORED_OPTIONS as $option ) {
			$this->saved_options[ $option ] = get_option( $option, null );
		}
		wp_set_current_user( 0 );
	}

	protected function tearDown(): void {
		foreach ( $this->created_users as $id ) {
			wp_delete_user( $id );
		}
		$this->created_users = array();
		foreach ( $this->saved_options as $option => $value ) {
			null === $value ? delete_option( $option ) : update_option( $option, $value );
		}
		unset( $_COOKIE[ LOGGED_IN_COOKIE ] );
		wp_set_current_user( 0 );
		parent::tearDown();
	}

	/**
	 * Creates a real user with a role; deleted after the test.
	 */
	protected function create_user( string $role = 'subscriber', array $extra = array() ): int {
		$login = 'tb_' . strtolower( wp_generate_password( 10, false ) );
		$id    = wp_insert_user(
			array_merge(
				array(
					'user_login' => $login,
					'user_email' => $login . '@example.test',
					'user_pass'  => wp_generate_password( 24 ),
					'role'       => $role,
				),
				$extra
			)
		);
		$this->assertIsInt( $id, is_wp_error( $id ) ? $id->get_error_message() : '' );
		$this->created_users[] = $id;
		return $id;
	}

	/**
	 * Logs a user in for HTTP requests to the served site: returns the cookies to send, and makes
	 * this process share the session so wp_create_nonce() here matches the server's check.
	 *
	 * @return array<string, string> Cookie name => value.
	 */
	protected function login_cookies( int $user_id ): array {
		$expiration = time() + HOUR_IN_SECONDS;
		$token      = \WP_Session_Tokens::get_instance( $user_id )->create( $expiration );
		$logged_in  = wp_generate_auth_cookie( $user_id, $expiration, 'logged_in', $token );
		$_COOKIE[ LOGGED_IN_COOKIE ] = $logged_in;
		wp_set_current_user( $user_id );
		return array(
			AUTH_COOKIE      => wp_generate_auth_cookie( $user_id, $expiration, 'auth', $token ),
			LOGGED_IN_COOKIE => $logged_in,
		);
	}

	/**
	 * A user's roles read fresh from the database, sorted.
	 *
	 * @return string[]
	 */
	protected static function roles_of( int $id ): array {
		clean_user_cache( $id );
		$roles = get_userdata( $id )->roles;
		sort( $roles );
		return array_values( $roles );
	}

	/**
	 * How many outbox rows (any status) a user has.
	 */
	protected function outbox_rows( int $user_id ): int {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM ' . \TagBridge\Outbox\Outbox::table() . ' WHERE user_id = %d', $user_id ) );
	}

	/**
	 * Queues tag changes in the outbox as the plugin does when it loads with an external CRM (this
	 * process loaded with the embedded one). Remove the returned listener's two actions afterwards.
	 */
	protected function listen_as_external_crm(): \TagBridge\Outbox\TagListener {
		$listener = new \TagBridge\Outbox\TagListener( \TagBridge\Plugin::instance()->outbox );
		add_action( 'tagbridge_tags_applied', array( $listener, 'applied' ), 10, 2 );
		add_action( 'tagbridge_tags_removed', array( $listener, 'removed' ), 10, 2 );
		return $listener;
	}

	/**
	 * Asserts a WP_Error came back.
	 *
	 * @param mixed $actual Value.
	 */
	protected function assertWPError( $actual, string $message = '' ): void {
		$this->assertInstanceOf( \WP_Error::class, $actual, $message );
	}

	/**
	 * Asserts no WP_Error came back (showing its message when one did).
	 *
	 * @param mixed $actual Value.
	 */
	protected function assertNotWPError( $actual, string $message = '' ): void {
		$this->assertNotInstanceOf( \WP_Error::class, $actual, is_wp_error( $actual ) ? $actual->get_error_message() : $message );
	}

	/**
	 * Forgets a user the test deleted itself.
	 */
	protected function forget_user( int $id ): void {
		$this->created_users = array_values( array_diff( $this->created_users, array( $id ) ) );
	}

	/**
	 * Runs a PHP script in a separate process against the same site, returning [exit code, output].
	 *
	 * @param string $code      PHP code (without <?php) run after the environment below is set.
	 * @param bool   $extension Whether to load the TagBridge extension in that process.
	 */
	protected function run_php( string $code, bool $extension = true ): array {
		$file = tempnam( sys_get_temp_dir(), 'tb' );
		file_put_contents( $file, "<?php\n" . $code );
		$cmd = escapeshellarg( PHP_BINARY );
		if ( $extension ) {
			$cmd .= ' -d extension=' . escapeshellarg( (string) getenv( 'TB_EXT' ) );
		}
		$cmd .= ' ' . escapeshellarg( $file ) . ' 2>&1';
		exec( $cmd, $lines, $code_out ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
		unlink( $file );
		return array( $code_out, implode( "\n", $lines ) );
	}

	/**
	 * PHP code that loads the test site's WordPress in a child process.
	 *
	 * @param bool $markers With the same stand-ins for Members' and WP User Manager's main classes
	 *                      as this process (false: as on a site without those plugins).
	 */
	protected static function load_wordpress_code( bool $markers = true ): string {
		return sprintf(
			'$_SERVER["HTTP_HOST"] = %s; $_SERVER["REQUEST_URI"] = "/"; %s require %s;',
			var_export( $_SERVER['HTTP_HOST'], true ),
			$markers ? 'require ' . var_export( dirname( __DIR__ ) . '/support/MembershipPluginMarkers.php', true ) . ';' : '',
			var_export( getenv( 'TB_SITE_DIR' ) . '/wp-load.php', true )
		);
	}
}
