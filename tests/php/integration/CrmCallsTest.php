<?php
/**
 * How many requests FluentCRM receives for one user's first delivery (issue 10: CRM calls per
 * registration), through the real outbox deliverer, the real adapter and real HTTP to the replay
 * server (tests/fluentcrm/), which counts what it receives.
 *
 * Each delivery gets a fresh adapter, as each request does, so what carries over between them is
 * only the tag and field lists cached in transients.
 */

namespace TagBridge\Tests;

use TagBridge\Crm\FluentCrm;
use TagBridge\Outbox\Deliverer;
use TagBridge\Plugin;
use TagBridge\Tests\FluentCrm\ReplayState;

final class CrmCallsTest extends TestCase {

	/** @var ReplayState */
	private $replay;

	protected function setUp(): void {
		parent::setUp();
		$this->replay = FluentCrmReplay::reset();
		add_filter( 'tagbridge_fluentcrm_upsert', '__return_true' ); // The site owner opted in.
	}

	protected function tearDown(): void {
		remove_filter( 'tagbridge_fluentcrm_upsert', '__return_true' );
		parent::tearDown();
	}

	private function crm(): FluentCrm {
		return new FluentCrm( FluentCrmReplay::url(), 'admin', ReplayState::USERS['admin']['app_password'] );
	}

	/** Queues the changes for a new user and delivers them as one request's runner would. */
	private function deliver( array $changes, string $email = '' ): array {
		$plugin = Plugin::instance();
		$id     = $this->create_user( 'subscriber', '' === $email ? array() : array( 'user_email' => $email ) );
		$plugin->outbox->discard( $id ); // Rows queued by creating the user (mapped fields of other tests).
		foreach ( $changes as $change ) {
			$this->assertIsInt( $plugin->outbox->enqueue( $id, $change ) );
		}
		$plugin->outbox->take_touched();
		$before    = count( $this->replay->requests() );
		$deliverer = new Deliverer( fn() => $this->crm(), $plugin->outbox, $plugin->engine, $plugin->log );
		$outcome   = $deliverer->deliver( $id, time() );
		$sent      = array_map(
			static function ( $r ) {
				$r['json'] = json_decode( $r['body'], true );
				return $r;
			},
			array_slice( $this->replay->requests(), $before )
		);
		return array( $id, $outcome, $sent );
	}

	private static function shape( array $sent ): array {
		return array_map( static fn( $r ) => $r['method'] . ' ' . substr( $r['path'], strlen( '/wp-json/fluent-crm/v2' ) ), $sent );
	}

	/** Fills the list cache the way the Connection screen does. */
	private function warm_cache(): void {
		$crm = $this->crm();
		$this->assertTrue( $crm->list_tags()->is_ok() );
		$this->assertTrue( $crm->list_fields()->is_ok() );
	}

