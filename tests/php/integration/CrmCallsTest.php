<?php
/**
 * How many requests FluentCRM receives for one user's deliveries (issue 10: CRM calls per
 * registration), through the real outbox deliverer, the real adapter and real HTTP to the replay
 * server (tests/fluentcrm/), which counts what it receives.
 *
 * Each delivery gets a fresh adapter, as each request does, so what carries over between them is
 * only the tag and field lists cached in transients.
 */

namespace TagBridge\Tests;

use TagBridge\Crm\Connection;
use TagBridge\Crm\FluentCrm;
use TagBridge\Outbox\Deliverer;
use TagBridge\Outbox\Runner;
use TagBridge\Plugin;
use TagBridge\Tests\FluentCrm\ReplayState;

final class CrmCallsTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', Connection::OPTION, Connection::SECRET_OPTION, Runner::UNHEALTHY_OPTION );

	/** @var ReplayState */
	private $replay;

	protected function setUp(): void {
		parent::setUp();
		$this->replay = FluentCrmReplay::reset();
	}

	private function crm(): FluentCrm {
		return new FluentCrm( FluentCrmReplay::url(), 'admin', ReplayState::USERS['admin']['app_password'] );
	}

	/** Queues the changes for a new user and delivers them as one request's runner would. */
	private function deliver( array $changes, string $email = '' ): array {
		$id = $this->create_user( 'subscriber', '' === $email ? array() : array( 'user_email' => $email ) );
		Plugin::instance()->outbox->discard( $id ); // Rows queued by creating the user (mapped fields of other tests).
		return $this->deliver_to( $id, $changes );
	}

	/** Queues the changes for a user and delivers them as one request's runner would. */
	private function deliver_to( int $id, array $changes ): array {
		$plugin = Plugin::instance();
		foreach ( $changes as $change ) {
			$this->assertIsInt( $plugin->outbox->enqueue( $id, $change ) );
		}
		$plugin->outbox->take_touched();
		$before    = count( $this->replay->requests() );
		$deliverer = new Deliverer( fn() => $this->crm(), $plugin->outbox, $plugin->engine, $plugin->log );
		$outcome   = $deliverer->deliver( $id, time() );
		return array( $id, $outcome, $this->sent_since( $before ) );
	}

	/** The requests the replay received after the first $before, with their JSON bodies decoded. */
	private function sent_since( int $before ): array {
		return array_map(
			static function ( $r ) {
				$r['json'] = json_decode( $r['body'], true );
				return $r;
			},
			array_slice( $this->replay->requests(), $before )
		);
	}

	private static function shape( array $sent ): array {
		return array_map( static fn( $r ) => $r['method'] . ' ' . substr( $r['path'], strlen( '/wp-json/fluent-crm/v2' ) ) . ( 422 === $r['status'] ? ' (422)' : '' ), $sent );
	}

	/** Fills the list cache the way the Connection screen does. */
	private function warm_cache(): void {
		$crm = $this->crm();
		$this->assertTrue( $crm->list_tags()->is_ok() );
		$this->assertTrue( $crm->list_fields()->is_ok() );
	}

	/** A contact FluentCRM already has (made directly, not by TagBridge); returns its id. */
	private function existing_contact( string $email, array $fields, array $tags ): string {
		$made = $this->crm()->create_contact( $email, $fields, $tags );
		$this->assertTrue( $made->is_ok(), (string) $made->message );
		return (string) $made->value;
	}

	public function test_a_new_contact_with_fields_and_tags_to_apply_is_one_create_request(): void {
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
		$this->assertArrayNotHasKey( '__force_update', $body, 'a create, never the upsert that overwrites the status' );
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

		// The next delivery of this contact: one combined PUT.
		list( , $outcome, $sent ) = $this->deliver_to(
			$id,
			array(
				array( 'fields' => array( 'plan' => 'Pro' ), 'apply_tags' => array( 'newsletter' ) ),
				array( 'remove_tags' => array( 'vip' ) ),
			)
		);
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'PUT /subscribers/' . $contact ), self::shape( $sent ) );
		$this->assertSame(
			array(
				'subscriber' => array(
					'custom_values' => array( 'plan' => 'Pro' ),
					'attach_tags'   => array( 3 ),
					'detach_tags'   => array( 2 ),
				),
			),
			$sent[0]['json']
		);
		$this->assertSame( array( 'member', 'newsletter' ), $this->crm()->get_tags( $contact )->value );
	}

	public function test_a_new_contact_gets_no_removal_call(): void {
		$this->warm_cache();
		list( , $outcome, $sent ) = $this->deliver(
			array(
				array( 'apply_tags' => array( 'member', 'newsletter' ) ),
				array( 'remove_tags' => array( 'newsletter', 'vip' ) ),
			)
		);
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'POST /subscribers' ), self::shape( $sent ), 'a contact that did not exist has no tag to remove' );
		$this->assertSame( array( 1 ), $sent[0]['json']['tags'] );
	}

	public function test_an_existing_contact_is_refused_looked_up_and_updated_in_one_put(): void {
		$this->warm_cache();
		$email    = 'tb_calls_' . strtolower( wp_generate_password( 6, false ) ) . '@example.test';
		$existing = $this->existing_contact( strtoupper( $email ), array( 'plan' => 'Pro', 'seats' => 3 ), array( 'newsletter', 'course-student' ) );

		list( $id, $outcome, $sent ) = $this->deliver(
			array(
				array( 'fields' => array( 'first_name' => 'Jane', 'plan' => 'Team' ), 'apply_tags' => array( 'member' ) ),
				array( 'remove_tags' => array( 'newsletter' ) ),
			),
			$email
		);
		$this->assertSame( 'delivered', $outcome['outcome'], wp_json_encode( $outcome ) );
		$this->assertSame( array( 'POST /subscribers (422)', 'GET /subscribers/0', 'PUT /subscribers/' . $existing ), self::shape( $sent ), 'refused create (exchange 99), lookup, one combined PUT (101)' );
		$this->assertSame( array( 1 ), $sent[0]['json']['tags'] );
		$this->assertSame(
			array(
				'subscriber' => array(
					'first_name'    => 'Jane',
					'custom_values' => array( 'plan' => 'Team' ),
					'attach_tags'   => array( 1 ),
					'detach_tags'   => array( 3 ),
				),
			),
			$sent[2]['json'],
			'fields, the tag to apply and the removal dropped from the create, in one request'
		);
		$this->assertSame( $existing, (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ), 'the contact found by email (any letter case), not a second one' );
		$read = $this->crm()->get_contact( $existing );
		$this->assertSame( array( 'course-student', 'member' ), $read->value['tags'], 'tags added, the removed one gone, the others kept' );
		$this->assertSame( array( 'Team', '3' ), array( $read->value['fields']['plan'], $read->value['fields']['seats'] ), 'custom values merged' );
		$this->assertCount( 1, $this->replay->read()['subscribers'] );
	}

	/**
	 * Consent: someone who unsubscribed in FluentCRM registers on the site. Their registration
	 * (its own request, delivered at its end) reaches their contact with the linked role's tag and
	 * the mapped fields, and their status stays `unsubscribed` — the create that would say
	 * `subscribed` is refused by FluentCRM without changing anything (exchanges 99-100), and the
	 * combined PUT sends no status (101-102).
	 */
	public function test_an_unsubscribed_contact_who_registers_stays_unsubscribed_and_gets_the_tags_and_fields(): void {
		$email   = 'tb_consent_' . strtolower( wp_generate_password( 6, false ) ) . '@example.test';
		$contact = $this->existing_contact( $email, array( 'first_name' => 'Old', 'plan' => 'Pro' ), array( 'newsletter' ) );
		$this->assertTrue( $this->crm()->update_contact( $contact, array( 'status' => 'unsubscribed' ) )->is_ok() );
		$this->assertTrue( Connection::save( FluentCrmReplay::credentials() ) );
		$this->warm_cache(); // Saving the connection dropped the cached lists; a registration after the first finds them.
		delete_option( Runner::UNHEALTHY_OPTION );
		// The subscriber role linked to the tag member; first name and a plan (user meta) mapped.
		$saved = tagbridge_update_settings(
			array(
				'role_links' => array( array( 'role' => 'subscriber', 'tag' => 'member' ) ),
				'fields'     => array(
					array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'source' => 'wordpress' ),
					array( 'key' => 'tb_plan', 'crm_field' => 'plan', 'type' => 'text', 'source' => 'other' ),
				),
			)
		);
		$this->assertTrue( $saved, is_wp_error( $saved ) ? $saved->get_error_message() : '' );
		$before = count( $this->replay->requests() );

		// The registration, in its own request: the plugin loads with FluentCRM connected.
		list( $exit, $out ) = $this->run_php(
			self::load_wordpress_code() . sprintf(
				'$id = wp_insert_user( array( "user_login" => %1$s, "user_email" => %1$s, "user_pass" => wp_generate_password( 24 ), "first_name" => "Casey", "role" => "subscriber" ) ); update_user_meta( $id, "tb_plan", "Team" ); echo $id;',
				var_export( $email, true )
			)
		);
		$user_id = (int) $out;
		$this->assertSame( 0, $exit, $out );
		$this->assertGreaterThan( 0, $user_id, $out );
		try {
			$this->assertSame( array( 'POST /subscribers (422)', 'GET /subscribers/0', 'PUT /subscribers/' . $contact ), self::shape( $this->sent_since( $before ) ) );
			$state = $this->replay->read()['subscribers'][ $contact ];
			$this->assertSame( 'unsubscribed', $state['columns']['status'], 'consent kept: the registration did not re-subscribe the contact' );
			$read = $this->crm()->get_contact( $contact );
			$this->assertSame( array( 'member', 'newsletter' ), $read->value['tags'], 'the linked role\'s tag added, the others kept' );
			$this->assertSame( 'Casey', $read->value['fields']['first_name'] );
			$this->assertSame( 'Team', $read->value['fields']['plan'] );
			$this->assertCount( 1, $this->replay->read()['subscribers'], 'no second contact' );
			$this->assertSame( $contact, (string) get_user_meta( $user_id, Deliverer::CONTACT_META . 'fluentcrm', true ) );
			$this->assertSame( 0, $this->outbox_rows( $user_id ) );
		} finally {
			wp_delete_user( $user_id );
		}
	}

	/**
	 * The CRM down (nothing listens on its address: connection refused), then up: every change
	 * queued meanwhile reaches FluentCRM once, coalesced, with the last value of each field and the
	 * net tag changes.
	 */
	public function test_a_crm_down_then_up_loses_nothing(): void {
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

	public function test_a_retried_create_finds_what_the_first_one_made(): void {
		$this->warm_cache();
		$email = 'tb_calls_' . strtolower( wp_generate_password( 6, false ) ) . '@example.test';
		list( $id ) = $this->deliver( array( array( 'fields' => array( 'first_name' => 'Jane' ), 'apply_tags' => array( 'member' ) ) ), $email );
		// The answer was lost (a timeout after FluentCRM acted): the contact id was never stored.
		delete_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm' );
		list( , $outcome, $sent ) = $this->deliver_to( $id, array( array( 'fields' => array( 'first_name' => 'Jane' ), 'apply_tags' => array( 'member' ) ) ) );
		$this->assertSame( 'delivered', $outcome['outcome'] );
		$this->assertSame( array( 'POST /subscribers (422)', 'GET /subscribers/0', 'PUT /subscribers/1' ), self::shape( $sent ) );
		$this->assertCount( 1, $this->replay->read()['subscribers'], 'one contact, not two' );
		$this->assertSame( '1', (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ) );
		$this->assertSame( array( 'member' ), $this->crm()->get_contact( '1' )->value['tags'] );
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
