<?php
/**
 * The outbox decisions through the PHP boundary.
 */

use PHPUnit\Framework\TestCase;
use TagBridge\Ext\InputException;

final class OutboxTest extends TestCase {

	public function test_a_registration_coalesces_into_one_create_with_the_fields_and_tags(): void {
		$d = tagbridge_outbox_coalesce(
			array(
				array( 'id' => 10, 'fields' => array( 'first_name' => 'Ann' ) ),
				array( 'id' => 11, 'fields' => array( 'first_name' => 'Anna', 'interests' => array( 'a', 'b' ) ), 'apply_tags' => array( 'Member' ) ),
				array( 'id' => 12, 'apply_tags' => array( 'Trial' ) ),
				array( 'id' => 13, 'remove_tags' => array( 'Trial' ) ),
			),
			false,
			false
		);
		$this->assertSame( array( 10, 11, 12, 13 ), $d['ids'] );
		$this->assertSame( array( 'first_name' => 'Anna', 'interests' => array( 'a', 'b' ) ), $d['fields'] );
		$this->assertSame( array( 'Member' ), $d['apply_tags'] );
		$this->assertSame( array( 'Trial' ), $d['remove_tags'] );
		$this->assertEquals(
			array(
				array(
					'op'         => 'create',
					'fields'     => $d['fields'],
					'apply_tags' => array( 'Member' ),
				),
			),
			$d['calls'],
			'one create; the removal is left out for a contact that did not exist'
		);
		// The same changes for a known contact (after a duplicate create and a lookup).
		$known = tagbridge_outbox_coalesce( array( array( 'id' => 1, 'apply_tags' => array( 'A' ), 'remove_tags' => array( 'B' ) ) ), true, false );
		$this->assertSame( array( 'remove', 'apply' ), array_column( $known['calls'], 'op' ) );
	}

	public function test_a_combined_crm_gets_one_call(): void {
		$d = tagbridge_outbox_coalesce( array( array( 'id' => 1, 'fields' => array( 'x' => 1 ), 'apply_tags' => array( 'A' ) ) ), true, true );
		$this->assertEquals( array( array( 'op' => 'combined', 'fields' => array( 'x' => 1 ), 'apply_tags' => array( 'A' ), 'remove_tags' => array() ) ), $d['calls'] );
	}

	public function test_schedule_backs_off_honours_retry_after_and_parks(): void {
		$first = tagbridge_outbox_schedule( 5, 1, 'transient', null );
		$this->assertSame( 'retry', $first['action'] );
		$this->assertGreaterThanOrEqual( 15, $first['delay'] );
		$this->assertLessThanOrEqual( 30, $first['delay'] );
		$this->assertSame( $first, tagbridge_outbox_schedule( 5, 1, 'transient' ) );
		$this->assertSame( 600, tagbridge_outbox_schedule( 5, 1, 'rate_limited', 600 )['delay'] );
		$this->assertSame( array( 'action' => 'park', 'delay' => null, 'reason' => 'auth_failed' ), tagbridge_outbox_schedule( 5, 1, 'auth_failed', null ) );
		$this->assertSame( 'attempts_exhausted', tagbridge_outbox_schedule( 5, 30, 'transient', null )['reason'] );
	}

	public function test_bad_input_is_refused_with_its_path(): void {
		foreach (
			array(
				array( array( array( 'fields' => array() ) ), 'changes[0].id: is required' ),
				array( array( array( 'id' => 1, 'apply_tags' => array( '' ) ) ), 'changes[0].apply_tags[0]' ),
				array( array( array( 'id' => 1, 'colour' => 'red' ) ), 'changes[0].colour: unknown key' ),
				array( array( array( 'id' => 1, 'fields' => array( 'x' => new stdClass() ) ) ), 'changes[0][fields][x]' ),
				array( 'not a list', 'changes' ),
			) as list( $changes, $message )
		) {
			try {
				tagbridge_outbox_coalesce( $changes, true, false );
				$this->fail( 'accepted ' . $message );
			} catch ( InputException $e ) {
				$this->assertStringContainsString( $message, $e->getMessage() );
			}
		}
		foreach ( array( array( -1, 1, 'transient' ), array( 1, 0, 'transient' ), array( 1, 1, 'weird' ) ) as list( $key, $attempt, $failure ) ) {
			try {
				tagbridge_outbox_schedule( $key, $attempt, $failure, null );
				$this->fail( "accepted $key $attempt $failure" );
			} catch ( InputException $e ) {
				$this->assertNotSame( '', $e->getMessage() );
			}
		}
	}
}
