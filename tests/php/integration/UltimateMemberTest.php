<?php
/**
 * Ultimate Member 2.13.0 in real WordPress with the real plugin and extension.
 *
 * UM cannot be installed in CI. These tests stand in for it: they store UM's options and meta
 * exactly as UM stores them (`um_options`, `um_roles`, `um_role_{key}_meta`, `um_form` posts with
 * `_um_mode`, user meta `account_status`, `_um_registration_in_progress`, `_completed`) and fire
 * UM's hooks with UM's arguments in UM's order, as ../shared/reference/membership-plugin-hooks.md
 * documents (section 2, pitfalls 11–23, and section 7 — three profile_updates in one auto-approved
 * registration, one more on approval). Where TagBridge calls UM's API, the test-only stand-in in
 * tests/php/support/UltimateMemberStandIn.php answers as the reference describes.
 */

use TagBridge\Integrations\UltimateMember\Deferral;
use TagBridge\Integrations\UltimateMember\Options;
use TagBridge\Integrations\UltimateMember\RegistrationTags;
use TagBridge\Integrations\UltimateMember\RoleBox;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

require_once __DIR__ . '/../support/UltimateMemberStandIn.php';

final class UltimateMemberTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', 'um_options', 'um_roles', 'um_role_gold_meta', 'um_role_member_meta', Options::OPTION, Options::COMPLETE_TAGS_OPTION );

	/** @var int Registration form. */
	private $form;

	/** @var array<int, array> Deliveries seen: [user_id, change]. */
	private $delivered = array();

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'um_gold' => 'Gold', 'um_member' => 'Member' ) as $slug => $name ) {
			if ( ! get_role( $slug ) ) {
				add_role( $slug, $name, array( 'read' => true ) );
			}
		}
		update_option( 'um_roles', array( 'gold', 'member' ) );
		update_option( 'um_role_gold_meta', array( 'name' => 'Gold', '_um_is_custom' => 1, '_um_status' => 'approved' ) );
		update_option( 'um_role_member_meta', array( 'name' => 'Member', '_um_is_custom' => 1, '_um_status' => 'checkmail' ) );
		update_option( 'um_options', array( 'register_role' => 'um_member' ) );
		update_option( 'default_role', 'subscriber' );
		delete_option( Options::OPTION );
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'role_links' => array(),
					'fields'     => array(
						array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'source' => 'wordpress' ),
						array( 'key' => 'interests', 'crm_field' => 'interests', 'type' => 'multiselect', 'source' => 'ultimate_member' ),
					),
				)
			)
		);
		$this->form = wp_insert_post( array( 'post_type' => 'um_form', 'post_status' => 'publish', 'post_title' => 'Register' ) );
		update_post_meta( $this->form, '_um_mode', 'register' );
		update_post_meta( $this->form, RegistrationTags::META, array( 'From form' ) );
		$plugin = Plugin::instance();
		$plugin->fields->flush();
		$plugin->roles->flush();
		$plugin->outbox->take_touched();
		UM::$calls = array();
		add_action( 'tagbridge_outbox_delivered', array( $this, 'record_delivery' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_action( 'tagbridge_outbox_delivered', array( $this, 'record_delivery' ), 10 );
		wp_delete_post( $this->form, true );
		$_POST = array();
		$_GET  = array();
		parent::tearDown();
	}

	public function record_delivery( $user_id, $change ): void {
		$this->delivered[] = array( (int) $user_id, $change );
	}

	/** What shutdown does: role flush (1), field step (5), outbox delivery (50). */
	private function end_request(): void {
		$plugin = Plugin::instance();
		$plugin->roles->flush();
		$plugin->push_fields();
		$plugin->runner->end_of_request();
	}

	/**
	 * A frontend UM registration through $this->form, in UM 2.13.0's order (sections 2.2 and 7),
	 * ending with um_check_user_status() at 100 for the role's `_um_status`.
	 */
	private function um_register( string $role ): int {
		$login     = 'tb_um_' . strtolower( wp_generate_password( 8, false ) );
		$submitted = array( 'user_login' => $login, 'user_email' => $login . '@example.test', 'first_name' => 'Jane', 'interests' => array( 'Jazz', 'Hiking' ) );
		$form_data = array( 'form_id' => $this->form, 'mode' => 'register' );
		do_action( 'um_submit_form_register', $submitted, $form_data );
		$id = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password( 24 ),
				'user_email' => $submitted['user_email'],
				'role'       => $role,
				'meta_input' => array( '_um_registration_in_progress' => 1 ),
			)
		);
		$this->assertIsInt( $id );
		$args = array( 'submitted' => $submitted, 'form_id' => $this->form );
		do_action( 'um_user_register', $id, $args, $form_data );
		do_action( 'um_before_save_registration_details', $id, $submitted, $form_data );
		update_user_meta( $id, 'submitted', $submitted );
		update_user_meta( $id, 'first_name', 'Jane' );
		update_user_meta( $id, 'interests', $submitted['interests'] );
		wp_update_user( array( 'ID' => $id, 'user_email' => $submitted['user_email'] ) );
		do_action( 'um_after_save_registration_details', $id, $submitted, $form_data );
		do_action( 'um_registration_set_extra_data', $id, $args, $form_data );
		wp_update_user( array( 'ID' => $id, 'display_name' => 'Jane' ) );
		do_action( 'um_registration_complete', $id, $args, $form_data );
		// um_check_user_status() at 100.
		$status = UM()->roles()->role_data( $role )['status'];
		do_action( "um_post_registration_{$status}_hook", $id, $args, $form_data );
		$users = UM()->common()->users();
		'checkmail' === $status ? $users->send_activation( $id, true ) : ( 'pending' === $status ? $users->set_as_pending( $id, true ) : $users->approve( $id, true ) );
		delete_user_meta( $id, '_um_registration_in_progress' );
		return $id;
	}

	public function test_registration_form_tags_are_applied_on_um_registration_but_not_for_wp_admin_users(): void {
		$id = $this->um_register( 'um_gold' );
		$this->assertContains( 'From form', tagbridge_get_tags( $id ) );

		// wp-admin "Add New": UM fires um_user_register / um_registration_complete with $form_data null.
		$admin_made = $this->create_user( 'subscriber' );
		do_action( 'um_user_register', $admin_made, array(), null );
		do_action( 'um_registration_complete', $admin_made, array( 'form_id' => $this->form ), null );
		$this->assertNotContains( 'From form', tagbridge_get_tags( $admin_made ) );
		$this->forget_user( $id );
		wp_delete_user( $id );
	}

	public function test_an_auto_approved_registration_with_defer_delivers_once_at_the_end_of_the_request(): void {
		$this->assertTrue( Plugin::instance()->ultimate_member->options->save( array( 'defer' => true ) ) );
		$id = $this->um_register( 'um_gold' );
		$this->forget_user( $id );
		$this->assertFalse( Plugin::instance()->outbox->is_held( $id ), 'auto-approval released the hold' );
		$this->assertContains( 'From form', tagbridge_get_tags( $id ), 'the deferred form tags were applied on approval' );
		$this->end_request();
		$mine = array_values( array_filter( $this->delivered, static fn( $d ) => $d[0] === $id ) );
		wp_delete_user( $id );
		$this->assertCount( 1, $mine, 'one delivery for the whole registration' );
		$this->assertSame( array( 'first_name' => 'Jane', 'interests' => array( 'Jazz', 'Hiking' ) ), $mine[0][1]['fields'] );
	}

	public function test_defer_until_email_confirmation_holds_everything_across_requests_then_sends_it_once(): void {
		$plugin = Plugin::instance();
		$this->assertTrue( $plugin->ultimate_member->options->save( array( 'defer' => true ) ) );
		$id = $this->um_register( 'um_member' );
		$this->assertSame( 'awaiting_email_confirmation', get_user_meta( $id, 'account_status', true ) );
		$this->end_request();
		$this->assertSame( array(), $this->delivered, 'nothing reached the CRM' );
		$this->assertGreaterThan( 0, $this->outbox_rows( $id ), 'the work is stored, held' );
		$this->assertNotContains( 'From form', tagbridge_get_tags( $id ), 'form tags wait for approval' );
		$this->assertSame( array( 'From form' ), get_user_meta( $id, Deferral::TAGS_META, true ) );
		$this->assertFalse( $plugin->embedded_crm->get_contact( (string) $id )->is_ok(), 'no contact yet' );
		$stats = $plugin->runner->drain( 100, time() + DAY_IN_SECONDS );
		$this->assertSame( 0, $stats['delivered'], 'a background run leaves held rows alone' );
		$this->assertGreaterThan( 0, $this->outbox_rows( $id ) );
		$this->assertNotContains( $id, $plugin->outbox->due_users( time() + DAY_IN_SECONDS, 100000 ), 'held users are never due' );

		// Days later, the click on the activation link (a new request, handled on init).
		do_action( 'um_approve_user_on_email_confirmation', $id );
		UM()->common()->users()->approve( $id, true );
		do_action( 'um_after_email_confirmation', $id );
		$this->end_request();
		$this->assertSame( 0, $this->outbox_rows( $id ) );
		$mine = array_values( array_filter( $this->delivered, static fn( $d ) => $d[0] === $id ) );
		$this->assertCount( 1, $mine, 'everything deferred went in one delivery' );
		$this->assertSame( 'Jane', $plugin->embedded_crm->get_contact( (string) $id )->value['fields']['first_name'] );
		$this->assertContains( 'From form', tagbridge_get_tags( $id ) );
		$this->assertSame( '', get_user_meta( $id, Deferral::TAGS_META, true ) );

		// UM's hourly job or a second approval call does nothing more.
		do_action( 'um_after_user_is_approved', $id );
		$this->end_request();
		$this->assertCount( 1, array_filter( $this->delivered, static fn( $d ) => $d[0] === $id ) );
	}

	public function test_a_rejected_deferred_user_sends_nothing_and_a_deleted_one_leaves_no_rows(): void {
		$plugin = Plugin::instance();
		update_option( 'um_role_member_meta', array( 'name' => 'Member', '_um_is_custom' => 1, '_um_status' => 'pending' ) );
		$this->assertTrue( $plugin->ultimate_member->options->save( array( 'defer' => true ) ) );
		$rejected = $this->um_register( 'um_member' );
		$deleted  = $this->um_register( 'um_member' );
		$this->end_request();
		$this->assertGreaterThan( 0, $this->outbox_rows( $rejected ) );
		$this->assertTrue( UM()->common()->users()->reject( $rejected ) );
		$this->assertSame( 0, $this->outbox_rows( $rejected ) );
		$this->assertSame( '', get_user_meta( $rejected, Deferral::TAGS_META, true ) );
		$this->forget_user( $deleted );
		wp_delete_user( $deleted );
		$this->assertSame( 0, $this->outbox_rows( $deleted ) );
		$this->end_request();
		$plugin->runner->drain( 100, time() + DAY_IN_SECONDS );
		$this->assertSame( array(), $this->delivered );
		$this->assertNotContains( 'From form', tagbridge_get_tags( $rejected ) );
	}

	public function test_without_defer_a_pending_registration_is_sent_at_once(): void {
		$id = $this->um_register( 'um_member' );
		$this->end_request();
		$this->assertCount( 1, array_filter( $this->delivered, static fn( $d ) => $d[0] === $id ) );
		$this->assertContains( 'From form', tagbridge_get_tags( $id ) );
	}

	public function test_the_deactivation_tag_deactivates_and_its_removal_reactivates_but_never_approves_a_pending_user(): void {
		$this->assertTrue( Plugin::instance()->ultimate_member->options->save( array( 'deactivation_tag' => ' Payment failed ' ) ) );
		$this->assertSame( 'Payment failed', Plugin::instance()->ultimate_member->options->get()['deactivation_tag'] );
		$id = $this->create_user( 'um_gold' );
		update_user_meta( $id, 'account_status', 'approved' );
		tagbridge_apply_tags( $id, array( 'Payment failed' ) );
		$this->assertSame( 'inactive', get_user_meta( $id, 'account_status', true ) );
		tagbridge_remove_tags( $id, array( 'Payment failed' ) );
		$this->assertSame( 'approved', get_user_meta( $id, 'account_status', true ) );

		$pending = $this->create_user( 'um_gold' );
		update_user_meta( $pending, 'account_status', 'awaiting_email_confirmation' );
		tagbridge_apply_tags( $pending, array( 'Other' ) );
		tagbridge_remove_tags( $pending, array( 'Payment failed', 'Other' ) );
		$this->assertSame( 'awaiting_email_confirmation', get_user_meta( $pending, 'account_status', true ) );
		$this->assertSame(
			array( array( 'users.deactivate', array( $id ) ), array( 'users.set_status', array( $id, 'inactive' ) ), array( 'users.reactivate', array( $id ) ), array( 'users.set_status', array( $id, 'approved' ) ) ),
			UM::$calls
		);
	}

	public function test_bad_um_settings_are_refused_and_change_nothing(): void {
		$options = Plugin::instance()->ultimate_member->options;
		$this->assertTrue( $options->save( array( 'pull' => true, 'pull_window' => 30 ) ) );
		foreach ( array( array( 'pull' => 'yes' ), array( 'pull_window' => 0 ), array( 'pull_window' => '30' ), array( 'typo' => true ), array( 'deactivation_tag' => "\xff" ), 'nope' ) as $bad ) {
			$this->assertWPError( $options->save( $bad ) );
		}
		$this->assertSame( array( 'pull' => true, 'pull_window' => 30, 'defer' => false, 'deactivation_tag' => '' ), $options->get() );
	}

	public function test_a_removed_linked_tag_leaves_the_user_with_ums_default_registration_role(): void {
		$this->assertTrue( tagbridge_link_role( 'um_gold', 'Gold' ) );
		$id = $this->create_user( 'um_gold' );
		Plugin::instance()->roles->flush();
		$this->assertContains( 'Gold', tagbridge_get_tags( $id ) );
		tagbridge_remove_tags( $id, array( 'Gold' ) );
		$this->assertSame( array( 'um_member' ), array_values( get_userdata( $id )->roles ) );

		// An empty or unknown register_role falls back to WordPress's default role.
		update_option( 'um_options', array( 'register_role' => 'no_such_role' ) );
		$other = $this->create_user( 'um_gold' );
		Plugin::instance()->roles->flush();
		tagbridge_remove_tags( $other, array( 'Gold' ) );
		$this->assertSame( array( 'subscriber' ), array_values( get_userdata( $other )->roles ) );
	}

	public function test_role_changes_made_by_um_set_role_are_seen(): void {
		$this->assertTrue( tagbridge_link_role( 'um_gold', 'Gold' ) );
		$this->assertTrue( tagbridge_link_role( 'um_member', 'Member' ) );
		$id = $this->create_user( 'subscriber' );
		Plugin::instance()->roles->flush();
		UM()->roles()->set_role( $id, 'um_member' );
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Member' ), tagbridge_get_tags( $id ) );
		UM()->roles()->set_role( $id, 'um_gold' ); // Replaces the UM role: remove_role + add_role, no set_user_role.
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Gold' ), tagbridge_get_tags( $id ) );
	}

	public function test_the_role_box_saves_the_link_through_um_role_edit_data_with_nonce_and_capability(): void {
		$admin = $this->create_user( 'administrator' );
		wp_set_current_user( $admin );
		$boxes = apply_filters( 'um_admin_role_metaboxes', array() );
		$this->assertSame( array( 'tagbridge-um-role' ), array_column( $boxes, 'id' ) );
		$this->assertSame( 'um_role_meta', $boxes[0]['screen'] );

		$_GET = array( 'page' => 'um_roles', 'tab' => 'edit', 'id' => 'gold' );
		ob_start();
		call_user_func( $boxes[0]['callback'], array( 'data' => array() ), array() );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="role[tagbridge_tag]"', $html );

		// UM's save: sanitize_role_meta( $_POST['role'] ) passes unknown keys, then um_role_edit_data.
		$_POST = array( RoleBox::NONCE => wp_create_nonce( RoleBox::NONCE ), 'role' => array( 'tagbridge_tag' => 'Gold', 'tagbridge_complete_tags' => 'Complete, Profile done' ) );
		$data  = apply_filters( 'um_role_edit_data', array( '_um_priority' => '5' ) + $_POST['role'], 'gold', true );
		$this->assertSame( array( '_um_priority' => '5' ), $data, 'our keys are not left in UM\'s role meta' );
		$this->assertSame( 'Gold', Plugin::instance()->settings->linked_tag( 'um_gold' ) );
		$this->assertSame( array( 'Complete', 'Profile done' ), Plugin::instance()->ultimate_member->options->complete_tags( 'um_gold' ) );

		// A save without the completeness field (add-on inactive) keeps those tags; a bad nonce changes nothing.
		$_POST = array( RoleBox::NONCE => wp_create_nonce( RoleBox::NONCE ), 'role' => array( 'tagbridge_tag' => '' ) );
		apply_filters( 'um_role_edit_data', $_POST['role'], 'gold', true );
		$this->assertNull( Plugin::instance()->settings->linked_tag( 'um_gold' ) );
		$this->assertSame( array( 'Complete', 'Profile done' ), Plugin::instance()->ultimate_member->options->complete_tags( 'um_gold' ) );
		$_POST = array( RoleBox::NONCE => 'forged', 'role' => array( 'tagbridge_tag' => 'Hacked' ) );
		apply_filters( 'um_role_edit_data', $_POST['role'], 'gold', true );
		$this->assertNull( Plugin::instance()->settings->linked_tag( 'um_gold' ) );

		// A subscriber cannot link roles even with a valid nonce.
		wp_set_current_user( $this->create_user( 'subscriber' ) );
		$_POST = array( RoleBox::NONCE => wp_create_nonce( RoleBox::NONCE ), 'role' => array( 'tagbridge_tag' => 'Hacked' ) );
		apply_filters( 'um_role_edit_data', $_POST['role'], 'gold', true );
		$this->assertNull( Plugin::instance()->settings->linked_tag( 'um_gold' ) );
	}

	public function test_the_registration_form_box_saves_with_nonce_and_capability(): void {
		$admin = $this->create_user( 'administrator' );
		wp_set_current_user( $admin );
		$_POST = array( RegistrationTags::NONCE => wp_create_nonce( RegistrationTags::NONCE ), RegistrationTags::FIELD => 'New members, Spring 2025 ' );
		do_action( 'save_post_um_form', $this->form, get_post( $this->form ), true );
		$this->assertSame( array( 'New members', 'Spring 2025' ), get_post_meta( $this->form, RegistrationTags::META, true ) );
		$_POST[ RegistrationTags::NONCE ] = 'forged';
		$_POST[ RegistrationTags::FIELD ] = 'Hacked';
		do_action( 'save_post_um_form', $this->form, get_post( $this->form ), true );
		$this->assertSame( array( 'New members', 'Spring 2025' ), get_post_meta( $this->form, RegistrationTags::META, true ) );
	}

	public function test_profile_completeness_tags_are_applied_once_to_the_computed_user_not_the_viewer(): void {
		update_option( 'um_role_gold_meta', array( 'name' => 'Gold', '_um_is_custom' => 1, '_um_status' => 'approved', '_um_profilec' => 1, '_um_profilec_pct' => 80 ) );
		$this->assertTrue( Plugin::instance()->ultimate_member->options->set_complete_tags( 'um_gold', array( 'Profile complete' ) ) );
		$viewer = $this->create_user( 'um_gold' );
		wp_set_current_user( $viewer );
		$member = $this->create_user( 'um_gold' );
		// get_progress() for $member, run while $viewer looks at the profile: _profile_progress then _completed.
		update_user_meta( $member, '_profile_progress', array( 'progress' => 50 ) );
		update_user_meta( $member, '_completed', 50 );
		$this->assertNotContains( 'Profile complete', tagbridge_get_tags( $member ) );
		update_user_meta( $member, '_completed', 80 );
		$this->assertContains( 'Profile complete', tagbridge_get_tags( $member ) );
		$this->assertNotContains( 'Profile complete', tagbridge_get_tags( $viewer ) );
		tagbridge_remove_tags( $member, array( 'Profile complete' ) );
		update_user_meta( $member, '_completed', 100 );
		$this->assertNotContains( 'Profile complete', tagbridge_get_tags( $member ), 'applied once' );
	}
}
