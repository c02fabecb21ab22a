<?php
/**
 * Pull on profile load with Ultimate Member: opening a UM profile (`um_access_profile( $user_id )`,
 * fired on template_redirect when a profile URL resolves, section 2.3) refreshes that user's
 * pull-enabled fields from the CRM (here the embedded CRM's local contact record) at most once per
 * freshness window, through the field core's pull rules, then clears UM's profile cache.
 *
 * UM cannot be installed in CI: the hook is fired as UM fires it, and `UM()->user()->remove_cache()`
 * is the test-only stand-in in tests/php/support/UltimateMemberStandIn.php (records the call and
 * deletes `um_cache_userdata_{id}`, as the reference documents).
 */

use TagBridge\Integrations\UltimateMember\Options;
use TagBridge\Integrations\UltimateMember\ProfilePull;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

require_once __DIR__ . '/../support/UltimateMemberStandIn.php';

final class UltimateMemberPullTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', Options::OPTION );

	protected function setUp(): void {
		parent::setUp();
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'fields' => array(
						array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'direction' => 'both', 'source' => 'wordpress' ),
						array( 'key' => 'interests', 'crm_field' => 'interests', 'type' => 'multiselect', 'direction' => 'both', 'source' => 'ultimate_member' ),
						array( 'key' => 'last_name', 'crm_field' => 'last_name', 'type' => 'text', 'direction' => 'push', 'source' => 'wordpress' ),
					),
				)
			)
		);
		$this->assertTrue( Plugin::instance()->ultimate_member->options->save( array( 'pull' => true, 'pull_window' => 15 ) ) );
		Plugin::instance()->fields->flush();
		UM::$calls = array();
	}

	/** A member whose contact is in the CRM, then changed in the CRM. */
	private function member_changed_in_crm(): int {
		$plugin = Plugin::instance();
		$id     = $this->create_user( 'subscriber', array( 'first_name' => 'Jane', 'last_name' => 'Doe' ) );
		update_user_meta( $id, 'interests', array( 'Jazz' ) );
		$plugin->push_fields();
		$plugin->runner->end_of_request();
		$this->assertSame( 0, $this->outbox_rows( $id ), 'delivered' );
		$this->assertTrue( $plugin->embedded_crm->update_contact( (string) $id, array( 'first_name' => 'Janet', 'interests' => array( 'Chess', 'Go' ), 'last_name' => 'Crm' ) )->is_ok() );
		update_option( "um_cache_userdata_{$id}", array( 'first_name' => 'Jane' ) );
		return $id;
	}

	public function test_opening_a_profile_pulls_once_per_window_and_clears_ums_cache(): void {
		$plugin = Plugin::instance();
		$id     = $this->member_changed_in_crm();
		$viewer = $this->create_user( 'subscriber' );
		wp_set_current_user( $viewer );

		do_action( 'um_access_profile', $id );
		$this->assertSame( 'Janet', get_user_meta( $id, 'first_name', true ) );
		$this->assertSame( array( 'Chess', 'Go' ), get_user_meta( $id, 'interests', true ) );
		$this->assertSame( 'Doe', get_user_meta( $id, 'last_name', true ), 'push-only fields are never pulled' );
		$this->assertSame( array( array( 'user.remove_cache', array( $id ) ) ), UM::$calls );
		$this->assertFalse( get_option( "um_cache_userdata_{$id}" ) );
		$this->assertSame( '', get_user_meta( $viewer, 'first_name', true ), 'the viewed user, not the viewer' );

		// The pulled values are not pushed back to the CRM.
		$plugin->push_fields();
		$this->assertSame( 0, $this->outbox_rows( $id ) );

		// Within the window the CRM is not asked again.
		$this->assertTrue( $plugin->embedded_crm->update_contact( (string) $id, array( 'first_name' => 'Later' ) )->is_ok() );
		$this->assertFalse( $plugin->ultimate_member->pull->profile_opened( $id ) );
		$this->assertSame( 'Janet', get_user_meta( $id, 'first_name', true ) );

		// After the window it is.
		update_user_meta( $id, ProfilePull::PULLED_META, time() - 16 * MINUTE_IN_SECONDS );
		$this->assertTrue( $plugin->ultimate_member->pull->profile_opened( $id ) );
		$this->assertSame( 'Later', get_user_meta( $id, 'first_name', true ) );
	}

	public function test_nothing_is_pulled_when_the_setting_is_off_or_the_user_was_never_sent(): void {
		$plugin = Plugin::instance();
		$id     = $this->member_changed_in_crm();
		$this->assertTrue( $plugin->ultimate_member->options->save( array( 'pull' => false ) ) );
		do_action( 'um_access_profile', $id );
		$this->assertSame( 'Jane', get_user_meta( $id, 'first_name', true ) );

		$this->assertTrue( $plugin->ultimate_member->options->save( array( 'pull' => true ) ) );
		$never_sent = $this->create_user( 'subscriber', array( 'first_name' => 'Solo' ) );
		$plugin->fields->flush();
		$this->assertTrue( $plugin->ultimate_member->pull->profile_opened( $never_sent ) );
		$this->assertSame( 'Solo', get_user_meta( $never_sent, 'first_name', true ) );
		$this->assertSame( array(), UM::$calls, 'no write, no cache clearing' );
	}

	public function test_a_crm_that_is_down_leaves_the_page_on_local_data(): void {
		$plugin = Plugin::instance();
		$id     = $this->member_changed_in_crm();
		update_option( 'tagbridge_embedded_fault', array( 'mode' => 'down' ) );
		try {
			$this->assertTrue( $plugin->ultimate_member->pull->profile_opened( $id ) );
		} finally {
			delete_option( 'tagbridge_embedded_fault' );
		}
		$this->assertSame( 'Jane', get_user_meta( $id, 'first_name', true ) );
		$this->assertFalse( $plugin->ultimate_member->pull->profile_opened( $id ), 'not retried within the window' );
	}

	/**
	 * A slow CRM (a real HTTP server that answers after 10 s) never holds the profile page for more
	 * than the pull's bound (2 s): the page is served from local data, and the CRM is not asked
	 * again within the freshness window. The bound is asserted with a wide margin (6 s against a
	 * 10 s server), so machine load cannot make it flaky.
	 */
	public function test_a_slow_crm_never_holds_the_profile_and_is_not_asked_again_in_the_window(): void {
		$port   = (int) ( getenv( 'TB_SLOW_CRM_PORT' ) ?: 8097 );
		$count  = sys_get_temp_dir() . "/tagbridge-slow-crm-{$port}.count";
		$server = proc_open( array( PHP_BINARY, '-S', "127.0.0.1:{$port}", dirname( __DIR__ ) . '/support/slow-crm.php' ), array( 1 => array( 'file', '/dev/null', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ), $pipes );
		$saved  = array( get_option( 'tagbridge_connection' ), get_option( 'tagbridge_connection_secret' ) );
		try {
			@unlink( $count ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- may not exist.
			for ( $i = 0; $i < 50 && ! @fsockopen( '127.0.0.1', $port ); $i++ ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- polling until it listens.
				usleep( 100000 );
			}
			$this->assertTrue( \TagBridge\Crm\Connection::save( array( 'type' => 'fluentcrm', 'url' => "http://127.0.0.1:{$port}", 'username' => 'admin', 'password' => 'abcd efgh ijkl mnop qrst uvwx' ) ) );
			$id = $this->create_user( 'subscriber', array( 'first_name' => 'Local' ) );
			update_user_meta( $id, \TagBridge\Outbox\Deliverer::CONTACT_META . 'fluentcrm', '7' );

			$started = microtime( true );
			do_action( 'um_access_profile', $id );
			$took = microtime( true ) - $started;
			$this->assertLessThan( 6.0, $took, 'the page waited for the slow CRM' );
			$this->assertSame( 'Local', get_user_meta( $id, 'first_name', true ), 'served from local data' );
			$this->assertSame( 1, strlen( (string) file_get_contents( $count ) ), 'the CRM was asked once' );

			do_action( 'um_access_profile', $id );
			$this->assertSame( 1, strlen( (string) file_get_contents( $count ) ), 'not asked again within the window' );
		} finally {
			update_option( 'tagbridge_connection', $saved[0] );
			false === $saved[1] ? delete_option( 'tagbridge_connection_secret' ) : update_option( 'tagbridge_connection_secret', $saved[1], false );
			proc_terminate( $server );
			proc_close( $server );
		}
	}
}
