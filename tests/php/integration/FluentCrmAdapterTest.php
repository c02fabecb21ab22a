<?php
/**
 * The FluentCRM adapter (TagBridge\Crm\FluentCrm), run inside real WordPress and sending real HTTP
 * through wp_remote_request.
 *
 * FluentCRM cannot be installed in CI, so it is stood in for by the replay server
 * (tests/fluentcrm/router.php), which answers with the REAL exchanges recorded against
 * FluentCRM 2.9.65 (tests/fixtures/fluentcrm/exchanges, behaviour table in its README.md) and keeps
 * contacts in a state file following that table. The server logs every request, so the tests
 * check what was sent. A 429 and a 5xx are not something FluentCRM produces on demand; those two
 * answers are injected (the 5xx with the recorded body of exchange 85) and say so. The
 * "no FluentCRM here" case uses the real test WordPress site, which has no FluentCRM.
 */

namespace TagBridge\Tests;

use TagBridge\Crm\FluentCrm;
use TagBridge\Crm\Result;
use TagBridge\Tests\FluentCrm\ReplayState;

final class FluentCrmAdapterTest extends TestCase {

	/** @var ReplayState */
	private $replay;

	protected function setUp(): void {
		parent::setUp();
		$this->replay = FluentCrmReplay::reset();
	}

	private function crm( string $user = 'admin', ?string $password = null, ?string $url = null ): FluentCrm {
		return new FluentCrm( $url ?? FluentCrmReplay::url(), $user, $password ?? ReplayState::USERS[ $user ]['app_password'] );
	}

	/** @return array<int, array> Requests received, with decoded JSON bodies. */
	private function sent(): array {
		return array_map(
			static function ( $r ) {
				$r['json'] = json_decode( $r['body'], true );
				return $r;
			},
			$this->replay->requests()
		);
	}

	private function last_request(): array {
		$requests = $this->replay->requests();
		return end( $requests );
	}

	private function assertResult( string $status, Result $result ): void {
		$this->assertSame( $status, $result->status, $result->message );
	}

	private function create( FluentCrm $crm, string $email, array $fields = array() ): string {
		$result = $crm->create_contact( $email, $fields );
		$this->assertResult( Result::OK, $result );
		$this->assertMatchesRegularExpression( '/^[1-9][0-9]*$/', $result->value );
		return $result->value;
	}

	public function test_find_contact_is_exact_and_sends_plus_as_2b(): void {
		$crm = $this->crm();
		$id  = $this->create( $crm, 'bob+crm@example.test', array( 'first_name' => 'Bob' ) );
		$this->create( $crm, 'val@example.test' );

		$found = $crm->find_contact( 'bob+crm@example.test' );
		$this->assertResult( Result::OK, $found );
		$this->assertSame( $id, $found->value );

		$lookup = array_values( array_filter( $this->sent(), static fn( $r ) => 'GET' === $r['method'] ) );
		$this->assertSame( '/wp-json/fluent-crm/v2/subscribers/0', $lookup[0]['path'] );
		$this->assertSame( 'get_by_email=bob%2Bcrm%40example.test', $lookup[0]['query'] );
		foreach ( $this->sent() as $request ) {
			$this->assertStringNotContainsString( 'search=', $request['query'], 'the fuzzy search is never used' );
		}

		// A substring of a stored address is not that contact (the fuzzy search would say it is).
		$this->assertResult( Result::NOT_FOUND, $crm->find_contact( 'al@example.test' ) );
		$this->assertResult( Result::NOT_FOUND, $crm->find_contact( 'nobody@example.test' ) );
	}

	public function test_find_contact_ignores_letter_case(): void {
		$crm = $this->crm();
		$id  = $this->create( $crm, 'Mixed.Case@Example.Test' );
		$this->assertSame( $id, $crm->find_contact( 'mixed.case@example.test' )->value );
	}

	public function test_bad_email_or_id_is_refused_before_any_request(): void {
		$crm = $this->crm();
		$this->assertResult( Result::PERMANENT, $crm->find_contact( 'not-an-email' ) );
		$this->assertResult( Result::PERMANENT, $crm->find_contact( '' ) );
		$this->assertResult( Result::PERMANENT, $crm->create_contact( 'nope', array() ) );
		$this->assertResult( Result::PERMANENT, $crm->get_contact( '0' ) );
		$this->assertResult( Result::PERMANENT, $crm->get_tags( 'abc' ) );
		$this->assertResult( Result::PERMANENT, $crm->apply_tags( '-1', array( 'vip' ) ) );
		$this->assertSame( array(), $this->sent() );
	}

