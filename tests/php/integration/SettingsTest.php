<?php
/**
 * Settings through the PHP API and the REST route, in real WordPress.
 */

use TagBridge\Tests\TestCase;

final class SettingsTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		if ( ! get_role( 'tb_gold' ) ) {
			add_role( 'tb_gold', 'Gold member', array( 'read' => true ) );
		}
	}

	private static function valid(): array {
		return array(
			'role_links' => array( array( 'role' => 'tb_gold', 'tag' => 'Gold' ) ),
			'fields'     => array( array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'direction' => 'both', 'source' => 'wordpress' ) ),
		);
	}

	public function test_defaults_then_valid_update_bumps_the_revision(): void {
		delete_option( 'tagbridge_settings' );
		$this->assertSame( 0, tagbridge_get_settings()['revision'] );
		$this->assertTrue( tagbridge_update_settings( self::valid() ) );
		$saved = tagbridge_get_settings();
		$this->assertSame( 1, $saved['revision'] );
		$this->assertSame( 'Gold', $saved['role_links'][0]['tag'] );
		$this->assertTrue( tagbridge_update_settings( $saved ) );
		$this->assertSame( 2, tagbridge_get_settings()['revision'], 'the revision is managed by the plugin, not taken from input' );
	}

	/**
	 * @dataProvider refusals
	 */
	public function test_bad_settings_are_refused_and_nothing_changes( array $settings, string $path, string $words ): void {
		$this->assertTrue( tagbridge_update_settings( self::valid() ) );
		$before = get_option( 'tagbridge_settings' );
		$result = tagbridge_update_settings( $settings );
		$this->assertWPError( $result );
		$this->assertSame( 'tagbridge_invalid_settings', $result->get_error_code() );
		$this->assertSame( $path, $result->get_error_data()['path'] );
		$this->assertStringContainsString( $words, $result->get_error_message() );
		$this->assertSame( $before, get_option( 'tagbridge_settings' ) );
	}

	public static function refusals(): array {
		return array(
			'unknown role'  => array( array( 'role_links' => array( array( 'role' => 'tb_platinum', 'tag' => 'P' ) ) ), 'role_links[0].role', 'unknown role "tb_platinum"' ),
			'duplicate'     => array( array( 'role_links' => array( array( 'role' => 'tb_gold', 'tag' => 'A' ), array( 'role' => 'tb_gold', 'tag' => 'B' ) ) ), 'role_links[1]', 'duplicate link' ),
			'field type'    => array( array( 'fields' => array( array( 'key' => 'a', 'crm_field' => 'b', 'type' => 'money' ) ) ), 'fields[0].type', 'unknown field type "money"' ),
			'unknown key'   => array( array( 'roles' => array() ), 'roles', 'unknown key' ),
			'bad fallback'  => array( array( 'fallback_role' => 'administrator' ), 'fallback_role', 'protected capability' ),
			'non-UTF-8 tag' => array( array( 'role_links' => array( array( 'role' => 'tb_gold', 'tag' => "\xff" ) ) ), 'settings[role_links][0][tag]', 'not valid UTF-8' ),
		);
	}

	public function test_non_array_is_refused(): void {
		$this->assertWPError( tagbridge_update_settings( 'role_links' ) );
	}

	public function test_deleting_a_linked_role_removes_its_link(): void {
		add_role( 'tb_temp', 'Temp', array( 'read' => true ) );
		$this->assertTrue( tagbridge_update_settings( array( 'role_links' => array( array( 'role' => 'tb_temp', 'tag' => 'T' ) ) ) ) );
		remove_role( 'tb_temp' );
		$this->assertSame( array(), tagbridge_get_settings()['role_links'] );
		$this->assertIsString( TagBridge\Plugin::instance()->settings->compiled() );
	}

	public function test_stored_settings_naming_a_missing_role_are_reported_not_fatal(): void {
		// Written around the API (a restored backup, a direct option edit): nothing validated it.
		update_option( 'tagbridge_settings', array( 'revision' => 9, 'role_links' => array( array( 'role' => 'tb_never', 'tag' => 'T' ) ) ) );
		$compiled = TagBridge\Plugin::instance()->settings->compiled();
		$this->assertWPError( $compiled );
		$this->assertStringContainsString( 'unknown role "tb_never"', $compiled->get_error_message() );
	}

	public function test_compiled_settings_are_cached_by_version(): void {
		$this->assertTrue( tagbridge_update_settings( self::valid() ) );
		$store   = TagBridge\Plugin::instance()->settings;
		$version = $store->compiled();
		$this->assertIsString( $version );
		$this->assertTrue( tagbridge_settings_is_compiled( $version ) );
		add_role( 'tb_other', 'Other', array( 'read' => true ) );
		$this->assertNotSame( $version, $store->version(), 'a new role changes the version' );
		remove_role( 'tb_other' );
		$this->assertSame( $version, $store->version() );
	}

	private function rest( string $method, $body = null, ?int $user = null ): WP_REST_Response {
		wp_set_current_user( $user ?? 0 );
		$request = new WP_REST_Request( $method, '/tagbridge/v1/settings' );
		if ( null !== $body ) {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( is_string( $body ) ? $body : wp_json_encode( $body ) );
		}
		return rest_do_request( $request );
	}

	public function test_rest_is_for_administrators_only(): void {
		$this->assertSame( 401, $this->rest( 'GET' )->get_status() );
		$this->assertSame( 403, $this->rest( 'GET', null, $this->create_user( 'subscriber' ) )->get_status() );
		$this->assertSame( 403, $this->rest( 'POST', self::valid(), $this->create_user( 'editor' ) )->get_status() );
		$this->assertSame( 200, $this->rest( 'GET', null, $this->create_user( 'administrator' ) )->get_status() );
	}

	public function test_rest_read_and_write(): void {
		$admin    = $this->create_user( 'administrator' );
		$response = $this->rest( 'POST', self::valid(), $admin );
		$this->assertSame( 200, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( 'Gold', $data['settings']['role_links'][0]['tag'] );
		$this->assertSame( 1, $data['compiled']['role_links'] );
		$this->assertContains( 'administrator', $data['compiled']['protected_roles'] );

		$response = $this->rest( 'POST', array( 'role_links' => array( array( 'role' => 'nobody', 'tag' => 'x' ) ) ), $admin );
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'role_links[0].role', $response->get_data()['data']['path'] );
		$this->assertSame( 'Gold', tagbridge_get_settings()['role_links'][0]['tag'], 'nothing changed' );

		$this->assertSame( 400, $this->rest( 'POST', '[1,2]', $admin )->get_status() );
		$this->assertSame( 400, $this->rest( 'POST', '"text"', $admin )->get_status() );
		$this->assertSame( 400, $this->rest( 'POST', '{"role_links": [', $admin )->get_status() );
	}

	/**
	 * Over real HTTP against the site served on loopback, authenticated with an application password.
	 */
	public function test_rest_over_http_with_application_password(): void {
		$admin            = $this->create_user( 'administrator' );
		list( $password ) = WP_Application_Passwords::create_new_application_password( $admin, array( 'name' => 'tagbridge-test' ) );
		$user             = get_userdata( $admin )->user_login;
		$url              = rtrim( (string) getenv( 'TB_SITE_URL' ), '/' ) . '/wp-json/tagbridge/v1/settings';

		$response = wp_remote_post(
			$url,
			array(
				'headers' => array(
					'Authorization' => 'Basic ' . base64_encode( $user . ':' . $password ),
					'Content-Type'  => 'application/json',
				),
				'body'    => wp_json_encode( self::valid() ),
				'timeout' => 20,
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ), is_wp_error( $response ) ? $response->get_error_message() : wp_remote_retrieve_body( $response ) );
		wp_cache_delete( 'alloptions', 'options' );
		$this->assertSame( 'Gold', tagbridge_get_settings()['role_links'][0]['tag'] );

		$anon = wp_remote_get( $url, array( 'timeout' => 20 ) );
		$this->assertSame( 401, wp_remote_retrieve_response_code( $anon ) );
	}
}
