<?php
/**
 * The outbox's per-user hold (Outbox::hold / release / discard) in real WordPress against the
 * embedded CRM: a held user's rows are kept and skipped by the runner until released.
 */

use TagBridge\Outbox\Outbox;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class OutboxHoldTest extends TestCase {

	/** @var array<int, array> tagbridge_outbox_delivered calls seen. */
	private $delivered = array();

	protected function setUp(): void {
		parent::setUp();
		Plugin::instance()->runner->end_of_request(); // Deliver what earlier tests left for this request.
		add_action( 'tagbridge_outbox_delivered', array( $this, 'record_delivery' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_action( 'tagbridge_outbox_delivered', array( $this, 'record_delivery' ), 10 );
		parent::tearDown();
	}

	public function record_delivery( $user_id, $change ): void {
		$this->delivered[] = array( (int) $user_id, $change );
	}

	public function test_a_held_users_rows_wait_until_released_and_go_out_once(): void {
		$plugin = Plugin::instance();
		$outbox = $plugin->outbox;
		$held   = $this->create_user();
		$other  = $this->create_user();
		$this->assertTrue( $outbox->hold( $held ) );
		$this->assertTrue( $outbox->is_held( $held ) );
		$this->assertFalse( $outbox->is_held( $other ) );
		$this->assertFalse( $outbox->hold( 999999999 ), 'unknown user' );

		$this->assertGreaterThan( 0, $outbox->enqueue( $held, array( 'fields' => array( 'city' => 'Paris' ) ) ) );
		$this->assertGreaterThan( 0, $outbox->enqueue( $held, array( 'apply_tags' => array( 'Early' ) ) ) );
		$this->assertGreaterThan( 0, $outbox->enqueue( $other, array( 'fields' => array( 'city' => 'Rome' ) ) ) );
		$plugin->runner->end_of_request();
		$this->assertSame( array( array( $other, array( 'fields' => array( 'city' => 'Rome' ), 'apply_tags' => array(), 'remove_tags' => array() ) ) ), $this->delivered );
		$this->assertSame( 2, $this->outbox_rows( $held ), 'kept' );
		$this->assertSame( array(), $outbox->due_users( time() + DAY_IN_SECONDS, 100, array( $held ) ) );
		$plugin->runner->drain( 100, time() + DAY_IN_SECONDS );
		$this->assertCount( 1, $this->delivered, 'the background runner skips the held user too' );

		$outbox->release( $held );
		$this->assertFalse( $outbox->is_held( $held ) );
		$plugin->runner->end_of_request();
		$this->assertSame( array( array( $held, array( 'fields' => array( 'city' => 'Paris' ), 'apply_tags' => array( 'Early' ), 'remove_tags' => array() ) ) ), array_slice( $this->delivered, 1 ) );
		$this->assertSame( 0, $this->outbox_rows( $held ) );
	}

	public function test_discard_deletes_the_rows_and_keeps_the_hold(): void {
		$plugin = Plugin::instance();
		$outbox = $plugin->outbox;
		$id     = $this->create_user();
		$outbox->hold( $id );
		$outbox->enqueue( $id, array( 'fields' => array( 'city' => 'Oslo' ) ) );
		$outbox->enqueue( $id, array( 'fields' => array( 'city' => 'Bergen' ) ) );
		$this->assertSame( 2, $outbox->discard( $id ) );
		$this->assertSame( 0, $this->outbox_rows( $id ) );
		$this->assertTrue( $outbox->is_held( $id ) );
		$outbox->release( $id );
		$plugin->runner->end_of_request();
		$this->assertSame( array(), $this->delivered, 'nothing left to send' );
	}
}