	public function test_create_sends_custom_values_and_status_and_reads_back(): void {
		$crm = $this->crm();
		$id  = $this->create(
			$crm,
			'alice@example.test',
			array(
				'first_name'       => 'Alice',
				'membership_level' => 'gold',
				'interests'        => array( 'php', 'rust' ),
				'seats'            => 3,
			)
		);
		$post = array_values( array_filter( $this->sent(), static fn( $r ) => 'POST' === $r['method'] ) );
		$this->assertCount( 1, $post );
		$this->assertSame(
			array(
				'status'        => 'subscribed',
				'first_name'    => 'Alice',
				'custom_values' => array(
					'membership_level' => 'gold',
					'interests'        => array( 'php', 'rust' ),
					'seats'            => 3,
				),
				'email'         => 'alice@example.test',
			),
			$post[0]['json']
		);
		$this->assertStringStartsWith( 'Basic ' . base64_encode( 'admin:' ), $post[0]['authorization'] );

		$contact = $crm->get_contact( $id );
		$this->assertResult( Result::OK, $contact );
		$this->assertSame( 'alice@example.test', $contact->value['email'] );
		$this->assertSame( 'Alice', $contact->value['fields']['first_name'] );
		$this->assertSame( 'subscribed', $contact->value['fields']['status'] );
		$this->assertSame( '3', $contact->value['fields']['seats'], 'numbers come back as strings' );
		$this->assertSame( array( 'php', 'rust' ), $contact->value['fields']['interests'] );
		$this->assertSame( array(), $contact->value['tags'] );
		$this->assertStringContainsString( 'with%5B%5D=subscriber.custom_values', $this->last_request()['query'] );

		$pending = $this->create( $crm, 'pending@example.test', array( 'status' => 'pending' ) );
		$this->assertSame( 'pending', $crm->get_contact( $pending )->value['fields']['status'] );
	}

	public function test_create_carries_the_tags_as_ids_in_the_same_request(): void {
		$crm    = $this->crm();
		$result = $crm->create_contact( 'alice@example.test', array( 'plan' => 'Pro' ), array( 'member', 'vip' ) );
		$this->assertResult( Result::OK, $result );
		$post = array_values( array_filter( $this->sent(), static fn( $r ) => 'POST' === $r['method'] ) );
		$this->assertCount( 1, $post );
		$this->assertSame( array( 1, 2 ), $post[0]['json']['tags'], 'ids, never names (19)' );
		$this->assertArrayNotHasKey( '__force_update', $post[0]['json'] );
		$this->assertSame( array( 'member', 'vip' ), $crm->get_tags( $result->value )->value );

		$unknown = $crm->create_contact( 'bob@example.test', array(), array( 'Typo Tagg' ) );
		$this->assertResult( Result::PERMANENT, $unknown );
		$this->assertCount( 1, array_filter( $this->sent(), static fn( $r ) => 'POST' === $r['method'] ), 'an unknown tag: nothing created' );
	}

	public function test_duplicate_email_in_any_case_is_duplicate_and_changes_nothing(): void {
		$crm = $this->crm();
		$id  = $this->create( $crm, 'alice@example.test', array( 'first_name' => 'Alice', 'plan' => 'Pro' ) );
		$this->assertResult( Result::OK, $crm->update_contact( $id, array( 'status' => 'unsubscribed' ) ) );
		$before = $crm->get_contact( $id )->value;
		// What a registration sends for an email FluentCRM has (exchanges 99, 100).
		$this->assertResult( Result::DUPLICATE, $crm->create_contact( 'ALICE@example.test', array( 'first_name' => 'Other', 'plan' => 'Team' ), array( 'vip' ) ) );
		$this->assertSame( $before, $crm->get_contact( $id )->value );
		$this->assertSame( 'unsubscribed', $before['fields']['status'] );
	}

	public function test_fields_fluentcrm_would_mangle_are_refused_and_nothing_is_sent(): void {
		$crm    = $this->crm();
		$result = $crm->create_contact( 'x@example.test', array( 'no_such_field' => 'x' ) );
		$this->assertResult( Result::PERMANENT, $result );
		$this->assertStringContainsString( '"no_such_field"', $result->message );
		$this->assertResult( Result::PERMANENT, $crm->create_contact( 'x@example.test', array( 'status' => 'bogus' ) ) );
		$this->assertResult( Result::PERMANENT, $crm->create_contact( 'x@example.test', array( 'first_name' => array( 'a' => 'b' ) ) ) );
		$methods = array_column( $this->sent(), 'method' );
		$this->assertNotContains( 'POST', $methods );
		$this->assertResult( Result::NOT_FOUND, $crm->find_contact( 'x@example.test' ) );
	}