	public function test_a_registration_with_fields_and_tags_to_apply_is_one_request(): void {
		$this->warm_cache();
		list( $id, $outcome, $sent ) = $this->deliver(
			array(
				array( 'fields' => array( 'first_name' => 'Jane', 'plan' => 'Team' ) ),
				array( 'apply_tags' => array( 'member' ) ),
				array(
					'fields'     => array( 'last_name' => 'Doe', 'interests' => array( 'php', 'rust' ) ),
					'apply_tags' => array( 'vip' ),
				),
			)
		);
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'POST /subscribers' ), self::shape( $sent ), 'no lookup, no list fetch, no separate tag call' );
		$body = $sent[0]['json'];
		$this->assertSame( 'yes', $body['__force_update'] );
		$this->assertSame( array( 1, 2 ), $body['tags'], 'tags by id, never by name' );
		$this->assertSame( array( 'interests' => array( 'php', 'rust' ), 'plan' => 'Team' ), $body['custom_values'], 'merged, keys in order' );
		$this->assertSame( 'subscribed', $body['status'] );
		$this->assertSame( get_userdata( $id )->user_email, $body['email'] );

		$contact = (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true );
		$this->assertMatchesRegularExpression( '/^[1-9][0-9]*$/', $contact, 'the contact id is stored after the first success' );
		$read = $this->crm()->get_contact( $contact );
		$this->assertSame( array( 'member', 'vip' ), $read->value['tags'] );
		$this->assertSame( 'Team', $read->value['fields']['plan'] );
		$this->assertSame( array(), Plugin::instance()->outbox->pending_rows( $id ) );
	}

	public function test_without_the_opt_in_a_new_contact_is_looked_up_first_and_never_upserted(): void {
		remove_filter( 'tagbridge_fluentcrm_upsert', '__return_true' );
		$this->warm_cache();
		[ , $outcome, $sent ] = $this->deliver( array( array( 'apply_tags' => array( 'member' ) ) ) );
		$this->assertSame( 'delivered', $outcome['outcome'], wp_json_encode( $outcome ) );
		$this->assertSame( 'GET /subscribers/0', self::shape( $sent )[0], 'looked up by email first' );
		foreach ( $sent as $r ) {
			$this->assertArrayNotHasKey( '__force_update', (array) ( $r['json'] ?? array() ), 'no upsert without the opt-in' );
		}
	}

	public function test_removing_a_tag_as_well_takes_a_second_request_and_an_existing_contact_is_updated_in_place(): void {
		$this->warm_cache();
		$email    = 'tb_calls_' . strtolower( wp_generate_password( 6, false ) ) . '@example.test';
		$crm      = $this->crm();
		$existing = $crm->create_contact( strtoupper( $email ), array( 'plan' => 'Pro', 'seats' => 3 ) );
		$this->assertTrue( $crm->apply_tags( $existing->value, array( 'newsletter', 'course-student' ) )->is_ok() );

		list( $id, $outcome, $sent ) = $this->deliver(
			array(
				array( 'fields' => array( 'first_name' => 'Jane', 'plan' => 'Team' ), 'apply_tags' => array( 'member' ) ),
				array( 'remove_tags' => array( 'newsletter' ) ),
			),
			$email
		);
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'POST /subscribers', 'PUT /subscribers/' . $existing->value ), self::shape( $sent ) );
		$this->assertSame( array( 1 ), $sent[0]['json']['tags'] );
		$this->assertSame( array( 'subscriber' => array( 'detach_tags' => array( 3 ) ) ), $sent[1]['json'] );
		$this->assertSame( $existing->value, (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ), 'the contact found by email (any letter case), not a second one' );
		$read = $crm->get_contact( $existing->value );
		$this->assertSame( array( 'course-student', 'member' ), $read->value['tags'], 'tags added, the removed one gone, the others kept' );
		$this->assertSame( array( 'Team', '3' ), array( $read->value['fields']['plan'], $read->value['fields']['seats'] ), 'custom values merged' );
		$this->assertCount( 1, $this->replay->read()['subscribers'] );
	}

	/**
	 * The CRM down (nothing listens on its address: connection refused), then up: every change
	 * queued meanwhile reaches FluentCRM once, coalesced, with the last value of each field and the
	 * net tag changes, in the lookup-first default mode as well.
	 */
	public function test_a_crm_down_then_up_loses_nothing(): void {
		remove_filter( 'tagbridge_fluentcrm_upsert', '__return_true' ); // The default, careful mode.
		$this->warm_cache();
		$plugin = Plugin::instance();
		$id     = $this->create_user( 'subscriber', array( 'user_email' => 'tb_down_' . strtolower( wp_generate_password( 6, false ) ) . '@example.test' ) );
		$plugin->outbox->discard( $id );
		$down   = new Deliverer( static fn() => new FluentCrm( 'http://127.0.0.1:9', 'admin', ReplayState::USERS['admin']['app_password'] ), $plugin->outbox, $plugin->engine, $plugin->log );
		$up     = new Deliverer( fn() => $this->crm(), $plugin->outbox, $plugin->engine, $plugin->log );
		$before = count( $this->replay->requests() );

		$changes = 0;
		for ( $n = 1; $n <= 5; $n++ ) {
			$plugin->outbox->enqueue( $id, array( 'fields' => array( 'first_name' => "Jane {$n}", 'plan' => 1 === $n % 2 ? 'Team' : 'Pro' ) ) );
			++$changes;
			$outcome = $down->deliver( $id, time() + $n * HOUR_IN_SECONDS );
			$this->assertNotSame( 'delivered', $outcome['outcome'], 'nothing can be delivered while the CRM is down' );
		}
		$plugin->outbox->enqueue( $id, array( 'apply_tags' => array( 'member', 'vip' ) ) );
		$plugin->outbox->enqueue( $id, array( 'remove_tags' => array( 'vip' ) ) );
		$changes += 2;
		$this->assertCount( $changes, $plugin->outbox->pending_rows( $id ), 'every change kept' );
		$this->assertSame( $before, count( $this->replay->requests() ), 'the CRM heard nothing' );

		$outcome = $up->deliver( $id, time() + DAY_IN_SECONDS );
		$this->assertSame( 'delivered', $outcome['outcome'], wp_json_encode( $outcome ) );
		$this->assertSame( array(), $plugin->outbox->pending_rows( $id ) );
		$contacts = $this->replay->read()['subscribers'];
		$this->assertCount( 1, $contacts, 'one contact' );
		$contact = $this->crm()->get_contact( (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ) );
		$this->assertSame( 'Jane 5', $contact->value['fields']['first_name'] ?? null, 'the last value of each field' );
		$this->assertSame( 'Team', $contact->value['fields']['plan'] ?? null );
		$this->assertSame( array( 'member' ), $contact->value['tags'], 'applied, and the applied-then-removed tag never sent' );
	}

	public function test_a_retried_upsert_finds_what_the_first_one_made(): void {
		$this->warm_cache();
		$email = 'tb_calls_' . strtolower( wp_generate_password( 6, false ) ) . '@example.test';
		list( $id ) = $this->deliver( array( array( 'fields' => array( 'first_name' => 'Jane' ), 'apply_tags' => array( 'member' ) ) ), $email );
		// The answer was lost (a timeout after FluentCRM acted): the contact id was never stored.
		delete_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm' );
		Plugin::instance()->outbox->enqueue( $id, array( 'fields' => array( 'first_name' => 'Jane' ), 'apply_tags' => array( 'member' ) ) );
		$deliverer = new Deliverer( fn() => $this->crm(), Plugin::instance()->outbox, Plugin::instance()->engine, Plugin::instance()->log );
		$this->assertSame( 'delivered', $deliverer->deliver( $id, time() )['outcome'] );
		$this->assertCount( 1, $this->replay->read()['subscribers'], 'one contact, not two' );
		$this->assertSame( array( 'member' ), $this->crm()->get_contact( (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ) )->value['tags'] );
	}

	public function test_the_tag_list_is_cached_across_requests_and_refreshed_on_an_unknown_slug(): void {
		// Cold: the first delivery fetches the tag list once and caches it.
		list( , , $sent ) = $this->deliver( array( array( 'apply_tags' => array( 'member' ) ) ) );
		$this->assertSame( array( 'GET /tags', 'POST /subscribers' ), self::shape( $sent ) );

		// Warm, from another adapter (another request): no list fetch.
		list( , , $sent ) = $this->deliver( array( array( 'apply_tags' => array( 'vip' ) ) ) );
		$this->assertSame( array( 'POST /subscribers' ), self::shape( $sent ) );

		// A tag created in FluentCRM since the list was cached: fetched again, then used.
		$this->replay->transact(
			static function ( $state ) {
				$id                              = $state['next_id']['tag']++;
				$state['tags'][ (string) $id ] = array(
					'id'          => $id,
					'title'       => 'Early Bird',
					'slug'        => 'early-bird',
					'description' => '',
					'created_at'  => '2026-11-23 14:15:36',
					'updated_at'  => '2026-11-23 14:15:36',
				);
				return array( $state, null );
			}
		);
		list( , $outcome, $sent ) = $this->deliver( array( array( 'apply_tags' => array( 'early-bird' ) ) ) );
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'GET /tags', 'POST /subscribers' ), self::shape( $sent ) );
		$this->assertSame( array( 5 ), $sent[1]['json']['tags'] );

		// Unknown even after the refresh: refused, nothing sent but the refresh, no tag created.
		list( $id, $outcome, $sent ) = $this->deliver( array( array( 'fields' => array( 'first_name' => 'X' ), 'apply_tags' => array( 'Typo Tagg' ) ) ) );
		$this->assertSame( 'parked', $outcome['outcome'] );
		$this->assertSame( array( 'GET /tags' ), self::shape( $sent ) );
		$this->assertCount( 5, $this->replay->read()['tags'] );
		$this->assertSame( '', get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ) );
	}

	public function test_an_empty_tag_list_is_never_sent(): void {
		$this->warm_cache();
		list( , $outcome, $sent ) = $this->deliver( array( array( 'fields' => array( 'first_name' => 'Jane' ) ) ) );
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'POST /subscribers' ), self::shape( $sent ) );
		$this->assertArrayNotHasKey( 'tags', $sent[0]['json'] );
	}
}
