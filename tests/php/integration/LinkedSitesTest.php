<?php
/**
 * Linked sites end to end: this site (A, the PHPUnit process and its served copy) and a second
 * real WordPress site (B, its own database, served on its own port, driven over HTTP and through
 * child PHP processes loading B).
 */

namespace TagBridge\Tests;

use TagBridge\Plugin;
use TagBridge\Sites\Signer;

final class LinkedSitesTest extends TestCase {

	/** @var string The pair id (the same on both sites). */
	private static $link = '';

	public static function setUpBeforeClass(): void {
		parent::setUpBeforeClass();
		$code = Plugin::instance()->sites->pairing->create_code( time() );
		$out  = self::on_b(
			'if ( ! get_role( "course_member" ) ) { add_role( "course_member", "Course member", array( "read" => true ) ); }
			$r = tagbridge_link_role( "course_member", "Course" );
			if ( is_wp_error( $r ) ) { echo wp_json_encode( array( "error" => $r->get_error_message() ) ); return; }
			$link = \TagBridge\Plugin::instance()->sites->pairing->connect( ' . var_export( (string) getenv( 'TB_SITE_URL' ), true ) . ', ' . var_export( $code['code'], true ) . ', time() );
			if ( is_wp_error( $link ) ) { echo wp_json_encode( array( "error" => $link->get_error_message() ) ); return; }
			\TagBridge\Plugin::instance()->sites->links->set_rules( $link["id"], "receive", array( "create" => true, "fields" => array( "first_name" ), "roles" => array( "course_member", "administrator" ), "tags" => true, "passwords" => true ) );
			echo wp_json_encode( $link );'
		);
		// Site A's server stored the link: forget what this process cached of the option.
		wp_cache_delete( 'tagbridge_sites', 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		self::$link = $out['id'] ?? '';
		if ( '' === self::$link ) {
			throw new \RuntimeException( 'pairing failed: ' . wp_json_encode( $out ) );
		}
		Plugin::instance()->sites->links->set_rules( self::$link, 'send', array( 'create' => true, 'fields' => array( 'first_name', 'last_name' ), 'roles' => array( 'course_member', 'administrator', 'subscriber' ), 'tags' => true, 'passwords' => true ) );
	}

	public static function tearDownAfterClass(): void {
		global $wpdb;
		Plugin::instance()->sites->links->remove( self::$link );
		$wpdb->query( 'DELETE FROM ' . \TagBridge\Sites\SiteQueue::table() ); // phpcs:ignore
		parent::tearDownAfterClass();
	}

	/** Runs PHP inside site B; returns its JSON output decoded. */
	private static function on_b( string $code ): array {
		$file = tempnam( sys_get_temp_dir(), 'tbb' );
		$host = (string) wp_parse_url( (string) getenv( 'TB_SITEB_URL' ), PHP_URL_HOST ) . ':' . wp_parse_url( (string) getenv( 'TB_SITEB_URL' ), PHP_URL_PORT );
		file_put_contents( $file, "<?php\n\$_SERVER['HTTP_HOST'] = " . var_export( $host, true ) . "; \$_SERVER['REQUEST_URI'] = '/'; require " . var_export( getenv( 'TB_SITEB_DIR' ) . '/wp-load.php', true ) . ";\n" . $code );
		exec( escapeshellarg( PHP_BINARY ) . ' -d extension=' . escapeshellarg( (string) getenv( 'TB_EXT' ) ) . ' ' . escapeshellarg( $file ) . ' 2>&1', $lines, $status ); // phpcs:ignore
		unlink( $file );
		$out = json_decode( implode( "\n", $lines ), true );
		if ( 0 !== $status || ! is_array( $out ) ) {
			throw new \RuntimeException( 'site B: ' . implode( "\n", $lines ) );
		}
		return $out;
	}

	/** The state of a user on B, by email. */
	private static function b_user( string $email ): array {
		return self::on_b(
			'$u = get_user_by( "email", ' . var_export( $email, true ) . ' );
			echo wp_json_encode( $u ? array( "exists" => true, "login" => $u->user_login, "roles" => array_values( $u->roles ), "tags" => tagbridge_get_tags( $u->ID ), "first_name" => $u->first_name, "last_name" => $u->last_name, "hash" => $u->user_pass ) : array( "exists" => false ) );'
		);
	}

	/** Ends "the request" on A: queue what changed, deliver it. */
	private function deliver( int $now = 0 ): array {
		Plugin::instance()->sites->sync->flush();
		return Plugin::instance()->sites->queue->drain( $now ? $now : time() );
	}

	/** A signed request to B's receive endpoint, as A would send it (optionally tampered with). */
	private function post_to_b( array $change, int $time, ?callable $tamper = null ): array {
		$link    = Plugin::instance()->sites->links->get( self::$link );
		$body    = (string) wp_json_encode( array( 'change' => $change ) );
		$headers = Signer::headers( $link, $body, $time );
		if ( $tamper ) {
			list( $headers, $body ) = $tamper( $headers, $body );
		}
		$response = wp_remote_post( getenv( 'TB_SITEB_URL' ) . '/wp-json/tagbridge/v1/sites/receive', array( 'headers' => $headers, 'body' => $body, 'timeout' => 15 ) );
		$this->assertNotWPError( $response );
		return array( (int) wp_remote_retrieve_response_code( $response ), json_decode( wp_remote_retrieve_body( $response ), true ), $headers, $body );
	}

	public function test_seed_scenario_a_tag_on_a_gives_the_user_the_tag_and_linked_role_on_b(): void {
		$id    = $this->create_user( 'subscriber', array( 'first_name' => 'Ada', 'last_name' => 'Lovelace' ) );
		$email = get_userdata( $id )->user_email;
		$this->assertNotWPError( tagbridge_apply_tags( $id, array( 'Course' ) ) );
		$stats = $this->deliver();
		$this->assertSame( 0, $stats['failed'] );
		$this->assertGreaterThan( 0, $stats['delivered'], wp_json_encode( Plugin::instance()->sites->links->public_view() ) );
		$b = self::b_user( $email );
		$this->assertTrue( $b['exists'] );
		$this->assertContains( 'Course', $b['tags'] );
		$this->assertContains( 'course_member', $b['roles'], 'the tag applied through the tag API brings the linked role on B' );
		$this->assertSame( 'Ada', $b['first_name'] );
		$this->assertSame( '', $b['last_name'], 'B accepts first_name only' );
	}

	public function test_initial_sync_sends_existing_users_with_progress_and_stops_when_done(): void {
		global $wpdb;
		$plugin = Plugin::instance();
		// Users who existed before the sites were linked: what their creation queued is dropped.
		$first  = $this->create_user( 'subscriber', array( 'first_name' => 'Early' ) );
		$second = $this->create_user( 'subscriber', array( 'first_name' => 'Bird' ) );
		$this->assertNotWPError( tagbridge_apply_tags( $second, array( 'Course' ) ) );
		$plugin->sites->sync->flush();
		$wpdb->query( 'DELETE FROM ' . \TagBridge\Sites\SiteQueue::table() ); // phpcs:ignore
		$this->assertFalse( self::b_user( get_userdata( $first )->user_email )['exists'] );

		$job = $plugin->sites->initial->start( self::$link );
		$this->assertSame( 'running', $job['status'] );
		$this->assertSame( 0, $job['processed'] );
		$this->assertGreaterThanOrEqual( 2, $job['total'] );
		for ( $i = 0; $i < 100 && 'running' === $job['status']; $i++ ) {
			$job = $plugin->sites->initial->step( self::$link );
		}
		$this->assertSame( 'done', $job['status'] );
		$this->assertSame( $job['total'], $job['processed'], 'every user visited' );
		$this->assertGreaterThanOrEqual( 2, $job['queued'] );
		$this->assertSame( $job, $plugin->sites->initial->step( self::$link ), 'a finished job stays finished' );
		$this->assertSame( 0, $this->deliver()['failed'] );

		$early = self::b_user( get_userdata( $first )->user_email );
		$bird  = self::b_user( get_userdata( $second )->user_email );
		$this->assertTrue( $early['exists'] );
		$this->assertSame( 'Early', $early['first_name'] );
		$this->assertContains( 'Course', $bird['tags'] );
		$this->assertContains( 'course_member', $bird['roles'] );
	}

	public function test_password_hash_lets_the_user_log_in_on_b_with_as_password(): void {
		$id    = $this->create_user( 'subscriber', array( 'user_pass' => 'Sales-site pass 42!' ) );
		$email = get_userdata( $id )->user_email;
		$this->deliver();
		$b = self::b_user( $email );
		$this->assertSame( get_userdata( $id )->user_pass, $b['hash'], 'the hash travels, never the password' );
		$check = self::on_b(
			'$u = wp_authenticate( ' . var_export( $b['login'], true ) . ', "Sales-site pass 42!" );
			$bad = wp_authenticate( ' . var_export( $b['login'], true ) . ', "wrong" );
			echo wp_json_encode( array( "ok" => ! is_wp_error( $u ), "bad" => is_wp_error( $bad ) ) );'
		);
		$this->assertTrue( $check['ok'] );
		$this->assertTrue( $check['bad'] );
		$rows = $GLOBALS['wpdb']->get_col( 'SELECT payload FROM ' . \TagBridge\Sites\SiteQueue::table() ); // phpcs:ignore
		foreach ( $rows as $payload ) {
			$this->assertStringNotContainsString( 'Sales-site pass 42!', $payload );
		}
	}

	public function test_delete_is_off_by_default(): void {
		$id    = $this->create_user();
		$email = get_userdata( $id )->user_email;
		$this->deliver();
		$this->assertTrue( self::b_user( $email )['exists'] );
		wp_delete_user( $id );
		$this->forget_user( $id );
		$this->deliver();
		$this->assertTrue( self::b_user( $email )['exists'], 'deletes are off unless both sides allow them' );
	}

	public function test_protected_roles_are_never_set_remotely(): void {
		$email = 'tbprot' . wp_rand() . '@example.test';
		list( $status, $body ) = $this->post_to_b( array( 'op' => 'upsert', 'email' => $email, 'roles' => array( 'administrator', 'course_member' ), 'role_scope' => array( 'administrator', 'course_member' ) ), time() );
		$this->assertSame( 200, $status, wp_json_encode( $body ) );
		$b = self::b_user( $email );
		$this->assertNotContains( 'administrator', $b['roles'] );
		$this->assertContains( 'course_member', $b['roles'] );
	}

	public function test_forged_replayed_and_expired_requests_are_refused(): void {
		$email = 'tbforge' . wp_rand() . '@example.test';
		$change = array( 'op' => 'upsert', 'email' => $email );
		list( $status ) = $this->post_to_b( $change, time(), static function ( $h, $b ) { $h['X-TagBridge-Signature'] = str_repeat( '0', 64 ); return array( $h, $b ); } );
		$this->assertSame( 401, $status );
		list( $status ) = $this->post_to_b( $change, time(), static function ( $h, $b ) { return array( $h, str_replace( 'tbforge', 'tbevil', $b ) ); } );
		$this->assertSame( 401, $status, 'a changed body breaks the signature' );
		list( $status ) = $this->post_to_b( $change, time() - 3600 );
		$this->assertSame( 401, $status, 'an expired timestamp is refused' );
		$this->assertFalse( self::b_user( $email )['exists'], 'refused requests change nothing' );
		list( $status, , $headers, $body ) = $this->post_to_b( $change, time() );
		$this->assertSame( 200, $status );
		$again = wp_remote_post( getenv( 'TB_SITEB_URL' ) . '/wp-json/tagbridge/v1/sites/receive', array( 'headers' => $headers, 'body' => $body ) );
		$this->assertSame( 409, wp_remote_retrieve_response_code( $again ), 'a replayed request is refused' );
		list( $status, $answer ) = $this->post_to_b( array( 'op' => 'upsert', 'email' => 'not-an-email' ), time() );
		$this->assertSame( 400, $status );
		$this->assertSame( 'tagbridge_invalid_change', $answer['code'] );
	}

	public function test_b_down_then_up_every_change_arrives_in_order(): void {
		$id    = $this->create_user();
		$email = get_userdata( $id )->user_email;
		$this->deliver();
		$testbed = escapeshellarg( dirname( __DIR__, 2 ) . '/testbed/testbed.sh' );
		exec( $testbed . ' stop siteb 2>&1', $o, $s );
		$this->assertSame( 0, $s, implode( "\n", $o ) );
		try {
			tagbridge_apply_tags( $id, array( 'One' ) );
			$this->deliver();
			tagbridge_remove_tags( $id, array( 'One' ) );
			tagbridge_apply_tags( $id, array( 'Two' ) );
			$stats = $this->deliver();
			$this->assertSame( 0, $stats['delivered'] );
			$this->assertGreaterThanOrEqual( 2, Plugin::instance()->sites->queue->counts( self::$link )['pending'] );
		} finally {
			exec( $testbed . ' serve siteb ' . (int) wp_parse_url( (string) getenv( 'TB_SITEB_URL' ), PHP_URL_PORT ) . ' 2>&1', $o2, $s2 );
		}
		$this->assertSame( 0, $s2, implode( "\n", $o2 ) );
		$stats = $this->deliver( time() + 2 * HOUR_IN_SECONDS );
		$this->assertSame( 0, $stats['failed'] );
		$this->assertSame( 0, Plugin::instance()->sites->queue->counts( self::$link )['pending'] );
		$tags = self::b_user( $email )['tags'];
		$this->assertContains( 'Two', $tags );
		$this->assertNotContains( 'One', $tags, 'the removal arrived after the apply' );
	}

	public function test_a_change_received_from_b_is_not_sent_back(): void {
		global $wpdb;
		$email  = 'tbloop' . wp_rand() . '@example.test';
		$id     = $this->create_user( 'subscriber', array( 'user_email' => $email ) );
		$this->deliver();
		$before = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . \TagBridge\Sites\SiteQueue::table() ); // phpcs:ignore
		$link   = Plugin::instance()->sites->links->get( self::$link );
		Plugin::instance()->sites->links->set_rules( self::$link, 'receive', array( 'tags' => true, 'fields' => array( 'first_name' ) ) );
		$result = Plugin::instance()->sites->receiver->apply( $link, array( 'op' => 'upsert', 'email' => $email, 'apply_tags' => array( 'FromB' ), 'fields' => array( 'first_name' => 'Bee' ) ) );
		$this->assertNotWPError( $result );
		$this->assertTrue( tagbridge_has_tag( $id, 'FromB' ) );
		$this->deliver();
		$after = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . \TagBridge\Sites\SiteQueue::table() ); // phpcs:ignore
		$this->assertSame( $before, $after, 'nothing queued back to the site it came from' );
	}

	public function test_sign_on_handover_logs_the_user_in_once(): void {
		$id    = $this->create_user();
		$email = get_userdata( $id )->user_email;
		$this->deliver();
		$url  = tagbridge_site_login_url( self::$link, '/courses/', $id );
		$this->assertIsString( $url );
		$first = wp_remote_get( $url, array( 'redirection' => 0 ) );
		$this->assertSame( 302, wp_remote_retrieve_response_code( $first ) );
		$this->assertStringContainsString( 'wordpress_logged_in_', implode( ';', (array) wp_remote_retrieve_header( $first, 'set-cookie' ) ) );
		$this->assertStringEndsWith( '/courses/', wp_remote_retrieve_header( $first, 'location' ) );
		$this->assertSame( 403, wp_remote_retrieve_response_code( wp_remote_get( $url, array( 'redirection' => 0 ) ) ), 'a token works once' );
		$forged = preg_replace( '/[0-9a-f]{4}$/', 'beef', $url );
		$this->assertSame( 403, wp_remote_retrieve_response_code( wp_remote_get( Plugin::instance()->sites->handover->url( self::$link, $id, '/', time() ) . 'x', array( 'redirection' => 0 ) ) ) );
		$this->assertSame( 403, wp_remote_retrieve_response_code( wp_remote_get( $forged, array( 'redirection' => 0 ) ) ) );
		$expired = Plugin::instance()->sites->handover->url( self::$link, $id, '/', time() - 120 );
		$this->assertSame( 403, wp_remote_retrieve_response_code( wp_remote_get( $expired, array( 'redirection' => 0 ) ) ), 'an expired token is refused' );
		$this->assertTrue( self::b_user( $email )['exists'] );
	}

	public function test_a_pairing_code_works_once_and_expires(): void {
		$code = Plugin::instance()->sites->pairing->create_code( time() );
		$url  = var_export( (string) getenv( 'TB_SITE_URL' ), true );
		$c    = var_export( $code['code'], true );
		$out  = self::on_b( '$l = \TagBridge\Plugin::instance()->sites->pairing->connect( ' . $url . ', ' . $c . ', time() ); if ( ! is_wp_error( $l ) ) { \TagBridge\Plugin::instance()->sites->links->remove( $l["id"] ); } echo wp_json_encode( array( "ok" => ! is_wp_error( $l ), "id" => is_wp_error( $l ) ? $l->get_error_message() : $l["id"] ) );' );
		$this->assertTrue( $out['ok'], wp_json_encode( $out ) );
		wp_cache_delete( 'tagbridge_sites', 'options' );
		Plugin::instance()->sites->links->remove( $out['id'] );
		$again = self::on_b( '$l = \TagBridge\Plugin::instance()->sites->pairing->connect( ' . $url . ', ' . $c . ', time() ); echo wp_json_encode( array( "ok" => ! is_wp_error( $l ) ) );' );
		$this->assertFalse( $again['ok'], 'a used code is refused' );
		$old = Plugin::instance()->sites->pairing->create_code( time() - 3600 );
		$late = self::on_b( '$l = \TagBridge\Plugin::instance()->sites->pairing->connect( ' . $url . ', ' . var_export( $old['code'], true ) . ', time() ); echo wp_json_encode( array( "ok" => ! is_wp_error( $l ), "m" => is_wp_error( $l ) ? $l->get_error_message() : "" ) );' );
		$this->assertFalse( $late['ok'] );
		$this->assertStringContainsString( 'expired', $late['m'] );
	}
	/** A form-encoded POST to site A as served (string body: see the bootstrap's note on Requests). */
	private function post_to_a( string $path, array $fields, array $cookies = array() ): array {
		$res = wp_remote_post(
			getenv( 'TB_SITE_URL' ) . $path,
			array(
				'cookies'     => $cookies,
				'redirection' => 0,
				'timeout'     => 30,
				'headers'     => array(
					'Referer'      => getenv( 'TB_SITE_URL' ) . '/wp-admin/admin.php?page=tagbridge-sites',
					'Content-Type' => 'application/x-www-form-urlencoded',
				),
				'body'        => http_build_query( $fields, '', '&' ),
			)
		);
		$this->assertNotWPError( $res );
		return array( (int) wp_remote_retrieve_response_code( $res ), (string) wp_remote_retrieve_body( $res ) );
	}

	public function test_the_loopback_run_needs_its_key_and_delivers_what_is_due(): void {
		$email = 'tbkick' . wp_rand() . '@example.test';
		$queue = Plugin::instance()->sites->queue;
		$this->assertSame( 0, $queue->counts( self::$link )['pending'] );
		$this->assertGreaterThan( 0, $queue->enqueue( self::$link, array( 'op' => 'upsert', 'email' => $email, 'apply_tags' => array( 'Kicked' ) ) ) );

		list( $status ) = $this->post_to_a( '/wp-admin/admin-ajax.php', array( 'action' => \TagBridge\Sites\SiteQueue::AJAX_ACTION, 'key' => str_repeat( 'a', 64 ) ) );
		$this->assertSame( 403, $status, 'a wrong key is refused' );
		$this->assertSame( 1, $queue->counts( self::$link )['pending'], 'a refused run delivers nothing' );
		$this->assertFalse( self::b_user( $email )['exists'] );

		list( $status, $body ) = $this->post_to_a( '/wp-admin/admin-ajax.php', array( 'action' => \TagBridge\Sites\SiteQueue::AJAX_ACTION, 'key' => \TagBridge\Sites\SiteQueue::key() ) );
		$this->assertSame( 200, $status, $body );
		$this->assertSame( 0, $queue->counts( self::$link )['pending'], 'the served site delivered the row' );
		$b = self::b_user( $email );
		$this->assertTrue( $b['exists'] );
		$this->assertContains( 'Kicked', $b['tags'] );
	}

	public function test_the_linked_sites_screen_needs_the_capability_and_the_nonce(): void {
		$links = Plugin::instance()->sites->links;
		$saved = $links->get( self::$link );
		$form  = static fn( string $nonce ) => array(
			'action'   => \TagBridge\Sites\SitesPage::ACTION,
			'_wpnonce' => $nonce,
			'do'       => 'rules',
			'site'     => self::$link,
			'send'     => array( 'fields' => 'nickname', 'tags' => '1' ),
			'receive'  => array( 'fields' => 'nickname' ),
		);
		$fresh = static function () use ( $links ) {
			wp_cache_delete( \TagBridge\Sites\Links::OPTION, 'options' );
			return $links->get( self::$link );
		};
		try {
			$editor = $this->login_cookies( $this->create_user( 'editor' ) );
			list( $status, $html ) = $this->post_to_a( '/wp-admin/admin-post.php', $form( wp_create_nonce( \TagBridge\Sites\SitesPage::ACTION ) ), $editor );
			$this->assertSame( 403, $status, 'an editor is refused even with a valid nonce' );
			$this->assertSame( $saved['send'], $fresh()['send'] );
			$page = wp_remote_get( getenv( 'TB_SITE_URL' ) . '/wp-admin/admin.php?page=tagbridge-sites', array( 'cookies' => $editor, 'redirection' => 0 ) );
			$this->assertSame( 403, wp_remote_retrieve_response_code( $page ) );

			$admin = $this->login_cookies( $this->create_user( 'administrator' ) );
			list( $status ) = $this->post_to_a( '/wp-admin/admin-post.php', $form( 'bad-nonce' ), $admin );
			$this->assertSame( 403, $status, 'an administrator without the nonce is refused' );
			$this->assertSame( $saved['send'], $fresh()['send'] );

			list( $status ) = $this->post_to_a( '/wp-admin/admin-post.php', $form( wp_create_nonce( \TagBridge\Sites\SitesPage::ACTION ) ), $admin );
			$this->assertSame( 302, $status );
			$this->assertSame( array( 'nickname' ), $fresh()['send']['fields'] );
			$this->assertFalse( $fresh()['send']['passwords'] );

			$page = wp_remote_get( getenv( 'TB_SITE_URL' ) . '/wp-admin/admin.php?page=tagbridge-sites', array( 'cookies' => $admin, 'redirection' => 0 ) );
			$this->assertSame( 200, wp_remote_retrieve_response_code( $page ) );
			$this->assertStringContainsString( 'Rules saved.', wp_remote_retrieve_body( $page ) );
			$this->assertStringContainsString( self::$link, wp_remote_retrieve_body( $page ) );
			$this->assertStringNotContainsString( $saved['secret'], wp_remote_retrieve_body( $page ), 'the pair secret is never shown' );
		} finally {
			$links->set_rules( self::$link, 'send', $saved['send'] );
			$links->set_rules( self::$link, 'receive', $saved['receive'] );
		}
	}

	/** A REST call to site A as served, authenticated with an application password of $user_id. */
	private function rest_on_a( string $method, string $path, int $user_id, ?array $json = null ): array {
		list( $password ) = \WP_Application_Passwords::create_new_application_password( $user_id, array( 'name' => 'tagbridge-sites-' . wp_rand() ) );
		$res              = wp_remote_request(
			getenv( 'TB_SITE_URL' ) . '/wp-json/tagbridge/v1' . $path,
			array(
				'method'  => $method,
				'timeout' => 30,
				'headers' => array(
					'Authorization' => 'Basic ' . base64_encode( get_userdata( $user_id )->user_login . ':' . $password ),
					'Content-Type'  => 'application/json',
				),
				'body'    => null === $json ? null : (string) wp_json_encode( $json ),
			)
		);
		$this->assertNotWPError( $res );
		return array( (int) wp_remote_retrieve_response_code( $res ), json_decode( wp_remote_retrieve_body( $res ), true ) );
	}

	public function test_the_admin_rest_routes_need_an_administrator_and_change_nothing_on_bad_rules(): void {
		$links = Plugin::instance()->sites->links;
		$saved = $links->get( self::$link );
		$fresh = static function () use ( $links ) {
			wp_cache_delete( \TagBridge\Sites\Links::OPTION, 'options' );
			return $links->get( self::$link );
		};
		$editor = $this->create_user( 'editor' );
		$admin  = $this->create_user( 'administrator' );
		try {
			foreach ( array( array( 'GET', '/sites' ), array( 'POST', '/sites/pairing-code' ), array( 'POST', '/sites/' . self::$link ), array( 'DELETE', '/sites/' . self::$link ), array( 'POST', '/sites/' . self::$link . '/sync' ) ) as list( $method, $path ) ) {
				list( $status ) = $this->rest_on_a( $method, $path, $editor, 'POST' === $method ? array( 'send' => array( 'delete' => true ) ) : null );
				$this->assertSame( 403, $status, "an editor is refused: {$method} {$path}" );
			}
			$this->assertSame( $saved, $fresh(), 'refused calls changed nothing' );

			list( $status, $body ) = $this->rest_on_a( 'GET', '/sites', $admin );
			$this->assertSame( 200, $status );
			$ids = array_column( $body['sites'], 'id' );
			$this->assertContains( self::$link, $ids );
			$this->assertStringNotContainsString( $saved['secret'], (string) wp_json_encode( $body ), 'the pair secret is never listed' );

			list( $status, $body ) = $this->rest_on_a( 'POST', '/sites/pairing-code', $admin );
			$this->assertSame( 201, $status );
			$this->assertMatchesRegularExpression( '/\S{16,}/', (string) $body['code'], 'a code long enough to carry 128 bits' );

			foreach ( array(
				array( 'send' => array( 'superpowers' => true ) ),
				array( 'send' => array( 'roles' => 'administrator' ) ),
				array( 'receive' => 'everything' ),
				array(),
			) as $bad ) {
				list( $status, $body ) = $this->rest_on_a( 'POST', '/sites/' . self::$link, $admin, $bad );
				$this->assertSame( 400, $status, 'refused: ' . wp_json_encode( $bad ) );
				$this->assertSame( 'tagbridge_invalid_rules', $body['code'] );
				$this->assertSame( $saved, $fresh(), 'a refused rule set changed nothing: ' . wp_json_encode( $bad ) );
			}

			list( $status, $body ) = $this->rest_on_a( 'POST', '/sites/' . self::$link, $admin, array( 'send' => array( 'fields' => array( 'nickname' ), 'passwords' => false ) ) );
			$this->assertSame( 200, $status, wp_json_encode( $body ) );
			$this->assertArrayNotHasKey( 'secret', $body );
			$this->assertSame( array( 'nickname' ), $fresh()['send']['fields'] );
			$this->assertSame( $saved['receive'], $fresh()['receive'], 'only the direction sent was changed' );

			list( $status ) = $this->rest_on_a( 'DELETE', '/sites/' . str_repeat( '0', 16 ), $admin );
			$this->assertSame( 404, $status, 'unlinking an unknown site' );
			list( $status ) = $this->rest_on_a( 'POST', '/sites/' . str_repeat( '0', 16 ), $admin, array( 'send' => array( 'tags' => false ) ) );
			$this->assertSame( 404, $status, 'rules for an unknown site' );
			$this->assertNotNull( $fresh(), 'the real link is still there' );
		} finally {
			$links->set_rules( self::$link, 'send', $saved['send'] );
			$links->set_rules( self::$link, 'receive', $saved['receive'] );
		}
	}

	/** Sets one direction's rules on B (merged into what B has). */
	private static function b_rules( string $direction, array $rules ): void {
		self::on_b( '$links = \TagBridge\Plugin::instance()->sites->links; $id = ' . var_export( self::$link, true ) . '; $r = $links->set_rules( $id, ' . var_export( $direction, true ) . ', array_merge( $links->get( $id )[ ' . var_export( $direction, true ) . ' ], ' . var_export( $rules, true ) . ' ) ); echo wp_json_encode( array( "ok" => true === $r ) );' );
	}

	public function test_an_email_change_is_followed_where_both_sides_allow_it_and_never_duplicates(): void {
		$links = Plugin::instance()->sites->links;
		$saved = $links->get( self::$link );
		$b     = self::on_b( 'echo wp_json_encode( \TagBridge\Plugin::instance()->sites->links->get( ' . var_export( self::$link, true ) . ' )["receive"] );' );
		$old   = 'tbmove' . wp_rand() . '@example.test';
		$new   = 'moved-' . $old;
		try {
			$links->set_rules( self::$link, 'send', array_merge( $saved['send'], array( 'fields' => array( 'first_name', 'user_email' ) ) ) );
			self::b_rules( 'receive', array( 'fields' => array( 'first_name', 'user_email' ) ) );
			$id = $this->create_user( 'subscriber', array( 'user_email' => $old, 'first_name' => 'Mo' ) );
			$this->deliver();
			$before = self::b_user( $old );
			$this->assertTrue( $before['exists'] );

			$this->assertNotWPError( wp_update_user( array( 'ID' => $id, 'user_email' => $new ) ) );
			$this->assertSame( 0, $this->deliver()['failed'] );
			$after = self::b_user( $new );
			$this->assertTrue( $after['exists'], 'B follows the new address' );
			$this->assertSame( $before['login'], $after['login'], 'the same account on B, moved' );
			$this->assertFalse( self::b_user( $old )['exists'], 'no account left at the old address' );

			// B stops accepting email changes: the next move is not applied and no twin is created.
			self::b_rules( 'receive', array( 'fields' => array( 'first_name' ) ) );
			$newer = 'again-' . $new;
			$this->assertNotWPError( wp_update_user( array( 'ID' => $id, 'user_email' => $newer ) ) );
			$this->assertSame( 0, $this->deliver()['failed'] );
			$this->assertFalse( self::b_user( $newer )['exists'], 'not moved and not duplicated' );
			$this->assertTrue( self::b_user( $new )['exists'] );
		} finally {
			$links->set_rules( self::$link, 'send', $saved['send'] );
			self::b_rules( 'receive', $b );
		}
	}
}