	public function test_update_merges_and_empty_string_clears_a_custom_value(): void {
		$crm = $this->crm();
		$id  = $this->create(
			$crm,
			'alice@example.test',
			array(
				'membership_level' => 'gold',
				'plan'             => 'Pro',
			)
		);
		$this->assertResult( Result::OK, $crm->update_contact( $id, array( 'last_name' => 'Anders', 'plan' => 'Team' ) ) );
		$put = $this->last_request();
		$this->assertSame( 'PUT', $put['method'] );
		$this->assertSame(
			array(
				'subscriber' => array(
					'last_name'     => 'Anders',
					'custom_values' => array( 'plan' => 'Team' ),
				),
			),
			json_decode( $put['body'], true )
		);
		$fields = $crm->get_contact( $id )->value['fields'];
		$this->assertSame( 'gold', $fields['membership_level'], 'values not sent are kept' );
		$this->assertSame( 'Team', $fields['plan'] );

		$this->assertResult( Result::OK, $crm->update_contact( $id, array( 'membership_level' => null ) ) );
		$this->assertSame( array( 'custom_values' => array( 'membership_level' => '' ) ), json_decode( $this->last_request()['body'], true )['subscriber'] );
		$this->assertArrayNotHasKey( 'membership_level', $crm->get_contact( $id )->value['fields'] );

		$before = count( $this->replay->requests() );
		$this->assertResult( Result::OK, $crm->update_contact( $id, array() ) );
		$this->assertCount( $before, $this->replay->requests(), 'nothing to update sends nothing' );
	}

	public function test_update_of_unknown_contact_or_taken_email(): void {
		$crm = $this->crm();
		$this->create( $crm, 'val@example.test' );
		$id = $this->create( $crm, 'alice@example.test' );
		$this->assertResult( Result::NOT_FOUND, $crm->update_contact( '999999', array( 'first_name' => 'Ghost' ) ) );
		$this->assertResult( Result::NOT_FOUND, $crm->get_contact( '999999' ) );
		$this->assertResult( Result::NOT_FOUND, $crm->apply_tags( '999999', array( 'vip' ) ) );
		$this->assertResult( Result::DUPLICATE, $crm->update_contact( $id, array( 'email' => 'val@example.test' ) ) );
	}

	public function test_tags_are_attached_and_detached_by_id_with_one_tag_list_fetch(): void {
		$crm = $this->crm();
		$id  = $this->create( $crm, 'al@example.test' );
		$this->assertResult( Result::OK, $crm->apply_tags( $id, array( 'member', 'newsletter' ) ) );
		$this->assertResult( Result::OK, $crm->apply_tags( $id, array( 'course-student' ) ) );
		$this->assertResult( Result::OK, $crm->remove_tags( $id, array( 'newsletter' ) ) );
		$tags = $crm->get_tags( $id );
		$this->assertResult( Result::OK, $tags );
		$this->assertSame( array( 'course-student', 'member' ), $tags->value );

		$puts = array_values( array_filter( $this->sent(), static fn( $r ) => 'PUT' === $r['method'] ) );
		$this->assertSame( array( 'subscriber' => array( 'attach_tags' => array( 1, 3 ) ) ), $puts[0]['json'] );
		$this->assertSame( array( 'subscriber' => array( 'attach_tags' => array( 4 ) ) ), $puts[1]['json'] );
		$this->assertSame( array( 'subscriber' => array( 'detach_tags' => array( 3 ) ) ), $puts[2]['json'] );
		$tag_lists = array_filter( $this->sent(), static fn( $r ) => '/wp-json/fluent-crm/v2/tags' === $r['path'] );
		$this->assertCount( 1, $tag_lists, 'the tag list is fetched once per adapter' );
	}

