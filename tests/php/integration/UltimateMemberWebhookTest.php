<?php
/**
 * Webhook users with a UM role (`um_custom_role` with "Require Email Activation", i.e.
 * `_um_status` = checkmail in `um_role_custom_role_meta`), and the tri-state `send_notification`
 * as the seed page describes it, asserted on the mails WordPress actually tries to send
 * (`pre_wp_mail`, just before the test bed's capture, sees only mails nobody short-circuited).
 *
 * UM cannot be installed in CI: UM's options and role meta are stored as UM stores them, and the
 * test-only stand-in (tests/php/support/UltimateMemberStandIn.php) runs UM's status methods as
 * ../shared/reference/membership-plugin-hooks.md (sections 2.1, 2.3, 7) documents — including
 * UM's activation email being sent only when switched on (`checkmail_email_on`).
 */

use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

require_once __DIR__ . '/../support/UltimateMemberStandIn.php';

final class UltimateMemberWebhookTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'um_options', 'um_roles', 'um_role_custom_role_meta' );

	/** @var array<int, array{to: string, subject: string}> */
	private $mails = array();

	protected function setUp(): void {
		parent::setUp();
		if ( ! get_role( 'um_custom_role' ) ) {
			add_role( 'um_custom_role', 'UM Custom Role', array( 'read' => true ) );
		}
		update_option( 'um_roles', array( 'custom_role' ) );
		update_option( 'um_role_custom_role_meta', array( 'name' => 'UM Custom Role', '_um_is_custom' => 1, '_um_status' => 'checkmail' ) );
		update_option( 'um_options', array( 'register_role' => '', 'checkmail_email_on' => 1 ) );
		// Just before the test bed's own capture (which runs last and would otherwise take the mail).
		add_filter( 'pre_wp_mail', array( $this, 'capture' ), PHP_INT_MAX - 1, 2 );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', array( $this, 'capture' ), PHP_INT_MAX - 1 );
		parent::tearDown();
	}

	/** Records a mail WordPress would send, and stops it there. */
	public function capture( $return, $atts ) {
		if ( null !== $return ) {
			return $return;
		}
		$this->mails[] = array( 'to' => is_array( $atts['to'] ) ? implode( ',', $atts['to'] ) : $atts['to'], 'subject' => $atts['subject'] );
		return true;
	}

	/** The user a webhook `add` created (wp_insert_user without a notification). */
	private function webhook_user(): array {
		$id = $this->create_user( 'subscriber' );
		return array( $id, get_userdata( $id )->user_email );
	}

	private function subjects(): array {
		return array_column( $this->mails, 'subject' );
	}

	public function test_omitted_sends_ums_activation_email_only(): void {
		[ $id, $email ] = $this->webhook_user();
		$this->assertSame( 'awaiting_email_confirmation', Plugin::instance()->ultimate_member->webhook_users->setup( $id, 'um_custom_role', null ) );
		$this->assertSame( array( array( 'to' => $email, 'subject' => 'Please activate your account' ) ), $this->mails );
		$this->assertSame( array( 'um_custom_role' ), array_values( get_userdata( $id )->roles ) );
		$this->assertNotSame( '', get_user_meta( $id, 'account_secret_hash', true ) );
	}

	public function test_false_sends_no_email_at_all_but_sets_the_status(): void {
		[ $id ] = $this->webhook_user();
		$this->assertSame( 'awaiting_email_confirmation', Plugin::instance()->ultimate_member->webhook_users->setup( $id, 'um_custom_role', false ) );
		$this->assertSame( array(), $this->mails );
		// Mail works again afterwards.
		wp_mail( 'someone@example.test', 'Later', 'x' );
		$this->assertSame( array( 'Later' ), $this->subjects() );
	}

	public function test_true_sends_the_wordpress_welcome_email_and_ums_activation_email(): void {
		[ $id, $email ] = $this->webhook_user();
		Plugin::instance()->ultimate_member->webhook_users->setup( $id, 'um_custom_role', true );
		$this->assertCount( 2, $this->mails );
		$this->assertSame( array( $email, $email ), array_column( $this->mails, 'to' ) );
		$this->assertStringContainsString( 'Login Details', $this->mails[0]['subject'], 'WordPress\'s welcome email' );
		$this->assertSame( 'Please activate your account', $this->mails[1]['subject'] );
	}

	public function test_a_role_without_email_activation_is_approved_and_ums_switched_off_emails_stay_off(): void {
		update_option( 'um_role_custom_role_meta', array( 'name' => 'UM Custom Role', '_um_is_custom' => 1, '_um_status' => 'approved' ) );
		[ $id ] = $this->webhook_user();
		$this->assertSame( 'approved', Plugin::instance()->ultimate_member->webhook_users->setup( $id, 'um_custom_role', null ) );
		$this->assertSame( array(), $this->mails, 'UM ships its approval email switched off' );
	}

	public function test_bad_input_is_refused_and_changes_nothing(): void {
		[ $id ] = $this->webhook_user();
		$users = Plugin::instance()->ultimate_member->webhook_users;
		$this->assertWPError( $users->setup( $id, 'no_such_role', null ) );
		$this->assertWPError( $users->setup( $id, 'um_custom_role', 'false' ) );
		$this->assertWPError( $users->setup( 999999999, 'um_custom_role', null ) );
		$this->assertSame( array( 'subscriber' ), array_values( get_userdata( $id )->roles ) );
		$this->assertSame( '', get_user_meta( $id, 'account_status', true ) );
		$this->assertSame( array(), $this->mails );
	}

	/**
	 * The endpoint's seam: after a webhook created a user with a UM role, UM's part follows (the
	 * endpoint itself sent WordPress's welcome email when send_notification was true).
	 */
	public function test_the_webhook_seam_adds_only_ums_part(): void {
		foreach ( array( 'omitted' => null, 'true' => true, 'false' => false ) as $case => $send ) {
			$this->mails = array();
			$id          = $this->create_user( 'um_custom_role' );
			do_action( 'tagbridge_webhook_user_created', $id, array( 'action' => 'add' ), $send );
			$expected = false === $send ? array() : array( 'Please activate your account' );
			$this->assertSame( $expected, $this->subjects(), $case );
			$this->assertSame( 'awaiting_email_confirmation', get_user_meta( $id, 'account_status', true ), $case );
		}
	}
}
