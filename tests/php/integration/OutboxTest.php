<?php
/**
 * The durable outbox in real WordPress against the embedded CRM, whose fault switch (a real
 * option every PHP process reads) makes it fail the way a remote CRM does.
 */

use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Deliverer;
use TagBridge\Outbox\Outbox;
use TagBridge\Outbox\Runner;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class OutboxTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', EmbeddedCrm::FAULT_OPTION, Runner::UNHEALTHY_OPTION );

	/** @var int[] Users whose outbox rows are removed after the test. */
	private $users = array();

	/** @var array<int, array> tagbridge_outbox_delivered calls seen in this process. */
	private $delivered = array();

	protected function setUp(): void {
		parent::setUp();
		delete_option( EmbeddedCrm::FAULT_OPTION );
		delete_option( Runner::UNHEALTHY_OPTION );
		add_action( 'tagbridge_outbox_delivered', array( $this, 'record_delivery' ), 10, 2 );
	}

	protected function tearDown(): void {
		global $wpdb;
		remove_action( 'tagbridge_outbox_delivered', array( $this, 'record_delivery' ), 10 );
		if ( $this->users ) {
			$wpdb->query( 'DELETE FROM ' . Outbox::table() . ' WHERE user_id IN (' . implode( ',', $this->users ) . ')' );
		}
		parent::tearDown();
	}

	public function record_delivery( $user_id, $change ): void {
		$this->delivered[] = array( $user_id, $change );
	}

	private function user(): int {
		$id            = $this->create_user();
		$this->users[] = $id;
		return $id;
	}

	private function plugin(): Plugin {
		return Plugin::instance();
	}

	private function enqueue( int $user_id, array $change ): int {
		$id = $this->plugin()->outbox->enqueue( $user_id, $change );
		$this->assertIsInt( $id, is_wp_error( $id ) ? $id->get_error_message() : '' );
		return $id;
	}

	private function drain( ?int $now = null ): array {
		return $this->plugin()->runner->drain( 1000, $now, $this->users );
	}

	private function pending( int $user_id, string $status = 'pending' ): array {
		global $wpdb;
		return $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM ' . Outbox::table() . ' WHERE user_id = %d AND status = %s ORDER BY id', $user_id, $status ), ARRAY_A );
	}

	private function fault( ?array $fault ): void {
		null === $fault ? delete_option( EmbeddedCrm::FAULT_OPTION ) : update_option( EmbeddedCrm::FAULT_OPTION, $fault );
	}

	/** CRM calls logged for a user, as "method:status" codes in order. */
	private function calls( int $user_id ): array {
		global $wpdb;
		return $wpdb->get_col( $wpdb->prepare( 'SELECT code FROM ' . Logger::table() . " WHERE user_id = %d AND source = 'crm' ORDER BY id", $user_id ) );
	}

	private function contact( int $user_id ): array {
		$result = $this->plugin()->embedded_crm->get_contact( (string) $user_id );
		$this->assertTrue( $result->is_ok(), $result->message );
		return $result->value;
	}

	private function contacts_with_email( int $user_id ): int {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM ' . EmbeddedCrm::contacts_table() . ' WHERE email = %s', get_userdata( $user_id )->user_email ) );
	}

	public function test_a_registration_of_many_hooks_is_one_delivery_at_the_end_of_the_request(): void {
		$id = $this->user();
		// What Ultimate Member's registration fires: core fields, UM fields, form tags, a trial tag
		// applied then removed by the approval step.
		$this->enqueue( $id, array( 'fields' => array( 'first_name' => 'Ann' ) ) );
		$this->enqueue( $id, array( 'fields' => array( 'last_name' => 'Lee', 'first_name' => 'Anna' ) ) );
		$this->enqueue( $id, array( 'fields' => array( 'um_phone' => '+44 20 7946 0000' ), 'apply_tags' => array( 'Member' ) ) );
		$this->enqueue( $id, array( 'apply_tags' => array( 'Trial', 'Newsletter' ) ) );
		$this->enqueue( $id, array( 'remove_tags' => array( 'Trial' ) ) );
		$this->assertCount( 5, $this->pending( $id ) );

		$this->plugin()->runner->end_of_request();

		$this->assertSame( array(), $this->pending( $id ) );
		$this->assertSame( array( 'create_contact:ok' ), $this->calls( $id ), 'one create with the fields and tags, no lookup before it' );
		$this->assertCount( 1, $this->delivered );
		$this->assertSame( $id, $this->delivered[0][0] );
		$this->assertEquals( array( 'first_name' => 'Anna', 'last_name' => 'Lee', 'um_phone' => '+44 20 7946 0000' ), $this->delivered[0][1]['fields'] );
		$contact = $this->contact( $id );
		$this->assertSame( 'Anna', $contact['fields']['first_name'] );
		$this->assertSame( array( 'Member', 'Newsletter' ), $contact['tags'] );
		$this->assertSame( (string) $id, get_user_meta( $id, Deliverer::CONTACT_META . 'embedded', true ) );
	}

	public function test_bad_changes_are_refused_and_store_nothing(): void {
		$id = $this->user();
		foreach (
			array(
				array( $id, array( 'colour' => 'red' ) ),
				array( $id, array( 'fields' => array( 5 => 'numeric name' ) ) ),
				array( $id, array( 'apply_tags' => array( 'A' ), 'remove_tags' => array( 'A' ) ) ),
				array( $id, array( 'apply_tags' => array( "\xff" ) ) ),
				array( $id, 'not an array' ),
				array( 999999999, array( 'apply_tags' => array( 'A' ) ) ),
			) as list( $user, $change )
		) {
			$this->assertInstanceOf( WP_Error::class, $this->plugin()->outbox->enqueue( $user, $change ) );
		}
		$this->assertSame( array(), $this->pending( $id ) );
		$this->assertSame( 0, $this->plugin()->outbox->enqueue( $id, array() ) );
	}

	public function test_later_changes_never_overtake_earlier_ones_of_the_same_contact(): void {
		$id = $this->user();
		$this->enqueue( $id, array( 'fields' => array( 'plan' => 'bronze' ), 'apply_tags' => array( 'A' ) ) );
		$this->fault( array( 'mode' => 'down' ) );
		$this->assertSame( 1, $this->drain()['retry'] );
		$this->fault( null );
		// Queued while the first waits out its backoff: it must not go first.
		$this->enqueue( $id, array( 'fields' => array( 'plan' => 'gold' ), 'remove_tags' => array( 'A' ) ) );
		$this->assertSame( 0, $this->drain()['delivered'] );
		$this->assertCount( 2, $this->pending( $id ) );

		$stats = $this->drain( time() + 7200 );
		$this->assertSame( array( 'delivered' => 1, 'retry' => 0, 'parked' => 0, 'rows' => 2 ), $stats );
		$contact = $this->contact( $id );
		$this->assertSame( 'gold', $contact['fields']['plan'] );
		$this->assertSame( array(), $contact['tags'] );
	}

	public function test_a_crm_down_for_hours_loses_nothing(): void {
		$users = array();
		for ( $u = 0; $u < 12; $u++ ) {
			$users[] = $this->user();
		}
		$this->fault( array( 'mode' => 'down' ) );
		$queued = 0;
		foreach ( $users as $i => $id ) {
			for ( $n = 1; $n <= 5; $n++ ) {
				$this->enqueue( $id, array( 'fields' => array( 'counter' => $n ), 'apply_tags' => array( "T{$n}" ) ) );
				++$queued;
			}
		}
		$now = time();
		$this->assertSame( 12, $this->drain( $now )['retry'] );
		$this->assertFalse( $this->plugin()->runner->is_healthy( $now ), 'a failure marks the CRM unhealthy' );

		// While unhealthy, the end of a request leaves its change to the background runner.
		$this->enqueue( $users[0], array( 'fields' => array( 'counter' => 6 ) ) );
		++$queued;
		$this->plugin()->runner->end_of_request();
		$this->assertCount( 6, $this->pending( $users[0] ) );
		$this->assertNotFalse( wp_next_scheduled( Runner::CRON_HOOK ), 'the background runner is scheduled' );

		// An hour of retries, each later than the last.
		$delays = array();
		for ( $hour = 1; $hour <= 6; $hour++ ) {
			$stats = $this->drain( $now + $hour * 3600 );
			$this->assertSame( 0, $stats['delivered'] );
			$delays[] = (int) $this->pending( $users[1] )[0]['due_at'] - ( $now + $hour * 3600 );
		}
		$this->assertGreaterThan( $delays[0], $delays[5] );
		$rows = 0;
		foreach ( $users as $id ) {
			$rows += count( $this->pending( $id ) );
			$this->assertSame( array(), $this->pending( $id, 'parked' ) );
		}
		$this->assertSame( $queued, $rows, 'every change is still queued' );

		$this->fault( null );
		$stats = $this->drain( $now + 30 * 3600 );
		$this->assertSame( 12, $stats['delivered'] );
		$this->assertSame( $queued, $stats['rows'] );
		$this->assertTrue( $this->plugin()->runner->is_healthy( time() ) );
		foreach ( $users as $i => $id ) {
			$this->assertSame( array(), $this->pending( $id ) );
			$contact = $this->contact( $id );
			$this->assertSame( 0 === $i ? 6 : 5, $contact['fields']['counter'] );
			$this->assertSame( array( 'T1', 'T2', 'T3', 'T4', 'T5' ), $contact['tags'] );
			$this->assertSame( 1, $this->contacts_with_email( $id ) );
		}
		$this->assertCount( 12, $this->delivered );
	}

	public function test_retry_after_is_honoured(): void {
		$id = $this->user();
		$this->enqueue( $id, array( 'apply_tags' => array( 'A' ) ) );
		$this->fault( array( 'mode' => 'rate_limited', 'retry_after' => 5000 ) );
		$before = time();
		$this->drain();
		$row = $this->pending( $id )[0];
		$this->assertGreaterThanOrEqual( $before + 5000, (int) $row['due_at'] );
		$this->assertSame( 1, (int) $row['attempts'] );
		$this->fault( null );
		$this->assertSame( 0, $this->drain( $before + 4000 )['delivered'] );
		$this->assertSame( 1, $this->drain( $before + 6000 )['delivered'] );
	}

	public function test_a_retry_after_a_timeout_neither_duplicates_the_contact_nor_flips_a_tag_back(): void {
		$id = $this->user();
		$this->enqueue( $id, array( 'fields' => array( 'first_name' => 'Tim' ), 'apply_tags' => array( 'VIP' ) ) );
		// The CRM does the work, then the answer is lost.
		$this->fault( array( 'mode' => 'timeout_after' ) );
		$this->assertSame( 1, $this->drain()['retry'] );
		$this->assertSame( array( 'create_contact:transient' ), $this->calls( $id ) );
		$this->assertSame( 1, $this->contacts_with_email( $id ) );
		$this->fault( null );
		$this->assertSame( 1, $this->drain( time() + 3600 )['delivered'] );
		$this->assertSame( 1, $this->contacts_with_email( $id ), 'the retry found the contact instead of creating another' );
		$this->assertSame( array( 'create_contact:transient', 'create_contact:duplicate', 'find_contact:ok', 'update_combined:ok' ), $this->calls( $id ) );
		$this->assertSame( array( 'VIP' ), $this->contact( $id )['tags'] );

		// Applying a tag times out after it was applied; the site removes it before the retry.
		$this->fault( array( 'mode' => 'timeout_after' ) );
		$this->enqueue( $id, array( 'apply_tags' => array( 'Gold' ) ) );
		$this->assertSame( 1, $this->drain()['retry'] );
		$this->fault( null );
		$this->enqueue( $id, array( 'remove_tags' => array( 'Gold' ) ) );
		$this->assertSame( 1, $this->drain( time() + 3600 )['delivered'] );
		$this->assertSame( array( 'VIP' ), $this->contact( $id )['tags'], 'Gold stays removed' );
		$this->assertSame( array(), $this->pending( $id ) );
	}

	public function test_permanent_failures_park_and_an_admin_retries_them(): void {
		$id    = $this->user();
		$admin = $this->create_user( 'administrator' );
		$this->enqueue( $id, array( 'apply_tags' => array( 'A' ) ) );
		$this->fault( array( 'mode' => 'auth_failed' ) );
		$this->assertSame( 1, $this->drain()['parked'] );
		$parked = $this->pending( $id, 'parked' );
		$this->assertCount( 1, $parked );
		$this->assertSame( 'auth_failed', $parked[0]['reason'] );
		$this->assertStringContainsString( 'Credentials refused', $parked[0]['last_error'] );
		$this->fault( null );
		$this->assertSame( 0, $this->drain( time() + 86400 )['delivered'], 'parked items wait for a person' );

		$screen = new TagBridge\Admin\OutboxScreen( $this->plugin()->outbox );
		$die    = static function () {
			return static function ( $message ) {
				throw new RuntimeException( 'wp_die: ' . ( is_string( $message ) ? $message : '' ) );
			};
		};
		add_filter( 'wp_die_handler', $die );
		try {
			// A subscriber, even with a valid nonce, is refused.
			wp_set_current_user( $this->create_user() );
			$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( TagBridge\Admin\OutboxScreen::RETRY );
			$this->assertDies( fn() => $screen->retry_from_request() );
			// An administrator without a valid nonce is refused.
			wp_set_current_user( $admin );
			$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = 'forged';
			$this->assertDies( fn() => $screen->retry_from_request() );
			$this->assertCount( 1, $this->pending( $id, 'parked' ) );
			// An administrator with the nonce puts it back in line.
			$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( TagBridge\Admin\OutboxScreen::RETRY );
			$_POST['id']       = (string) $parked[0]['id'];
			$this->assertSame( 1, $screen->retry_from_request() );
		} finally {
			remove_filter( 'wp_die_handler', $die );
			unset( $_POST['_wpnonce'], $_REQUEST['_wpnonce'], $_POST['id'] );
		}
		$this->assertSame( array(), $this->pending( $id, 'parked' ) );
		$this->assertSame( 1, $this->drain()['delivered'] );
		$this->assertSame( array( 'A' ), $this->contact( $id )['tags'] );
	}

	private function assertDies( callable $work ): void {
		try {
			$work();
			$this->fail( 'expected wp_die' );
		} catch ( RuntimeException $e ) {
			$this->assertStringStartsWith( 'wp_die', $e->getMessage() );
		}
	}

	public function test_nothing_is_sent_while_the_site_is_a_moved_copy(): void {
		$id     = $this->user();
		$plugin = $this->plugin();
		$runner = new Runner( $plugin->outbox, new Deliverer( fn() => $plugin->embedded_crm, $plugin->outbox, $plugin->engine, $plugin->log ), $plugin->log, '__return_true' );
		$this->enqueue( $id, array( 'apply_tags' => array( 'A' ) ) );
		$this->assertSame( 0, $runner->drain( 100, null, array( $id ) )['delivered'] );
		$this->assertCount( 1, $this->pending( $id ) );
		$this->assertSame( array(), $this->calls( $id ) );
		$this->assertSame( 1, $this->drain()['delivered'] );
	}

	public function test_tag_changes_are_queued_for_an_external_crm_but_changes_from_the_crm_do_not_echo(): void {
		$id       = $this->user();
		$listener = $this->listen_as_external_crm();
		try {
			tagbridge_apply_tags( $id, array( 'Site' ) );
			tagbridge_from_crm( fn() => tagbridge_apply_tags( $id, array( 'FromCrm' ) ) );
			tagbridge_from_crm( fn() => tagbridge_remove_tags( $id, array( 'Site' ) ) );
			tagbridge_remove_tags( $id, array( 'FromCrm' ) );
		} finally {
			remove_action( 'tagbridge_tags_applied', array( $listener, 'applied' ), 10 );
			remove_action( 'tagbridge_tags_removed', array( $listener, 'removed' ), 10 );
		}
		$changes = array_map( fn( $row ) => json_decode( $row['payload'], true ), $this->pending( $id ) );
		$this->assertSame(
			array(
				array( 'fields' => array(), 'apply_tags' => array( 'Site' ), 'remove_tags' => array() ),
				array( 'fields' => array(), 'apply_tags' => array(), 'remove_tags' => array( 'FromCrm' ) ),
			),
			$changes
		);
		$this->assertFalse( $this->plugin()->outbox->is_from_crm(), 'the scope ends with its callable' );
	}

	public function test_changes_queued_by_a_request_that_died_are_delivered_later(): void {
		$fatal  = $this->user();
		$killed = $this->user();
		$load   = self::load_wordpress_code();
		// A PHP fatal error after the enqueue (WordPress still runs its shutdown hook, and the
		// outbox's end-of-request delivery with it)...
		list( $exit, $out ) = $this->run_php( $load . "tagbridge_enqueue_change( {$fatal}, array( 'fields' => array( 'a' => 1 ) ) ); tagbridge_enqueue_change( {$fatal}, array( 'apply_tags' => array( 'X' ) ) ); tagbridge_no_such_function();" );
		$this->assertSame( 255, $exit, $out );
		// ...and a worker killed outright (OOM killer, timeout): no shutdown at all.
		list( $exit, $out ) = $this->run_php( $load . "tagbridge_enqueue_change( {$killed}, array( 'fields' => array( 'a' => 2 ) ) ); tagbridge_enqueue_change( {$killed}, array( 'apply_tags' => array( 'Y' ) ) ); posix_kill( getmypid(), SIGKILL );" );
		$this->assertSame( 137, $exit, $out ); // 128 + SIGKILL, as the shell reports it.
		$this->assertCount( 2, $this->pending( $killed ), 'the killed request left its changes queued' );

		$this->drain();
		foreach ( array( $fatal => array( 1, 'X' ), $killed => array( 2, 'Y' ) ) as $id => list( $value, $tag ) ) {
			$this->assertSame( array(), $this->pending( $id ) );
			$contact = $this->contact( $id );
			$this->assertSame( $value, $contact['fields']['a'] );
			$this->assertSame( array( $tag ), $contact['tags'] );
		}
	}

	public function test_two_concurrent_drainers_deliver_each_change_once_and_skip_none(): void {
		global $wpdb;
		$users = array();
		for ( $u = 0; $u < 30; $u++ ) {
			$id      = $this->user();
			$users[] = $id;
			for ( $n = 1; $n <= 3; $n++ ) {
				$this->enqueue( $id, array( 'fields' => array( 'n' => $n ), 'apply_tags' => array( "C{$n}" ) ) );
			}
		}
		$this->plugin()->outbox->take_touched(); // Leave them to the two workers.
		$list  = implode( ',', $users );
		$code  = self::load_wordpress_code() . "echo json_encode( TagBridge\\Plugin::instance()->runner->drain( 1000, null, array( {$list} ) ) );";
		$file  = tempnam( sys_get_temp_dir(), 'tb' );
		file_put_contents( $file, "<?php\n" . $code );
		$cmd   = escapeshellarg( PHP_BINARY ) . ' -d extension=' . escapeshellarg( (string) getenv( 'TB_EXT' ) ) . ' ' . escapeshellarg( $file );
		$procs = array();
		for ( $w = 0; $w < 2; $w++ ) {
			$procs[] = proc_open( $cmd, array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes[ $w ] );
		}
		$stats = array();
		foreach ( $procs as $w => $proc ) {
			$out = stream_get_contents( $pipes[ $w ][1] );
			$err = stream_get_contents( $pipes[ $w ][2] );
			$this->assertSame( 0, proc_close( $proc ), $out . $err );
			$stats[ $w ] = json_decode( $out, true );
			$this->assertIsArray( $stats[ $w ], $out . $err );
		}
		unlink( $file );
		// The served test site may drain too (a loopback run kicked by an earlier test is a third,
		// legitimate worker), so the children's share is at most everything; exactly-once and
		// none-skipped are checked below on what every worker logged and on the CRM's state.
		$this->assertLessThanOrEqual( 30, $stats[0]['delivered'] + $stats[1]['delivered'], wp_json_encode( $stats ) );
		$this->assertLessThanOrEqual( 90, $stats[0]['rows'] + $stats[1]['rows'] );
		$this->assertSame( 0, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Outbox::table() . " WHERE user_id IN ({$list})" ) );
		$delivered = $wpdb->get_results( 'SELECT user_id, COUNT(*) AS n FROM ' . Logger::table() . " WHERE source = 'outbox' AND code = 'delivered' AND user_id IN ({$list}) GROUP BY user_id", ARRAY_A );
		$this->assertCount( 30, $delivered, 'no user skipped' );
		foreach ( $delivered as $row ) {
			$this->assertSame( '1', $row['n'], "user {$row['user_id']} delivered once" );
			$this->assertSame( array( 'create_contact:ok' ), array_values( array_filter( $this->calls( (int) $row['user_id'] ), fn( $c ) => str_starts_with( $c, 'create' ) ) ) );
			$this->assertSame( 3, $this->contact( (int) $row['user_id'] )['fields']['n'] );
		}
	}
}
