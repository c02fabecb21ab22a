<?php
/**
 * Inbound webhooks over real HTTP against the served site: every action, every way to fail
 * authentication, role escalation attempts, the send_notification matrix, ordering for one
 * contact, and hostile input. Webhooks are processed by the site's own background runner; the
 * tests wait (bounded) for the stored row to leave `pending`.
 *
 * Every webhook here is answered by the early entry (EarlyEntry, at plugins_loaded); which code
 * answered is told by the test bed's request trace (tests/testbed/mu-plugin-request-trace.php).
 */

use TagBridge\Plugin;
use TagBridge\Webhook\EarlyEntry;
use TagBridge\Tests\TestCase;
use TagBridge\Webhook\Processor;
use TagBridge\Webhook\Queue;
use TagBridge\Webhook\Secret;
use TagBridge\Webhook\UserImporter;

final class WebhookTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', UserImporter::OPTION );

	/** @var string[] Emails of users the webhooks may create, deleted afterwards. */
	private $emails = array();

	private static function mails_file(): string {
		return WP_CONTENT_DIR . '/tagbridge-test-mails.jsonl';
	}

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'tb_gold', 'tb_silver' ) as $role ) {
			if ( ! get_role( $role ) ) {
				add_role( $role, ucfirst( $role ), array( 'read' => true ) );
			}
		}
		if ( ! get_role( 'tb_manager' ) ) {
			add_role( 'tb_manager', 'Manager', array( 'read' => true, 'edit_users' => true ) );
		}
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'role_links' => array(
						array( 'role' => 'tb_gold', 'tag' => 'Gold' ),
						array( 'role' => 'tb_silver', 'tag' => 'Silver' ),
					),
				)
			)
		);
		file_put_contents( self::mails_file(), '' );
	}

	protected function tearDown(): void {
		foreach ( $this->emails as $email ) {
			$user = get_user_by( 'email', $email );
			if ( $user ) {
				wp_delete_user( $user->ID );
			}
		}
		parent::tearDown();
	}

	private function email( string $name ): string {
		$email          = $name . '.' . strtolower( wp_generate_password( 6, false ) ) . '@example.org';
		$this->emails[] = $email;
		return $email;
	}

	/**
	 * One HTTP request to the served site (curl: raw bytes and headers exactly as given). Every
	 * request asks for the test bed's trace of the loading stages it reached.
	 *
	 * @return array{0: int, 1: mixed, 2: string, 3: array<string, string[]>} Status, decoded JSON,
	 *         raw body, response headers (lower-case name => values).
	 */
	private function call( string $query, ?string $body = null, array $headers = array(), string $path = '/wp-json/tagbridge/v1/webhook' ): array {
		$ch       = curl_init( getenv( 'TB_SITE_URL' ) . $path . ( '' === $query ? '' : '?' . $query ) );
		$list     = array( 'X-TagBridge-Trace: 1' );
		$received = array();
		$headers += array( 'Content-Type' => 'application/json' );
		foreach ( $headers as $k => $v ) {
			$list[] = $k . ': ' . $v;
		}
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HTTPHEADER     => $list,
				CURLOPT_TIMEOUT        => 30,
				CURLOPT_HEADERFUNCTION => static function ( $ch, $line ) use ( &$received ) {
					$parts = explode( ':', $line, 2 );
					if ( 2 === count( $parts ) ) {
						$received[ strtolower( trim( $parts[0] ) ) ][] = trim( $parts[1] );
					}
					return strlen( $line );
				},
			)
		);
		if ( null !== $body ) {
			curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
		}
		$raw    = (string) curl_exec( $ch );
		$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		curl_close( $ch );
		return array( $status, json_decode( $raw, true ), $raw, $received );
	}

	/** The loading stages a traced request reached (empty: answered at plugins_loaded by the early entry). */
	private static function stages( array $headers ): array {
		return $headers['x-tagbridge-trace'] ?? array();
	}

	/** Sends a webhook with the key in the header and returns [status, json]. */
	private function send( array $payload, string $query = '' ): array {
		return $this->call( $query, wp_json_encode( $payload ), array( 'X-TagBridge-Key' => Secret::get() ) );
	}

	/** Waits (bounded) until the queue row was processed; returns it. */
	private function processed( int $id ): array {
		global $wpdb;
		for ( $i = 0; $i < 300; $i++ ) {
			$status = $wpdb->get_var( $wpdb->prepare( 'SELECT status FROM ' . Queue::table() . ' WHERE id = %d', $id ) );
			if ( 'pending' !== $status ) {
				break;
			}
			usleep( 100000 );
		}
		wp_cache_flush();
		return Plugin::instance()->webhooks->find( $id );
	}

	private function accepted( array $payload, string $query = '' ): array {
		list( $status, $json, $raw ) = $this->send( $payload, $query );
		$this->assertSame( 202, $status, $raw );
		$this->assertTrue( $json['accepted'] );
		$row = $this->processed( (int) $json['id'] );
		$this->assertSame( 'done', $row['status'], wp_json_encode( $row['result'] ) );
		return $row;
	}

	/** A webhook processor working in this process, as the endpoint's runner builds it. */
	private function processor(): Processor {
		$plugin = Plugin::instance();
		return new Processor( array( \TagBridge\Crm\Connection::class, 'crm' ), new UserImporter( $plugin->settings ), $plugin->sync, $plugin->tags, $plugin->outbox, $plugin->roles );
	}

	private function queue_size(): int {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Queue::table() );
	}

	private function mails(): array {
		$lines = array_filter( explode( "\n", (string) file_get_contents( self::mails_file() ) ) );
		return array_map( fn( $l ) => json_decode( $l, true ), array_values( $lines ) );
	}

	public function test_the_early_entry_answers_every_url_form_before_init_and_the_runner_still_comes(): void {
		$key   = Secret::get();
		$forms = array(
			'REST path'                   => array( '', '/wp-json/tagbridge/v1/webhook' ),
			'REST path, trailing slash'   => array( '', '/wp-json/tagbridge/v1/webhook/' ),
			'REST path behind index.php'  => array( '', '/index.php/wp-json/tagbridge/v1/webhook' ),
			'rest_route on the home page' => array( 'rest_route=/tagbridge/v1/webhook', '/' ),
			'rest_route on another page'  => array( 'rest_route=%2Ftagbridge%2Fv1%2Fwebhook%2F', '/sample-page/' ),
			'query form on the home page' => array( 'tagbridge_action=add', '/' ),
			'query form on another path'  => array( 'tagbridge_action=add', '/no/such/page/' ),
		);
		foreach ( $forms as $name => list( $query, $path ) ) {
			$email = $this->email( 'early' );
			$body  = wp_json_encode( array_merge( 'tagbridge_action=add' === $query ? array() : array( 'action' => 'add' ), array( 'email' => $email, 'tags' => array( 'Gold' ) ) ) );
			list( $status, $json, $raw, $headers ) = $this->call( $query, $body, array( 'X-TagBridge-Key' => $key ), $path );
			$this->assertSame( 202, $status, "$name: $raw" );
			$this->assertSame( array( 'accepted', 'id', 'action' ), array_keys( $json ), $name );
			$this->assertSame( array( 'application/json; charset=UTF-8' ), $headers['content-type'], $name );
			$this->assertSame( array(), self::stages( $headers ), "$name: answered before init, and before the plugins' plugins_loaded work" );
			$row = $this->processed( (int) $json['id'] );
			$this->assertSame( 'done', $row['status'], "$name: the runner kicked at the early entry's shutdown processed it" );
			$this->assertSame( array( 'Gold' ), tagbridge_get_tags( get_user_by( 'email', $email )->ID ), $name );
		}

		// A form body is parameters, as on the REST route.
		$email = $this->email( 'form' );
		list( $status, $json, $raw, $headers ) = $this->call( 'tagbridge_action=add', http_build_query( array( 'email' => $email, 'tags' => 'Silver,Gold' ) ), array( 'X-TagBridge-Key' => $key, 'Content-Type' => 'application/x-www-form-urlencoded' ), '/' );
		$this->assertSame( array( 202, array() ), array( $status, self::stages( $headers ) ), $raw );
		$this->assertSame( 'done', $this->processed( (int) $json['id'] )['status'] );
		$this->assertSame( array( 'Gold', 'Silver' ), tagbridge_get_tags( get_user_by( 'email', $email )->ID ) );

		// Refusals and `test` come from the same place, with the same headers.
		list( $status, $json, , $headers ) = $this->call( '', wp_json_encode( array( 'action' => 'test' ) ), array( 'X-TagBridge-Key' => 'wrong' ) );
		$this->assertSame( array( 403, 'tagbridge_auth_failed', array() ), array( $status, $json['code'], self::stages( $headers ) ) );
		list( $status, $json, , $headers ) = $this->call( 'rest_route=/tagbridge/v1/webhook&action=test&key=' . $key, null, array(), '/' );
		$this->assertSame( array( 200, true, array() ), array( $status, $json['ok'], self::stages( $headers ) ) );
	}

	public function test_the_rest_route_gives_the_early_entrys_answers_to_requests_it_does_not_take(): void {
		$key = Secret::get();
		// In-process (rest_do_request): the route is registered and answers with Endpoint::handle().
		$request = new WP_REST_Request( 'POST', '/tagbridge/v1/webhook' );
		$request->set_header( 'Content-Type', 'application/json' );
		$request->set_body( wp_json_encode( array( 'action' => 'test' ) ) );
		$anonymous = rest_do_request( $request );
		$request->set_header( 'X-TagBridge-Key', $key );
		$keyed = rest_do_request( $request );
		list( $early_status, $early_json ) = $this->call( '', wp_json_encode( array( 'action' => 'test' ) ) );
		$this->assertSame( array( 401, $early_json ), array( $anonymous->get_status(), $anonymous->get_data() ), 'the same refusal as the early entry gives' );
		$this->assertSame( 401, $early_status );
		$this->assertSame( array( 200, true ), array( $keyed->get_status(), $keyed->get_data()['ok'] ) );

		// Over HTTP, a parameter of the REST server's own leaves the request to WordPress, whose route answers.
		list( $status, $json, $raw, $headers ) = $this->call( '_envelope=1', wp_json_encode( array( 'action' => 'test' ) ), array( 'X-TagBridge-Key' => $key ) );
		$this->assertSame( 200, $status, $raw );
		$this->assertSame( array( 200, true ), array( $json['status'], $json['body']['ok'] ), 'enveloped by the REST server' );
		$this->assertSame( array( 'plugins_loaded', 'init' ), self::stages( $headers ) );

		// Discovery still lists the route.
		list( $status, $json, , $headers ) = $this->call( 'rest_route=/', null, array(), '/' );
		$this->assertSame( 200, $status );
		$this->assertArrayHasKey( '/tagbridge/v1/webhook', $json['routes'] );
		$this->assertSame( array( 'plugins_loaded', 'init' ), self::stages( $headers ) );
	}

	public function test_other_entry_points_and_other_urls_get_wordpress_as_usual(): void {
		$before = $this->queue_size();
		$key    = Secret::get();
		$add    = 'tagbridge_action=add&email=' . rawurlencode( $this->email( 'elsewhere' ) );
		// Not the front controller: admin-ajax, wp-login, wp-cron and xmlrpc never take a webhook.
		$cases = array(
			'admin-ajax' => array( '/wp-admin/admin-ajax.php', 400, '0' ),
			'wp-login'   => array( '/wp-login.php', 200, '<form name="loginform"' ),
			'wp-cron'    => array( '/wp-cron.php', 200, '' ),
			'xmlrpc'     => array( '/xmlrpc.php', 405, 'XML-RPC server accepts POST requests only.' ),
		);
		foreach ( $cases as $name => list( $path, $want, $content ) ) {
			list( $status, , $raw, $headers ) = $this->call( $add, null, array( 'X-TagBridge-Key' => $key ), $path );
			$this->assertSame( $want, $status, "$name: $raw" );
			$this->assertStringContainsString( $content, $raw, $name );
			$this->assertStringNotContainsString( 'accepted', $raw, $name );
			$this->assertSame( array( 'plugins_loaded', 'init' ), self::stages( $headers ), "$name: WordPress loaded as usual" );
		}
		$this->assertSame( $before, $this->queue_size(), 'nothing stored' );

		// The front controller with something else: the page, another REST route, a near miss.
		list( $status, , $raw, $headers ) = $this->call( '', null, array(), '/' );
		$this->assertSame( array( 200, array( 'plugins_loaded', 'init' ) ), array( $status, self::stages( $headers ) ) );
		$this->assertStringContainsString( '<html', $raw );
		foreach ( array( '/wp-json/tagbridge/v1/webhooks', '/wp-json/tagbridge/v1/webhook/more', '/tagbridge/v1/webhook' ) as $path ) {
			list( $status, $json, , $headers ) = $this->call( '', null, array( 'X-TagBridge-Key' => $key ), $path );
			$this->assertSame( 404, $status, $path );
			$this->assertNotSame( true, $json['ok'] ?? null, $path );
			$this->assertSame( array( 'plugins_loaded', 'init' ), self::stages( $headers ), $path );
		}
	}

	public function test_the_rest_path_is_recognised_under_the_sites_home_path_only(): void {
		$route = '/wp-json/tagbridge/v1/webhook';
		foreach ( array( '', '/', '/?x=1', '?x=1' ) as $tail ) {
			$this->assertTrue( EarlyEntry::is_rest_path( '/blog' . $route . $tail, 'https://example.org/blog', 'wp-json' ), $tail );
			$this->assertTrue( EarlyEntry::is_rest_path( $route . $tail, 'https://example.org', 'wp-json' ), $tail );
		}
		$this->assertTrue( EarlyEntry::is_rest_path( '/blog/index.php' . $route, 'https://example.org/blog/', 'wp-json' ) );
		$this->assertTrue( EarlyEntry::is_rest_path( '/blog/api/tagbridge/v1/webhook', 'https://example.org/blog', 'api' ), 'a filtered REST prefix' );
		foreach ( array( $route, '/blogs' . $route, '/other/blog' . $route, '/blog' . $route . '/x', '/blog/wp-json/tagbridge/v1', '/blog/api/tagbridge/v1/webhook' ) as $uri ) {
			$this->assertFalse( EarlyEntry::is_rest_path( $uri, 'https://example.org/blog', 'wp-json' ), $uri );
		}
	}

	public function test_test_action_answers_at_once_with_the_key_in_header_or_query(): void {
		list( $status, $json ) = $this->send( array( 'action' => 'test' ) );
		$this->assertSame( array( 200, true ), array( $status, $json['ok'] ) );
		list( $status, $json ) = $this->call( 'tagbridge_action=test&key=' . Secret::get(), null, array(), '/' );
		$this->assertSame( array( 200, true ), array( $status, $json['ok'] ), 'query form on the front page' );
	}

	public function test_add_creates_the_user_with_tags_and_linked_role_and_a_password_nobody_sees(): void {
		$email = $this->email( 'ann' );
		$row   = $this->accepted( array( 'action' => 'add', 'email' => $email, 'first_name' => 'Ann', 'tags' => array( 'Gold', 'Newsletter' ) ) );
		$user  = get_user_by( 'email', $email );
		$this->assertSame( (int) $row['user_id'], $user->ID );
		$this->assertSame( $email, $user->user_login, 'username = email by default' );
		$this->assertSame( 'Ann', $user->first_name );
		$this->assertSame( array( 'Gold', 'Newsletter' ), tagbridge_get_tags( $user->ID ) );
		$this->assertSame( array( 'subscriber', 'tb_gold' ), self::roles_of( $user->ID ) );
		$this->assertStringStartsWith( '$', $user->user_pass, 'a hash of a random password' );
		$this->assertSame( array(), $this->mails(), 'send_notification omitted: no WordPress email' );

		// The same contact again: updated, not duplicated.
		$this->accepted( array( 'action' => 'add', 'email' => strtoupper( $email ), 'last_name' => 'Lee', 'tags' => array( 'Silver' ) ) );
		$this->assertSame( $user->ID, get_user_by( 'email', $email )->ID );
		$this->assertSame( 'Lee', get_userdata( $user->ID )->last_name );
		$this->assertSame( array( 'Silver' ), tagbridge_get_tags( $user->ID ), 'the contact\'s tags replace the user\'s' );
		$this->assertSame( array( 'subscriber', 'tb_silver' ), self::roles_of( $user->ID ) );
	}

	public function test_username_settings_are_unique(): void {
		update_option( UserImporter::OPTION, array( 'username' => 'first_last' ) );
		$a = $this->email( 'x' );
		$b = $this->email( 'y' );
		$this->accepted( array( 'action' => 'add', 'email' => $a, 'first_name' => 'Kim', 'last_name' => 'Tester' ) );
		$this->accepted( array( 'action' => 'add', 'email' => $b, 'first_name' => 'Kim', 'last_name' => 'Tester' ) );
		wp_cache_flush();
		$first  = get_user_by( 'email', $a )->user_login;
		$second = get_user_by( 'email', $b )->user_login;
		$this->assertSame( 'kim.tester', $first );
		$this->assertStringStartsWith( 'kim.tester', $second );
		$this->assertNotSame( $first, $second );
		update_option( UserImporter::OPTION, array( 'username' => 'local' ) );
		$c = $this->email( 'zed' );
		$this->accepted( array( 'action' => 'add', 'email' => $c ) );
		$this->assertSame( strstr( $c, '@', true ), get_user_by( 'email', $c )->user_login );
	}

	public function test_update_tags_and_update_change_tags_and_roles_and_never_echo(): void {
		$id    = $this->create_user( 'subscriber' );
		$email = get_userdata( $id )->user_email;
		$this->accepted( array( 'action' => 'update_tags', 'email' => $email, 'tags' => array( 'Gold' ) ) );
		$this->assertSame( array( 'subscriber', 'tb_gold' ), self::roles_of( $id ) );
		$this->accepted( array( 'action' => 'update', 'contact_id' => (string) $id, 'tags' => array(), 'fields' => array( 'city' => 'Oslo' ) ) );
		$this->assertSame( array(), tagbridge_get_tags( $id ) );
		$this->assertSame( array( 'subscriber' ), self::roles_of( $id ) );
		$row = $this->accepted( array( 'action' => 'update_tags', 'email' => 'nobody-' . wp_generate_password( 6, false ) . '@example.org', 'tags' => array( 'Gold' ) ) );
		$this->assertSame( 'no_matching_user', $row['result']['note'] );
	}

	public function test_update_hands_the_contact_to_the_pull_seam_inside_the_from_crm_scope(): void {
		$plugin    = Plugin::instance();
		$processor = $this->processor();
		$id        = $this->create_user();
		$seen      = array();
		$hook      = function ( $user_id, $contact, $action ) use ( &$seen, $plugin ) {
			$seen[] = array( $user_id, $contact['fields'], $action, $plugin->outbox->is_from_crm() );
		};
		add_action( 'tagbridge_webhook_contact', $hook, 10, 3 );
		$parsed = tagbridge_webhook_parse( array( 'action' => 'update' ), wp_json_encode( array( 'contact_id' => (string) $id, 'fields' => array( 'city' => 'Oslo' ) ) ) );
		$out    = $processor->process( $parsed['request'] );
		remove_action( 'tagbridge_webhook_contact', $hook, 10 );
		$this->assertSame( 'done', $out['outcome'] );
		$this->assertSame( array( array( $id, array( 'city' => 'Oslo' ), 'update', true ) ), $seen );
	}

	public function test_update_over_http_writes_pull_enabled_fields_and_does_not_push_them_back(): void {
		$settings           = tagbridge_get_settings();
		$settings['fields'] = array(
			array( 'key' => 'tb_city', 'crm_field' => 'city', 'type' => 'text', 'direction' => 'both', 'source' => 'other' ),
			array( 'key' => 'tb_secret_note', 'crm_field' => 'note', 'type' => 'text', 'direction' => 'push', 'source' => 'other' ),
		);
		$this->assertTrue( tagbridge_update_settings( $settings ) );
		$id = $this->create_user();
		$this->accepted( array( 'action' => 'update', 'contact_id' => (string) $id, 'fields' => array( 'city' => 'Oslo', 'note' => 'from the CRM' ) ) );
		wp_cache_delete( $id, 'user_meta' );
		$this->assertSame( 'Oslo', get_user_meta( $id, 'tb_city', true ), 'a pull-enabled field is written' );
		$this->assertSame( '', get_user_meta( $id, 'tb_secret_note', true ), 'a push-only field is not' );
		$this->assertSame( 0, $this->outbox_rows( $id ), 'nothing queued back to the CRM' );
	}

	/**
	 * The endpoint's processing in this process: what it marks for the push is still here to plan,
	 * as the served site plans it at the end of the webhook's request.
	 */
	public function test_add_sends_nothing_back_and_the_next_local_edit_sends_only_what_changed(): void {
		$settings           = tagbridge_get_settings();
		$settings['fields'] = array(
			array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'direction' => 'both', 'source' => 'wordpress' ),
			array( 'key' => 'last_name', 'crm_field' => 'last_name', 'type' => 'text', 'direction' => 'push', 'source' => 'wordpress' ),
			array( 'key' => 'tb_city', 'crm_field' => 'city', 'type' => 'text', 'direction' => 'both', 'source' => 'other' ),
		);
		$this->assertTrue( tagbridge_update_settings( $settings ) );
		$fields = Plugin::instance()->fields;
		$fields->flush();
		$parsed = tagbridge_webhook_parse( array( 'action' => 'add' ), wp_json_encode( array( 'email' => $this->email( 'bea' ), 'first_name' => 'Bea', 'last_name' => 'Kay', 'fields' => array( 'city' => 'Oslo' ), 'tags' => array( 'Gold' ) ) ) );
		$out    = $this->processor()->process( $parsed['request'] );
		$id     = $out['user_id'];
		$this->assertTrue( $out['result']['created'] );
		$this->assertSame( 'Oslo', get_user_meta( $id, 'tb_city', true ) );
		$this->assertSame( array(), $fields->flush(), 'the names and field the CRM just sent are not pushed back to it' );

		update_user_meta( $id, 'tb_city', 'Bergen' );
		$fields->mark( $id );
		$this->assertSame( array( $id => array( 'city' => 'Bergen' ) ), $fields->flush(), 'a later local edit sends only the changed field' );
	}

	public function test_protection_follows_the_settings_capability_list(): void {
		$settings               = tagbridge_get_settings();
		$settings['protection'] = array( 'capabilities' => array( 'manage_options', 'tb_guarded' ) );
		$this->assertTrue( tagbridge_update_settings( $settings ) );
		$guarded = $this->create_user( 'subscriber', array( 'first_name' => 'Guarded' ) );
		get_userdata( $guarded )->add_cap( 'tb_guarded' ); // Not in any built-in list: only the settings name it.
		$old = get_userdata( $guarded )->user_email;
		$row = $this->accepted( array( 'action' => 'add', 'contact_id' => (string) $guarded, 'email' => $this->email( 'guarded' ), 'first_name' => 'Mallory' ) );
		$this->assertContains( 'protected_user', $row['result']['notes'] );
		clean_user_cache( $guarded );
		$this->assertSame( $old, get_userdata( $guarded )->user_email );
		$this->assertSame( 'Guarded', get_userdata( $guarded )->first_name );
	}

	public function test_send_notification_matrix(): void {
		$omitted = $this->email( 'omit' );
		$off     = $this->email( 'off' );
		$on      = $this->email( 'on' );
		$this->accepted( array( 'action' => 'add', 'email' => $omitted ) );
		$this->accepted( array( 'action' => 'add', 'email' => $off, 'send_notification' => false ) );
		$this->assertSame( array(), $this->mails(), 'omitted and false: no email' );
		$this->accepted( array( 'action' => 'add', 'email' => $on ), 'send_notification=true' );
		$mails = $this->mails();
		$this->assertCount( 1, $mails );
		$this->assertSame( $on, $mails[0]['to'] );
		$this->assertStringContainsString( 'action=rp&key=', $mails[0]['message'], 'a set-password link' );
		$this->assertStringNotContainsStringIgnoringCase( 'password:', $mails[0]['message'] );
	}

	public function test_auth_failures_are_refused_logged_without_the_key_and_change_nothing(): void {
		global $wpdb;
		$before = $this->queue_size();
		$body   = wp_json_encode( array( 'action' => 'add', 'email' => $this->email( 'intruder' ) ) );
		$ts     = (string) time();
		$good   = 'sha256=' . hash_hmac( 'sha256', $ts . '.' . $body, Secret::get() );
		$cases  = array(
			'missing'         => array( 401, 'tagbridge_auth_missing', '', array() ),
			'wrong header'    => array( 403, 'tagbridge_auth_failed', '', array( 'X-TagBridge-Key' => 'wrong-key-123' ) ),
			'wrong query'     => array( 403, 'tagbridge_auth_failed', 'key=wrong-key-456', array() ),
			'wrong hmac'      => array( 403, 'tagbridge_signature_invalid', '', array( 'X-TagBridge-Timestamp' => $ts, 'X-TagBridge-Signature' => 'sha256=' . str_repeat( 'ab', 32 ) ) ),
			'no timestamp'    => array( 401, 'tagbridge_auth_missing', '', array( 'X-TagBridge-Signature' => $good ) ),
			'expired'         => array( 403, 'tagbridge_signature_expired', '', array( 'X-TagBridge-Timestamp' => (string) ( time() - 301 ), 'X-TagBridge-Signature' => 'sha256=' . hash_hmac( 'sha256', ( time() - 301 ) . '.' . $body, Secret::get() ) ) ),
		);
		foreach ( $cases as $name => list( $want, $code, $query, $headers ) ) {
			list( $status, $json ) = $this->call( $query, $body, $headers );
			$this->assertSame( array( $want, $code ), array( $status, $json['code'] ?? null ), $name );
		}
		$this->assertSame( $before, $this->queue_size(), 'nothing stored' );
		$logged = implode( "\n", $wpdb->get_col( "SELECT CONCAT(message, IFNULL(context, '')) FROM " . \TagBridge\Log\Logger::table() . " WHERE source = 'webhook' ORDER BY id DESC LIMIT 20" ) );
		$this->assertStringContainsString( 'Wrong key', $logged );
		$this->assertStringNotContainsString( 'wrong-key-123', $logged );
		$this->assertStringNotContainsString( 'wrong-key-456', $logged );

		// A correct signature works once; the same request again is a replay.
		list( $status, $json ) = $this->call( '', $body, array( 'X-TagBridge-Timestamp' => $ts, 'X-TagBridge-Signature' => $good ) );
		$this->assertSame( 202, $status );
		$this->processed( (int) $json['id'] );
		list( $status, $json ) = $this->call( '', $body, array( 'X-TagBridge-Timestamp' => $ts, 'X-TagBridge-Signature' => $good ) );
		$this->assertSame( array( 403, 'tagbridge_signature_replayed' ), array( $status, $json['code'] ) );
	}

	public function test_role_escalation_attempts_are_refused(): void {
		$before = $this->queue_size();
		foreach ( array( 'administrator', 'tb_manager', 'made_up_role', 'editor ' ) as $role ) {
			$email                 = $this->email( 'esc' );
			list( $status, $json ) = $this->send( array( 'action' => 'add', 'email' => $email, 'role' => $role ) );
			$this->assertSame( 403, $status, $role );
			$this->assertSame( 'tagbridge_role_refused', $json['code'], $role );
			$this->assertFalse( get_user_by( 'email', $email ), $role );
		}
		foreach ( array( 'role', 'wp_capabilities', 'user_pass', 'user_email' ) as $field ) {
			list( $status, $json ) = $this->send( array( 'action' => 'update', 'email' => 'a@example.org', 'fields' => array( $field => 'administrator' ) ) );
			$this->assertSame( array( 400, 'tagbridge_reserved_field' ), array( $status, $json['code'] ), $field );
		}
		list( $status ) = $this->call( 'role=administrator', wp_json_encode( array( 'action' => 'update', 'email' => 'a@example.org' ) ), array( 'X-TagBridge-Key' => Secret::get() ) );
		$this->assertSame( 400, $status, 'role is not taken by update' );
		$this->assertSame( $before, $this->queue_size() );

		// An administrator: email and names never change, roles never follow tags.
		$admin = $this->create_user( 'administrator' );
		$old   = get_userdata( $admin )->user_email;
		$row   = $this->accepted( array( 'action' => 'add', 'contact_id' => (string) $admin, 'email' => $this->email( 'takeover' ), 'first_name' => 'Mallory', 'role' => 'subscriber', 'tags' => array( 'Gold' ) ) );
		$this->assertContains( 'protected_user', $row['result']['notes'] );
		clean_user_cache( $admin );
		$this->assertSame( $old, get_userdata( $admin )->user_email );
		$this->assertNotSame( 'Mallory', get_userdata( $admin )->first_name );
		$this->assertSame( array( 'administrator' ), self::roles_of( $admin ) );
		$manager = $this->create_user( 'tb_manager' );
		$this->accepted( array( 'action' => 'update_tags', 'contact_id' => (string) $manager, 'tags' => array( 'Silver' ) ) );
		$this->assertSame( array( 'tb_manager' ), self::roles_of( $manager ), 'a protected user keeps their roles' );
	}

	public function test_two_webhooks_for_one_contact_seconds_apart_are_both_applied_in_order(): void {
		$id    = $this->create_user();
		$email = get_userdata( $id )->user_email;
		list( , $first ) = $this->send( array( 'action' => 'update_tags', 'email' => $email, 'tags' => array( 'Gold', 'A' ) ) );
		sleep( 1 );
		list( , $second ) = $this->send( array( 'action' => 'update_tags', 'email' => $email, 'tags' => array( 'Silver', 'A', 'B' ) ) );
		$one = $this->processed( (int) $first['id'] );
		$two = $this->processed( (int) $second['id'] );
		$this->assertSame( array( 'done', 'done' ), array( $one['status'], $two['status'] ) );
		$this->assertSame( array( 'Gold', 'A' ), $one['result']['applied'] );
		$this->assertSame( array( 'Silver', 'B' ), $two['result']['applied'] );
		$this->assertSame( array( 'Gold' ), $two['result']['removed'] );
		$this->assertSame( array( 'A', 'B', 'Silver' ), tagbridge_get_tags( $id ) );
		$this->assertLessThanOrEqual( $two['processed_at'], $one['processed_at'] );
	}

	public function test_a_retry_holds_back_the_contacts_later_webhooks_by_email_or_contact_id(): void {
		global $wpdb;
		$plugin = Plugin::instance();
		$id     = $this->create_user();
		$email  = get_userdata( $id )->user_email;
		// The CRM cannot answer the first webhook (a retry), then is back.
		$calls     = 0;
		$crm       = static function () use ( &$calls ) {
			return 1 === ++$calls ? new WP_Error( 'tagbridge_not_connected', 'down' ) : \TagBridge\Crm\Connection::crm();
		};
		$runner    = new \TagBridge\Webhook\WebhookRunner( $plugin->webhooks, new Processor( $crm, new UserImporter( $plugin->settings ), $plugin->sync, $plugin->tags, $plugin->outbox, $plugin->roles ), $plugin->log, $plugin->webhook_kicker );
		$rows      = array();
		$requests  = array(
			array( 'email' => $email, 'contact_id' => (string) $id, 'tags' => array( 'Gold' ) ),
			array( 'contact_id' => (string) $id, 'tags' => array( 'Silver' ) ),
			array( 'email' => strtoupper( $email ), 'tags' => array( 'Silver', 'Late' ) ),
		);
		foreach ( $requests as $payload ) {
			$parsed = tagbridge_webhook_parse( array( 'action' => 'update_tags' ), wp_json_encode( $payload ) );
			$rows[] = $plugin->webhooks->accept( $parsed['request'] );
		}
		// The site's own runner may still be finishing earlier tests' webhooks.
		for ( $i = 0; $i < 300 && '1' !== (string) $wpdb->get_var( "SELECT IS_FREE_LOCK('" . \TagBridge\Webhook\WebhookRunner::LOCK . "')" ); $i++ ) {
			usleep( 100000 );
		}
		$now = time();
		$runner->drain( $now );
		$this->assertSame( array( 'pending', 'pending', 'pending' ), array_map( fn( $r ) => $plugin->webhooks->find( $r )['status'], $rows ), 'the later webhooks wait, whether they name the contact by id or by email' );
		$this->assertSame( 1, (int) $plugin->webhooks->find( $rows[0] )['attempts'] );
		$this->assertSame( array(), tagbridge_get_tags( $id ) );

		$this->assertSame( 3, $runner->drain( $now + 3600 ) );
		$found = array_map( array( $plugin->webhooks, 'find' ), $rows );
		$this->assertSame( array( 'done', 'done', 'done' ), array_column( $found, 'status' ) );
		$this->assertSame( array( 'Late', 'Silver' ), tagbridge_get_tags( $id ), 'applied in the order they arrived' );
		$this->assertSame( array( 'Silver' ), $found[1]['result']['applied'] );
		$this->assertSame( array( 'Gold' ), $found[1]['result']['removed'] );
	}

	public function test_hostile_input_gets_a_4xx_json_error_no_warning_and_no_partial_user(): void {
		$log_file = getenv( 'TB_SITE_DIR' ) . '/debug.log';
		$log_size = is_file( $log_file ) ? filesize( $log_file ) : 0;
		$users    = count_users()['total_users'];
		$before   = $this->queue_size();
		$key      = array( 'X-TagBridge-Key' => Secret::get() );
		$cases    = array(
			'malformed json' => array( 400, 'tagbridge_invalid_json', '', '{"action":"add","email":' ),
			'wrong types'    => array( 400, 'tagbridge_invalid_parameter', '', '{"action":"add","email":"a@example.org","tags":"Gold"}' ),
			'email as list'  => array( 400, 'tagbridge_invalid_parameter', 'email[]=a@example.org&action=add', '' ),
			'bad email'      => array( 400, 'tagbridge_invalid_email', '', '{"action":"add","email":"<script>@x"}' ),
			'huge body'      => array( 413, 'tagbridge_payload_too_large', '', '{"action":"add","email":"a@example.org","x":"' . str_repeat( 'x', 1024 * 1024 ) . '"}' ),
			'not utf-8'      => array( 400, 'tagbridge_not_utf8', '', "{\"action\":\"add\",\"email\":\"\xff\xfe@example.org\"}" ),
			'unknown action' => array( 400, 'tagbridge_unknown_action', '', '{"action":"delete_everyone"}' ),
			'deep nesting'   => array( 400, 'tagbridge_invalid_json', '', '{"action":"add","fields":' . str_repeat( '[', 5000 ) . str_repeat( ']', 5000 ) . '}' ),
			'not an object'  => array( 400, 'tagbridge_invalid_shape', '', '["add"]' ),
		);
		foreach ( $cases as $name => list( $want, $code, $query, $body ) ) {
			list( $status, $json, $raw ) = $this->call( $query, $body, $key );
			$this->assertSame( $want, $status, "$name: $raw" );
			$this->assertSame( $code, $json['code'] ?? null, $name );
			$this->assertSame( $want, $json['data']['status'], $name );
		}
		list( $status, $json ) = $this->call( 'tagbridge_action=explode&key=' . Secret::get(), null, array(), '/' );
		$this->assertSame( array( 400, 'tagbridge_unknown_action' ), array( $status, $json['code'] ), 'query form' );
		$this->assertSame( $before, $this->queue_size(), 'nothing stored' );
		$this->assertSame( $users, count_users()['total_users'], 'no partial user' );
		clearstatcache();
		$new  = is_file( $log_file ) ? (string) file_get_contents( $log_file, false, null, $log_size ) : '';
		$ours = array_filter( explode( "\n", $new ), fn( $l ) => preg_match( '/PHP (Warning|Notice|Fatal|Parse)/', $l ) || false !== stripos( $l, 'tagbridge' ) );
		$this->assertSame( array(), array_values( $ours ), $new );
	}
}
