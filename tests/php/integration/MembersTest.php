<?php
/**
 * Members 3.2.19 (and ≤3.2.18) stand-in: Members cannot be installed in CI, so these tests fire
 * Members' hooks with the arguments and in the order ../shared/reference/membership-plugin-hooks.md
 * (sections 1 and 7, pitfalls 5–10) documents, against the real plugin in real WordPress.
 */

use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class MembersTest extends TestCase {

	private const ROLE = 'tb_members_gold';

	protected function setUp(): void {
		parent::setUp();
		if ( ! get_role( self::ROLE ) ) {
			add_role( self::ROLE, 'Members Gold', array( 'read' => true ) );
		}
		update_option( 'default_role', 'subscriber' );
		$this->assertTrue( tagbridge_update_settings( array( 'role_links' => array() ) ) );
		$this->become_admin();
		$_POST = array();
	}

	protected function tearDown(): void {
		$_POST = array();
		$_GET  = array();
		delete_transient( 'tagbridge_notices_' . get_current_user_id() );
		parent::tearDown();
	}

	private function become_admin(): int {
		$admin = $this->create_user( 'administrator' );
		wp_set_current_user( $admin );
		return $admin;
	}

	private function post_box( string $tag, ?string $nonce = null ): void {
		$_POST = array(
			'tagbridge_members_role_link' => $nonce ?? wp_create_nonce( 'tagbridge_members_role_link' ),
			'tagbridge_role_tag'          => $tag,
			// Members' own fields, posted in the same form.
			'members_edit_role_nonce'     => 'members-own-nonce',
			'role_name'                   => 'Members Gold (label)',
		);
	}

	public function test_box_is_added_through_the_3_2_19_hook_and_the_older_one(): void {
		global $wp_meta_boxes;
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
		require_once ABSPATH . 'wp-admin/includes/template.php';
		$wp_meta_boxes = array();
		// 3.2.19+: members_load_role_edit, then members_add_role_meta_boxes( $screen_id ).
		do_action( 'members_load_role_edit' );
		do_action( 'members_add_role_meta_boxes', 'members_page_roles' );
		$this->assertArrayHasKey( 'tagbridge-role-link', $wp_meta_boxes['members_page_roles']['side']['default'] );
		// ≤3.2.18 on the New Role screen: add_meta_boxes( $screen_id, $role ).
		do_action( 'members_load_role_new' );
		do_action( 'add_meta_boxes', 'toplevel_page_members', '' );
		$this->assertArrayHasKey( 'tagbridge-role-link', $wp_meta_boxes['toplevel_page_members']['side']['default'] );
		// Other screens' add_meta_boxes get nothing.
		do_action( 'add_meta_boxes', 'post', null );
		$this->assertArrayNotHasKey( 'post', $wp_meta_boxes );
	}

	public function test_box_shows_the_linked_tag_with_a_nonce(): void {
		$this->assertTrue( tagbridge_link_role( self::ROLE, 'Gold "VIP"' ) );
		$members = $this->members();
		ob_start();
		$members->render( get_role( self::ROLE ) ); // Edit Role: Members passes the WP_Role.
		$html = ob_get_clean();
		$this->assertStringContainsString( 'value="Gold &quot;VIP&quot;"', $html, 'escaped' );
		$this->assertStringContainsString( 'name="tagbridge_members_role_link"', $html );
		ob_start();
		$members->render( '' ); // New Role: Members passes ''.
		$this->assertStringContainsString( 'name="tagbridge_role_tag" value=""', ob_get_clean() );
	}

	public function test_saving_on_members_role_updated_links_the_slug_passed(): void {
		$this->post_box( 'Gold' );
		do_action( 'members_role_updated', self::ROLE );
		$this->assertSame( 'Gold', Plugin::instance()->settings->linked_tag( self::ROLE ) );
		$this->assertSame( array( self::ROLE ), Plugin::instance()->link_changes->pending(), 'offered for reconcile' );

		$this->post_box( '' );
		do_action( 'members_role_updated', self::ROLE );
		$this->assertNull( Plugin::instance()->settings->linked_tag( self::ROLE ), 'an empty tag clears the link' );
		$this->assertSame( array(), Plugin::instance()->link_changes->pending() );
	}

	public function test_saving_a_new_role_uses_the_slug_not_the_label(): void {
		$slug = 'tb_members_new_' . strtolower( wp_generate_password( 4, false ) );
		add_role( $slug, 'Fresh Role', array( 'read' => true ) ); // Members' add_role(), then the hook.
		try {
			$this->post_box( 'Fresh' );
			do_action( 'members_role_added', $slug );
			$this->assertSame( 'Fresh', Plugin::instance()->settings->linked_tag( $slug ) );
		} finally {
			remove_role( $slug );
		}
	}

	public function test_bad_nonce_or_missing_capability_changes_nothing(): void {
		$this->assertTrue( tagbridge_link_role( self::ROLE, 'Gold' ) );
		$before = get_option( 'tagbridge_settings' );

		$this->post_box( 'Hijacked', 'not-a-nonce' );
		do_action( 'members_role_updated', self::ROLE );
		$this->assertSame( $before, get_option( 'tagbridge_settings' ) );
		$notices = Plugin::instance()->notices->pending();
		$this->assertSame( 'error', $notices[0]['type'] );
		$this->assertStringContainsString( 'expired', $notices[0]['message'] );

		// A role manager who is not an administrator (Members' edit_roles without manage_options).
		$manager = $this->create_user( 'editor' );
		get_userdata( $manager )->add_cap( 'edit_roles' );
		wp_set_current_user( $manager );
		$this->post_box( 'Hijacked' );
		do_action( 'members_role_updated', self::ROLE );
		$this->assertSame( $before, get_option( 'tagbridge_settings' ) );
	}

	public function test_a_refused_tag_is_reported_and_nothing_saved(): void {
		$this->post_box( str_repeat( 'x', 300 ) );
		do_action( 'members_role_updated', self::ROLE );
		$this->assertNull( Plugin::instance()->settings->linked_tag( self::ROLE ) );
		$this->assertSame( 'error', Plugin::instance()->notices->pending()[0]['type'] );
	}

	/**
	 * Members' role deletion (members_delete_role): users whose only role it was get
	 * set_role( default_role ), others remove_role(), then remove_role() deletes the role. There is
	 * no "role deleted" action.
	 */
	public function test_deleting_a_role_removes_its_link_and_settings_keep_working(): void {
		$slug = 'tb_members_doomed';
		add_role( $slug, 'Doomed', array( 'read' => true ) );
		$this->assertTrue( tagbridge_link_role( $slug, 'Doomed' ) );
		$this->assertTrue( tagbridge_link_role( 'subscriber', 'Subscriber' ) );
		$only = $this->create_user( $slug );
		$both = $this->create_user( $slug );
		get_userdata( $both )->add_role( 'editor' );
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Doomed' ), tagbridge_get_tags( $only ) );

		get_userdata( $only )->set_role( get_option( 'default_role' ) );
		get_userdata( $both )->remove_role( $slug );
		remove_role( $slug );
		Plugin::instance()->roles->flush();

		$this->assertNull( Plugin::instance()->settings->linked_tag( $slug ) );
		$this->assertNotWPError( Plugin::instance()->settings->compiled() );
		$this->assertSame( array( 'subscriber' ), self::roles_of( $only ) );
		$this->assertSame( array( 'Doomed', 'Subscriber' ), tagbridge_get_tags( $only ), 'the default role\'s tag follows; the deleted role\'s tag stays in the CRM' );
	}

	/**
	 * Members' multiple roles on user-edit.php: wp_update_user() keeps the role, then Members adds and
	 * removes roles on profile_update at priority 10 (add_user_role/remove_user_role, no set_user_role).
	 */
	public function test_multiple_roles_on_profile_update_follow_their_tags(): void {
		$this->assertTrue( tagbridge_link_role( self::ROLE, 'Gold' ) );
		$this->assertTrue( tagbridge_link_role( 'subscriber', 'Subscriber' ) );
		$id = $this->create_user( 'subscriber' );
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Subscriber' ), tagbridge_get_tags( $id ) );

		$members = static function ( $user_id, $old_user_data ) {
			$old_user_data->add_role( self::ROLE );
			$old_user_data->remove_role( 'subscriber' );
		};
		add_action( 'profile_update', $members, 10, 2 );
		wp_update_user( array( 'ID' => $id, 'display_name' => 'Changed' ) );
		remove_action( 'profile_update', $members, 10 );
		Plugin::instance()->roles->flush();

		$this->assertSame( array( self::ROLE ), self::roles_of( $id ) );
		$this->assertSame( array( 'Gold' ), tagbridge_get_tags( $id ) );
	}

	/**
	 * Members on user-new.php: the role select is removed, so wp_insert_user() gives the default role
	 * (role hooks before user_register); then on user_register at priority 5 Members adds the ticked
	 * roles and removes the unticked default.
	 */
	public function test_new_user_with_ticked_roles_gets_only_their_tags(): void {
		$this->assertTrue( tagbridge_link_role( self::ROLE, 'Gold' ) );
		$this->assertTrue( tagbridge_link_role( 'subscriber', 'Subscriber' ) );
		$members = static function ( $user_id ) {
			$user = new WP_User( $user_id );
			$user->add_role( self::ROLE );
			$user->remove_role( 'subscriber' );
		};
		add_action( 'user_register', $members, 5 );
		$id = $this->create_user( 'subscriber' );
		remove_action( 'user_register', $members, 5 );
		Plugin::instance()->roles->flush();

		$this->assertSame( array( self::ROLE ), self::roles_of( $id ) );
		$this->assertSame( array( 'Gold' ), tagbridge_get_tags( $id ), 'the default role never reached the CRM' );
	}

	private function members(): \TagBridge\Integrations\Members {
		$p = Plugin::instance();
		return new \TagBridge\Integrations\Members( $p->settings, $p->tags, $p->notices );
	}
}