	public function test_unknown_tag_is_permanent_names_the_tag_and_creates_nothing(): void {
		$crm    = $this->crm();
		$id     = $this->create( $crm, 'al@example.test' );
		$result = $crm->apply_tags( $id, array( 'member', 'Typo Tagg' ) );
		$this->assertResult( Result::PERMANENT, $result );
		$this->assertStringContainsString( '"Typo Tagg"', $result->message );
		$this->assertResult( Result::PERMANENT, $crm->remove_tags( $id, array( 'VIP' ) ), 'titles are not slugs' );
		$this->assertNotContains( 'PUT', array_column( $this->sent(), 'method' ) );
		$this->assertSame( array( 'member', 'vip', 'newsletter', 'course-student' ), array_keys( array_flip( array_column( $this->replay->read()['tags'], 'slug' ) ) ) );
		$this->assertSame( array(), $crm->get_tags( $id )->value );
	}

	public function test_empty_tag_lists_are_never_sent(): void {
		$crm = $this->crm();
		$id  = $this->create( $crm, 'al@example.test' );
		$this->assertResult( Result::OK, $crm->apply_tags( $id, array() ) );
		$this->assertResult( Result::OK, $crm->remove_tags( $id, array() ) );
		$this->assertResult( Result::PERMANENT, $crm->apply_tags( $id, array( '' ) ) );
		$this->assertResult( Result::OK, $crm->apply_tags( $id, array( 'vip' ) ) );
		foreach ( $this->sent() as $request ) {
			foreach ( array( 'attach_tags', 'detach_tags' ) as $key ) {
				if ( isset( $request['json']['subscriber'][ $key ] ) ) {
					$this->assertNotEmpty( $request['json']['subscriber'][ $key ] );
				}
			}
		}
		$this->assertCount( 1, array_filter( $this->sent(), static fn( $r ) => 'PUT' === $r['method'] ) );
	}

	public function test_list_tags_and_fields(): void {
		$crm  = $this->crm();
		$tags = $crm->list_tags();
		$this->assertResult( Result::OK, $tags );
		$this->assertSame(
			array(
				'member'         => 'Member',
				'vip'            => 'VIP',
				'newsletter'     => 'Newsletter',
				'course-student' => 'Course Student',
			),
			$tags->value
		);
		$fields = $crm->list_fields();
		$this->assertResult( Result::OK, $fields );
		$this->assertSame( 'Seats', $fields->value['seats']['label'] );
		$this->assertSame( 'int', $fields->value['seats']['type'] );
		$this->assertSame( 'multiselect', $fields->value['interests']['type'] );
		$this->assertSame( 'date', $fields->value['member_since']['type'] );
		$this->assertSame( 'standard', $fields->value['first_name']['group'] );
		$this->assertSame( 'tel', $fields->value['phone']['type'] );
		$this->assertCount( 5, array_filter( $fields->value, static fn( $f ) => 'custom' === $f['group'] ) );
	}

	public function test_a_combined_update_is_one_put_with_fields_and_tags(): void {
		$crm = $this->crm();
		$this->assertTrue( $crm->supports_combined_update() );
		$id = $this->create( $crm, 'al@example.test', array( 'first_name' => 'Al', 'seats' => 3 ) );
		$this->assertResult( Result::OK, $crm->apply_tags( $id, array( 'member', 'newsletter' ) ) );
		$this->assertResult( Result::OK, $crm->update_contact( $id, array( 'status' => 'unsubscribed' ) ) );
		$before = count( $this->replay->requests() );

		$result = $crm->update_combined( $id, array( 'first_name' => 'Alan', 'plan' => 'Team' ), array( 'vip' ), array( 'newsletter' ) );
		$this->assertResult( Result::OK, $result );
		$sent = array_slice( $this->sent(), $before );
		$this->assertCount( 1, $sent, 'one request (exchange 101)' );
		$this->assertSame( 'PUT', $sent[0]['method'] );
		$this->assertSame(
			array(
				'subscriber' => array(
					'first_name'    => 'Alan',
					'custom_values' => array( 'plan' => 'Team' ),
					'attach_tags'   => array( 2 ),
					'detach_tags'   => array( 3 ),
				),
			),
			$sent[0]['json']
		);
		$read = $crm->get_contact( $id )->value;
		$this->assertSame( array( 'member', 'vip' ), $read['tags'] );
		$this->assertSame( array( 'Alan', 'Team', '3', 'unsubscribed' ), array( $read['fields']['first_name'], $read['fields']['plan'], $read['fields']['seats'], $read['fields']['status'] ), 'merged; the status left alone (102)' );

		// Empty parts are not sent; nothing at all sends nothing; an unknown slug sends nothing.
		$before = count( $this->replay->requests() );
		$this->assertResult( Result::OK, $crm->update_combined( $id, array(), array(), array( 'member' ) ) );
		$this->assertSame( array( 'subscriber' => array( 'detach_tags' => array( 1 ) ) ), $this->sent()[ $before ]['json'] );
		$this->assertResult( Result::OK, $crm->update_combined( $id, array(), array(), array() ) );
		$unknown = $crm->update_combined( $id, array( 'first_name' => 'X' ), array( 'Typo Tagg' ), array() );
		$this->assertResult( Result::PERMANENT, $unknown );
		$this->assertStringContainsString( '"Typo Tagg"', $unknown->message );
		$this->assertCount( $before + 1, $this->replay->requests() );
		$this->assertCount( 4, $this->replay->read()['tags'], 'no tag created' );
	}

