<?php
/**
 * The CRM connection: option storage (secret not autoloaded, never shown), the factory, staging
 * safety, the Connection screen, REST and "Test connection" messages (uninstall: UninstallTest).
 *
 * FluentCRM cannot be installed in CI, so it is stood in for by the replay server of the REAL
 * exchanges recorded against FluentCRM 2.9.65 (tests/fluentcrm/, tests/fixtures/fluentcrm/).
 * "FluentCRM not active" is the real test WordPress site, which has no FluentCRM.
 */

namespace TagBridge\Tests;

use TagBridge\Admin\ConnectionPage;
use TagBridge\Crm\Connection;
use TagBridge\Crm\Crm;
use TagBridge\Crm\FluentCrm;
use WP_Application_Passwords;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

final class ConnectionTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', Connection::OPTION, Connection::SECRET_OPTION );

	protected function setUp(): void {
		parent::setUp();
		FluentCrmReplay::reset();
		Connection::forget();
	}

	private function rest( string $method, string $route, $body = null, int $user = 0 ): WP_REST_Response {
		wp_set_current_user( $user );
		$request = new WP_REST_Request( $method, '/tagbridge/v1/' . $route );
		if ( null !== $body ) {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( wp_json_encode( $body ) );
		}
		return rest_do_request( $request );
	}

	private function secret_autoload(): ?string {
		global $wpdb;
		return $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", Connection::SECRET_OPTION ) );
	}

	public function test_default_is_the_embedded_crm(): void {
		$this->assertSame( 'embedded', Connection::get()['type'] );
		$this->assertTrue( Connection::is_embedded() );
		$this->assertInstanceOf( \TagBridge\Crm\EmbeddedCrm::class, Connection::crm() );
	}

	public function test_saving_fluentcrm_stores_the_secret_apart_not_autoloaded(): void {
		$input = FluentCrmReplay::credentials();
		$this->assertTrue( Connection::save( $input ) );
		$this->assertSame( 'no', $this->secret_autoload() );
		$stored = get_option( Connection::OPTION );
		$this->assertStringNotContainsString( $input['password'], serialize( $stored ) );
		$this->assertSame( FluentCrmReplay::url(), $stored['url'] );

		$crm = Connection::crm();
		$this->assertInstanceOf( FluentCrm::class, $crm );
		$this->assertSame( $crm, Connection::crm(), 'one adapter (and tag cache) per request' );
		$this->assertTrue( $crm->list_tags()->is_ok() );

		// An empty password keeps the saved one.
		$this->assertTrue( Connection::save( array_merge( $input, array( 'password' => '' ) ) ) );
		$this->assertSame( $input['password'], get_option( Connection::SECRET_OPTION ) );
		$this->assertTrue( Connection::get()['password_saved'] );
	}

	/**
	 * @dataProvider bad_input
	 */
	public function test_bad_input_is_refused_and_changes_nothing( array $input, string $field ): void {
		$this->assertTrue( Connection::save( FluentCrmReplay::credentials() ) );
		$before = array( get_option( Connection::OPTION ), get_option( Connection::SECRET_OPTION ) );
		$result = Connection::save( $input );
		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertSame( $field, $result->get_error_data()['field'] );
		$this->assertSame( $before, array( get_option( Connection::OPTION ), get_option( Connection::SECRET_OPTION ) ) );
	}

	public function bad_input(): array {
		$ok = array(
			'type'     => 'fluentcrm',
			'url'      => 'https://crm.example.test',
			'username' => 'admin',
			'password' => 'abcd efgh',
		);
		return array(
			'unknown type'         => array( array( 'type' => 'hubspot' ) + $ok, 'type' ),
			'not an array'         => array( array( 'type' => array( 'x' ) ), 'type' ),
			'no url'               => array( array( 'url' => '' ) + $ok, 'url' ),
			'ftp url'              => array( array( 'url' => 'ftp://crm.example.test' ) + $ok, 'url' ),
			'credentials in url'   => array( array( 'url' => 'https://admin:secret@crm.example.test' ) + $ok, 'url' ),
			'no username'          => array( array( 'username' => ' ' ) + $ok, 'username' ),
			'password not text'    => array( array( 'password' => array( 'x' ) ) + $ok, 'password' ),
			'password with a newline' => array( array( 'password' => "ab\ncd" ) + $ok, 'password' ),
		);
	}

	public function test_url_is_normalised(): void {
		$this->assertTrue( Connection::save( array( 'url' => 'HTTPS://crm.example.test/blog/wp-json/fluent-crm/v2/' ) + FluentCrmReplay::credentials() ) );
		$this->assertSame( 'https://crm.example.test/blog', Connection::get()['url'] );
	}

	public function test_rest_is_for_administrators_and_never_returns_the_password(): void {
		$input = FluentCrmReplay::credentials();
		$this->assertSame( 401, $this->rest( 'GET', 'connection' )->get_status() );
		$this->assertSame( 403, $this->rest( 'POST', 'connection', $input, $this->create_user( 'editor' ) )->get_status() );
		$this->assertSame( 403, $this->rest( 'POST', 'connection/test', array(), $this->create_user( 'subscriber' ) )->get_status() );
		$this->assertFalse( get_option( Connection::SECRET_OPTION ) );

		$admin    = $this->create_user( 'administrator' );
		$response = $this->rest( 'POST', 'connection', $input, $admin );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame(
			array(
				'type'           => 'fluentcrm',
				'url'            => FluentCrmReplay::url(),
				'username'       => 'admin',
				'password_saved' => true,
				'site_moved'     => false,
			),
			$response->get_data()
		);
		$get = $this->rest( 'GET', 'connection', null, $admin );
		$this->assertStringNotContainsString( $input['password'], wp_json_encode( $get->get_data() ) );
		$this->assertStringNotContainsString( str_replace( ' ', '', $input['password'] ), wp_json_encode( $get->get_data() ) );

		$bad = $this->rest( 'POST', 'connection', array( 'type' => 'fluentcrm', 'url' => 'nope' ), $admin );
		$this->assertSame( 400, $bad->get_status() );
		$this->assertStringNotContainsString( $input['password'], wp_json_encode( $bad->get_data() ) );
		$this->assertSame( FluentCrmReplay::url(), Connection::get()['url'], 'nothing changed' );

		$test = $this->rest( 'POST', 'connection/test', array(), $admin );
		$this->assertTrue( $test->get_data()['ok'], $test->get_data()['message'] );
	}

	/**
	 * @dataProvider connection_cases
	 */
	public function test_test_connection_says_what_is_wrong( array $override, bool $ok, string $words ): void {
		$input  = $override + FluentCrmReplay::credentials();
		$answer = $this->rest( 'POST', 'connection/test', $input, $this->create_user( 'administrator' ) )->get_data();
		$this->assertSame( $ok, $answer['ok'], $answer['message'] );
		$this->assertStringContainsString( $words, $answer['message'] );
		$this->assertStringNotContainsString( $input['password'], $answer['message'] );
		$this->assertFalse( get_option( Connection::SECRET_OPTION ), 'testing saves nothing' );
	}

	public function connection_cases(): array {
		return array(
			'ok'                     => array( array(), true, '4 tags and 5 custom contact fields found' ),
			'wrong app password'     => array( array( 'password' => 'abcd efgh ijkl mnop qrst uvwx' ), false, 'wrong username or application password' ),
			'unknown user'           => array( array( 'username' => 'nobody' ), false, 'wrong username or application password' ),
			'no FluentCRM rights'    => array( FluentCrmReplay::credentials( 'viewer' ), false, 'lacks FluentCRM permission' ),
			'connection refused'     => array( array( 'url' => 'http://127.0.0.1:9' ), false, 'was refused' ),
			'not a WordPress site'   => array( array( 'url' => FluentCrmReplay::url() . '/shop' ), false, 'did not answer like a WordPress REST API' ),
			'FluentCRM not active'   => array( array( 'url' => (string) getenv( 'TB_SITE_URL' ) ), false, 'is FluentCRM installed and active' ),
			'host blocked here'      => array( array( 'url' => 'https://crm.example.invalid' ), false, 'blocks outgoing requests to crm.example.invalid' ),
			'bad url'                => array( array( 'url' => 'crm.example.test' ), false, 'Enter the address' ),
			'embedded'               => array( array( 'type' => 'embedded' ), true, 'embedded CRM' ),
		);
	}

	/**
	 * The whole path over real HTTP: the served test site, authenticated with a real application
	 * password, asks the replay server.
	 */
	public function test_test_connection_over_http(): void {
		$admin            = $this->create_user( 'administrator' );
		list( $password ) = WP_Application_Passwords::create_new_application_password( $admin, array( 'name' => 'tagbridge-test' ) );
		$response         = wp_remote_post(
			rtrim( (string) getenv( 'TB_SITE_URL' ), '/' ) . '/wp-json/tagbridge/v1/connection/test',
			array(
				'headers' => array(
					'Authorization' => 'Basic ' . base64_encode( get_userdata( $admin )->user_login . ':' . $password ),
					'Content-Type'  => 'application/json',
				),
				'body'    => wp_json_encode( FluentCrmReplay::credentials( 'viewer' ) ),
				'timeout' => 20,
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ), is_wp_error( $response ) ? $response->get_error_message() : wp_remote_retrieve_body( $response ) );
		$answer = json_decode( wp_remote_retrieve_body( $response ), true );
		$this->assertFalse( $answer['ok'] );
		$this->assertStringContainsString( 'lacks FluentCRM permission', $answer['message'] );
	}

	public function test_a_moved_site_stops_sending_until_confirmed(): void {
		$production = static fn() => 'https://www.production.example';
		add_filter( 'home_url', $production );
		$this->assertTrue( Connection::save( FluentCrmReplay::credentials() ) );
		$this->assertFalse( Connection::is_site_moved() );
		remove_filter( 'home_url', $production );

		// The database now serves another address: a copy of production.
		$this->assertTrue( Connection::is_site_moved() );
		$crm = Connection::crm();
		$this->assertInstanceOf( WP_Error::class, $crm );
		$this->assertSame( 'tagbridge_site_moved', $crm->get_error_code() );

		$page  = new ConnectionPage();
		$admin = $this->create_user( 'administrator' );
		wp_set_current_user( $admin );
		ob_start();
		$page->site_moved_notice();
		$notice = ob_get_clean();
		$this->assertStringContainsString( 'TagBridge stopped sending to the CRM because this site&#039;s address changed', $notice );
		$this->assertStringContainsString( 'www.production.example', $notice );
		$this->assertStringContainsString( 'tagbridge_confirm_site', $notice );

		// Confirming needs the capability and the nonce.
		wp_set_current_user( $this->create_user( 'editor' ) );
		$this->assertFalse( $page->process_confirm( array( '_wpnonce' => wp_create_nonce( ConnectionPage::CONFIRM_NONCE ) ) )['ok'] );
		wp_set_current_user( $admin );
		$this->assertFalse( $page->process_confirm( array( '_wpnonce' => 'forged' ) )['ok'] );
		$this->assertTrue( Connection::is_site_moved() );
		$this->assertTrue( $page->process_confirm( array( '_wpnonce' => wp_create_nonce( ConnectionPage::CONFIRM_NONCE ) ) )['ok'] );
		$this->assertFalse( Connection::is_site_moved() );
		$this->assertInstanceOf( FluentCrm::class, Connection::crm() );

		ob_start();
		$page->site_moved_notice();
		$this->assertSame( '', ob_get_clean() );
	}

	public function test_https_instead_of_http_is_not_a_move(): void {
		$this->assertTrue( Connection::save( FluentCrmReplay::credentials() ) );
		$https = static fn( $url ) => set_url_scheme( $url, 'https' );
		add_filter( 'home_url', $https );
		$moved = Connection::is_site_moved();
		remove_filter( 'home_url', $https );
		$this->assertFalse( $moved );
	}

	public function test_screen_saves_with_nonce_and_never_prints_the_password(): void {
		$page  = new ConnectionPage();
		$input = FluentCrmReplay::credentials();
		$post  = array(
			'tagbridge_type'     => 'fluentcrm',
			'tagbridge_url'      => $input['url'],
			'tagbridge_username' => $input['username'],
			'tagbridge_password' => $input['password'],
			'tagbridge_do'       => 'save',
		);

		wp_set_current_user( $this->create_user( 'editor' ) );
		$this->assertFalse( $page->process_form( $post + array( '_wpnonce' => wp_create_nonce( ConnectionPage::NONCE ) ) )['ok'] );
		wp_set_current_user( $this->create_user( 'administrator' ) );
		$this->assertFalse( $page->process_form( $post )['ok'], 'no nonce' );
		$this->assertFalse( get_option( Connection::SECRET_OPTION ) );

		$nonce = array( '_wpnonce' => wp_create_nonce( ConnectionPage::NONCE ) );
		$test  = $page->process_form( array( 'tagbridge_do' => 'test' ) + $post + $nonce );
		$this->assertTrue( $test['ok'] );
		$this->assertStringContainsString( '4 tags', $test['message'] );
		$this->assertTrue( $page->process_form( $post + $nonce )['ok'] );
		$this->assertSame( $input['password'], get_option( Connection::SECRET_OPTION ) );

		ob_start();
		$page->render();
		$html = ob_get_clean();
		$this->assertStringNotContainsString( $input['password'], $html );
		$this->assertStringContainsString( 'Saved. Leave empty to keep it', $html );
		$this->assertStringContainsString( 'value="' . esc_attr( $input['url'] ) . '"', $html );
		$this->assertStringContainsString( 'name="_wpnonce"', $html );
	}
}
