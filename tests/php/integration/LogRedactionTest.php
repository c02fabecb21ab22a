<?php
/**
 * The activity log: a full flow with secrets around it, then a search of the whole log table for
 * every one of them; plus the per-user and level filters and the size cap.
 */

use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Log\Logger;
use TagBridge\Log\Redactor;
use TagBridge\Outbox\Outbox;
use TagBridge\Outbox\Runner;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class LogRedactionTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', EmbeddedCrm::FAULT_OPTION, Runner::UNHEALTHY_OPTION );

	public function test_a_full_flow_leaves_no_secret_in_the_log(): void {
		global $wpdb;
		if ( ! get_role( 'tb_gold' ) ) {
			add_role( 'tb_gold', 'Gold', array( 'read' => true ) );
		}
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$password = 'Pw-' . wp_generate_password( 20, false );
		$id       = $this->create_user( 'subscriber', array( 'user_pass' => $password ) );
		list( $app_password ) = WP_Application_Passwords::create_new_application_password( $id, array( 'name' => 'crm' ) );
		$chunked  = WP_Application_Passwords::chunk_password( $app_password );
		$bearer   = 'tok' . wp_generate_password( 32, false );
		$secret   = 'whsec' . wp_generate_password( 32, false );
		$hash     = get_userdata( $id )->user_pass;
		$runner_key = get_option( Runner::KEY_OPTION ); // Created by earlier kicks, or null.

		// Roles → tags (plan reasons logged), fields with secret values, a CRM outage whose error
		// message carries credentials, recovery.
		get_userdata( $id )->add_role( 'tb_gold' );
		Plugin::instance()->roles->flush();
		// Down before the row exists: the served site (another drainer) must not deliver it first.
		update_option( EmbeddedCrm::FAULT_OPTION, array( 'mode' => 'down' ) );
		Plugin::instance()->outbox->enqueue(
			$id,
			array(
				'fields'     => array(
					'notes'        => "Authorization: Bearer {$bearer}",
					'api_key'      => $secret,
					'first_name'   => $password,
					'app_password' => $chunked,
				),
				'apply_tags' => array( 'Member' ),
			)
		);
		Plugin::instance()->runner->drain( 10, null, array( $id ) );
		update_option( EmbeddedCrm::FAULT_OPTION, array( 'mode' => 'down' ) );
		Plugin::instance()->log->log( 'error', 'crm', 'http_error', "Request failed: Authorization: Basic {$bearer}; password={$password}", $id, array( 'headers' => array( 'Authorization' => 'Bearer ' . $bearer ), 'secret' => $secret, 'body' => "app {$chunked} hash {$hash}" ) );
		delete_option( EmbeddedCrm::FAULT_OPTION );
		$stats = Plugin::instance()->runner->drain( 10, time() + 3600, array( $id ) );
		$this->assertSame( 1, $stats['delivered'] );
		// The CRM did get the values: only the log is kept clean.
		$this->assertSame( $secret, Plugin::instance()->embedded_crm->get_contact( (string) $id )->value['fields']['api_key'] );

		$rows = $wpdb->get_results( 'SELECT message, context FROM ' . Logger::table() . ' WHERE user_id = ' . (int) $id, ARRAY_A );
		$this->assertGreaterThan( 5, count( $rows ) );
		$codes = $wpdb->get_col( 'SELECT code FROM ' . Logger::table() . ' WHERE user_id = ' . (int) $id );
		$this->assertContains( 'apply_tags:role_added', $codes, 'plan reasons are logged' );
		$this->assertContains( 'create_contact:ok', $codes, 'CRM calls are logged' );
		$all = $wpdb->get_col( 'SELECT CONCAT_WS(" ", message, context) FROM ' . Logger::table() );
		$text = implode( "\n", $all );
		foreach ( array_filter( array( $password, $app_password, $chunked, $bearer, $secret, $hash, $runner_key ) ) as $needle ) {
			$this->assertStringNotContainsString( $needle, $text );
		}
		$this->assertStringContainsString( Redactor::MASK, $text );
		$wpdb->query( 'DELETE FROM ' . Outbox::table() . ' WHERE user_id = ' . (int) $id );
	}

	/**
	 * Text is let through untouched only when no pattern can match: the quick look for words
	 * (may_hold_secret) must never skip a secret, in any case or place, and a chunked application
	 * password loses every group.
	 */
	public function test_the_quick_look_never_skips_a_secret(): void {
		$secrets = array(
			'Authorization: Basic dXNlcjpwYXNz',
			'PROXY-AUTHORIZATION = x',
			'bearer abcdef123456',
			'DiGeSt 0123456789abcdef',
			'$P$BabcdefghijklmnopQRSTUVWXYZ0123',
			'$2y$10$abcdefghijklmnopqrstuv',
			'$wp$2y$10$abcdefghijklmnopqrstuv',
			'user_password=hunter2',
			'"API-KEY": "k-123"',
			'access_key:AKIA0000',
			'Secret = s3cr3t',
			'TOKEN=t0k',
		);
		$chunked = WP_Application_Passwords::chunk_password( wp_generate_password( 24, false ) );
		foreach ( array_merge( $secrets, array( $chunked ) ) as $secret ) {
			foreach ( array( '%s', 'Request failed (%s) after 3 tries', "line one\n%s\nline three" ) as $frame ) {
				$text     = sprintf( $frame, $secret );
				$redacted = Redactor::text( $text );
				$this->assertNotSame( $text, $redacted, $text );
				$this->assertStringContainsString( Redactor::MASK, $redacted, $text );
			}
		}
		foreach ( explode( ' ', $chunked ) as $group ) {
			$this->assertStringNotContainsString( $group, Redactor::text( "app {$chunked} end" ) );
		}
		foreach ( array( 'Role subscriber is linked to tag Member, so the tag is applied.', 'Tag "Gold member" removed: role bench_gold no longer held', 'abcd efgh ijkl mnop qrst', '' ) as $plain ) {
			$this->assertSame( $plain, Redactor::text( $plain ) );
		}
	}

	public function test_filters_by_user_and_level(): void {
		$log = Plugin::instance()->log;
		$a   = $this->create_user();
		$b   = $this->create_user();
		$log->log( 'info', 'test', 'a_info', 'A info', $a );
		$log->log( 'error', 'test', 'a_error', 'A error', $a );
		$log->log( 'warning', 'test', 'b_warning', 'B warning', $b );
		$this->assertSame( array( 'a_error', 'a_info' ), array_column( $log->query( array( 'user_id' => $a ) ), 'code' ) );
		$this->assertSame( array( 'a_error' ), array_column( $log->query( array( 'user_id' => $a, 'level' => 'warning' ) ), 'code' ) );
		$this->assertSame( array( 'b_warning' ), array_column( $log->query( array( 'user_id' => $b, 'level' => 'warning' ) ), 'code' ) );
	}

	public function test_the_log_is_capped(): void {
		global $wpdb;
		$cap = static fn() => 150;
		add_filter( 'tagbridge_log_max_rows', $cap );
		try {
			for ( $i = 0; $i < 400; $i++ ) {
				Plugin::instance()->log->log( 'debug', 'test', 'cap', "line {$i}" );
			}
		} finally {
			remove_filter( 'tagbridge_log_max_rows', $cap );
		}
		$this->assertLessThanOrEqual( 150 + Logger::PRUNE_EVERY, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Logger::table() ) );
		$this->assertSame( 'line 399', $wpdb->get_var( 'SELECT message FROM ' . Logger::table() . ' ORDER BY id DESC LIMIT 1' ) );
	}

	public function test_a_batch_writes_its_rows_afterwards_in_order_and_capped(): void {
		global $wpdb;
		$log   = Plugin::instance()->log;
		$count = static fn() => (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Logger::table() );
		$cap   = static fn() => 150;
		$id    = $this->create_user( 'subscriber' );
		add_filter( 'tagbridge_log_max_rows', $cap );
		try {
			$before = $count();
			$inside = $log->batch(
				static function () use ( $log, $count, $id ) {
					for ( $i = 0; $i < 1200; $i++ ) {
						$log->log( 'info', 'test', 'batched', "line {$i}", $id );
					}
					return $count();
				}
			);
		} finally {
			remove_filter( 'tagbridge_log_max_rows', $cap );
		}
		$this->assertSame( $before, $inside, 'nothing is written until the batch ends' );
		$this->assertLessThanOrEqual( 150 + Logger::WRITE_CHUNK, $count(), 'pruned as when written one by one' );
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT message, context, duration_ms FROM ' . Logger::table() . ' WHERE user_id = %d ORDER BY id', $id ), ARRAY_A );
		$this->assertSame( 'line 1199', end( $rows )['message'] );
		$this->assertSame( range( 1200 - count( $rows ), 1199 ), array_map( static fn( $r ) => (int) substr( $r['message'], 5 ), $rows ), 'in order, none lost' );
		$this->assertNull( end( $rows )['context'] );
		$this->assertNull( end( $rows )['duration_ms'] );

		// Context and duration survive the multi-row statement as a single write stores them.
		$log->batch( static fn() => $log->log( 'info', 'test', 'batched', 'first', $id, array( 'role' => 'tb_gold' ), 7 ) );
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT context, duration_ms FROM ' . Logger::table() . ' WHERE user_id = %d ORDER BY id DESC LIMIT 1', $id ), ARRAY_A );
		$this->assertSame( array( 'context' => '{"role":"tb_gold"}', 'duration_ms' => '7' ), $row );
	}
}