	public function test_credentials_refused_as_recorded(): void {
		$wrong = $this->crm( 'admin', 'abcd efgh ijkl mnop qrst uvwx' )->list_tags();
		$this->assertResult( Result::AUTH_FAILED, $wrong );
		$this->assertStringContainsString( 'wrong username or application password', $wrong->message );
		$this->assertStringNotContainsString( 'abcd', $wrong->message );
		$this->assertResult( Result::AUTH_FAILED, $this->crm( 'nobody', 'abcd efgh ijkl mnop qrst uvwx' )->list_tags() );
		$this->assertResult( Result::AUTH_FAILED, $this->crm( 'admin', ReplayState::USERS['admin']['login_password'] )->list_tags() );

		$viewer = $this->crm( 'viewer' )->find_contact( 'alice@example.test' );
		$this->assertResult( Result::AUTH_FAILED, $viewer );
		$this->assertStringContainsString( 'lacks FluentCRM permission', $viewer->message );
		$this->assertFalse( $viewer->is_retryable() );
		$this->assertSame( array( 401, 401, 401, 403 ), array_column( $this->sent(), 'status' ) );
	}

	/** A 429 comes from a proxy or host in front of FluentCRM, not FluentCRM: injected. */
	public function test_rate_limit_carries_retry_after(): void {
		$this->replay->fail_next( 429, array( 'Retry-After' => '30' ), array( 'message' => 'Too Many Requests' ) );
		$result = $this->crm()->list_tags();
		$this->assertResult( Result::RATE_LIMITED, $result );
		$this->assertSame( 30, $result->retry_after );
		$this->assertTrue( $result->is_retryable() );
	}

	/** The recorded 500 (exchange 85), injected for a route that FluentCRM does not fail on demand. */
	public function test_server_error_and_refused_connection_are_transient(): void {
		$crash = ReplayState::exchange( '85-sync-unknown-subscriber' )['response'];
		$this->replay->fail_next( $crash['status'], array(), $crash['json'] );
		$result = $this->crm()->list_tags();
		$this->assertResult( Result::TRANSIENT, $result );
		$this->assertTrue( $result->is_retryable() );

		// Port 9 (discard) has no listener on the test machine.
		$refused = $this->crm( 'admin', null, 'http://127.0.0.1:9' )->list_tags();
		$this->assertResult( Result::TRANSIENT, $refused );
		$this->assertStringContainsString( 'refused', $refused->message );
	}

	/** WordPress's recorded 400 (exchange 89) stands for "any other 4xx": permanent, with its message. */
	public function test_other_client_errors_are_permanent_with_the_message(): void {
		$bad = ReplayState::exchange( '89-malformed-json-create' )['response'];
		$this->replay->fail_next( $bad['status'], array(), $bad['json'] );
		$result = $this->crm()->list_tags();
		$this->assertResult( Result::PERMANENT, $result );
		$this->assertStringContainsString( 'Invalid JSON body passed. (rest_invalid_json)', $result->message );
	}

	public function test_not_wordpress_and_no_fluentcrm_are_told_apart(): void {
		$html = $this->crm( 'admin', null, FluentCrmReplay::url() . '/not-wordpress' )->list_tags();
		$this->assertResult( Result::PERMANENT, $html );
		$this->assertStringContainsString( 'did not answer like a WordPress REST API', $html->message );

		// The real test site: WordPress without FluentCRM.
		$site = $this->crm( 'admin', null, (string) getenv( 'TB_SITE_URL' ) )->list_tags();
		$this->assertResult( Result::PERMANENT, $site );
		$this->assertStringContainsString( 'rest_no_route', $site->message );
	}
}
