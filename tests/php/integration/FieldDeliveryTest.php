<?php
/**
 * Field pushes end to end in real WordPress: hooks mark the user, the shutdown step queues one
 * payload in the outbox, the outbox delivers it to the embedded CRM, and the delivery becomes the
 * snapshot the next push is diffed against.
 */

use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class FieldDeliveryTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'fields' => array(
						array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'source' => 'wordpress' ),
						array( 'key' => 'last_name', 'crm_field' => 'last_name', 'type' => 'text', 'source' => 'wordpress' ),
					),
				)
			)
		);
		Plugin::instance()->fields->flush();
	}

	/** What shutdown does: the field step (priority 5), then the outbox's delivery (priority 50). */
	private function end_request(): void {
		$plugin = Plugin::instance();
		$plugin->push_fields();
		$plugin->runner->end_of_request();
	}

	public function test_a_profile_change_reaches_the_crm_once_and_only_what_changed_follows(): void {
		$plugin = Plugin::instance();
		$id     = $this->create_user( 'subscriber', array( 'first_name' => 'Ada', 'last_name' => 'Lovelace' ) );
		wp_update_user( array( 'ID' => $id, 'display_name' => 'Ada L.' ) ); // A second hook, same request.
		$this->end_request();
		$this->assertSame( 0, $this->outbox_rows( $id ), 'delivered' );
		$contact = $plugin->embedded_crm->get_contact( (string) $id );
		$this->assertTrue( $contact->is_ok(), $contact->message );
		$this->assertSame( 'Ada', $contact->value['fields']['first_name'] );
		$this->assertSame( 'Lovelace', $contact->value['fields']['last_name'] );
		$this->assertSame( array( 'first_name' => 'Ada', 'last_name' => 'Lovelace' ), get_user_meta( $id, '_tagbridge_pushed_fields', true ), 'acknowledged' );

		wp_update_user( array( 'ID' => $id, 'display_name' => 'Nothing mapped changed' ) );
		$plugin->push_fields();
		$this->assertSame( 0, $this->outbox_rows( $id ), 'no change, nothing queued' );

		wp_update_user( array( 'ID' => $id, 'last_name' => 'King' ) );
		$plugin->push_fields();
		$this->assertSame( 1, $this->outbox_rows( $id ) );
		$plugin->runner->end_of_request();
		$this->assertSame( 'King', $plugin->embedded_crm->get_contact( (string) $id )->value['fields']['last_name'] );
	}

	public function test_a_failed_delivery_keeps_the_old_snapshot_and_delivers_later(): void {
		$plugin = Plugin::instance();
		$id     = $this->create_user( 'subscriber', array( 'first_name' => 'Grace' ) );
		update_option( 'tagbridge_embedded_fault', array( 'mode' => 'down' ) );
		try {
			$this->end_request();
			$this->assertSame( 1, $this->outbox_rows( $id ), 'kept in the outbox' );
			$this->assertSame( '', get_user_meta( $id, '_tagbridge_pushed_fields', true ), 'not acknowledged' );
		} finally {
			delete_option( 'tagbridge_embedded_fault' );
		}
		$plugin->runner->drain( 100, time() + DAY_IN_SECONDS, array( $id ) );
		$this->assertSame( 0, $this->outbox_rows( $id ) );
		$this->assertSame( 'Grace', $plugin->embedded_crm->get_contact( (string) $id )->value['fields']['first_name'] );
		$this->assertSame( array( 'first_name' => 'Grace' ), get_user_meta( $id, '_tagbridge_pushed_fields', true ) );
	}
}
