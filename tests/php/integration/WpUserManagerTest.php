<?php
/**
 * WP User Manager 2.9.18 with its Custom Fields (2.3.2) and User Verification add-ons, in real
 * WordPress with the plugin active.
 *
 * WPUM and its add-ons cannot be installed in CI: these tests stand in for them by storing WPUM's
 * options, tables and meta exactly as WPUM stores them (option `wpum_settings` with the add-on's
 * `user_verification_method`; tables `{prefix}wpum_registration_forms` / `_formmeta` with WPUM's
 * schema; custom fields as plain `wpum_*` user meta, a ticked checkbox as `true`) and by firing
 * WPUM's hooks with WPUM's arguments in WPUM's order, as ../shared/reference/membership-plugin-hooks.md
 * documents (section 3, pitfalls 24–28, and section 7, which records the real WPUM 2.9.18).
 * WPUM's main class, which TagBridge looks for before registering WPUM's hooks, is stood in for by
 * the integration bootstrap.
 *
 * Deliveries are observed on `tagbridge_outbox_delivered`. The outbox's tag listener is registered
 * as Plugin::boot() does for an external CRM, so tag changes travel in the deliveries too.
 */

use TagBridge\Integrations\WpUserManager\Options;
use TagBridge\Integrations\WpUserManager\RegistrationForms;
use TagBridge\Integrations\WpUserManager\SettingsPage;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

if ( ! class_exists( 'WPUM_Registration_Form', false ) ) {
	/**
	 * Stands in for WPUM's `WPUM_Registration_Form` (the `$form` of its registration hooks):
	 * `get_ID()`, and `get_role_key()` = the first element of the form's `role` meta.
	 */
	class WPUM_Registration_Form { // phpcs:ignore Generic.Files.OneObjectStructurePerFile.MultipleFound
		/** @var int */
		private $id;

		public function __construct( int $id ) {
			$this->id = $id;
		}

		public function get_ID(): int { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName
			return $this->id;
		}

		public function get_role_key(): string {
			global $wpdb;
			$role = maybe_unserialize( $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->prefix}wpum_registration_formmeta WHERE wpum_registration_form_id = %d AND meta_key = 'role'", $this->id ) ) );
			return is_array( $role ) ? (string) reset( $role ) : (string) $role;
		}
	}
}

final class WpUserManagerTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', 'wpum_settings', Options::OPTION );

	/** The Members form's role, linked to the tag "Member". */
	private const ROLE = 'tb-wpum-member';

	/** A role linked to the tag "VIP", which the Members form applies. */
	private const VIP = 'tb-wpum-vip';

	/** A third linked role, for the multiple-roles screen. */
	private const GOLD = 'tb-wpum-gold';

	/** @var array<string, int> Form name => id. */
	private $forms = array();

	/** @var array<int, array{0: int, 1: array}> Deliveries seen. */
	private $delivered = array();

	/** @var int[] Users registered by the tests. */
	private $registered = array();

	/** @var callable */
	private $recorder;

	/** @var \TagBridge\Outbox\TagListener */
	private $listener;

	protected function setUp(): void {
		parent::setUp();
		global $wpdb;
		foreach ( array( self::ROLE => 'Member', self::VIP => 'VIP', self::GOLD => 'Gold' ) as $role => $name ) {
			if ( ! get_role( $role ) ) {
				add_role( $role, $name, array( 'read' => true ) );
			}
		}
		update_option( 'default_role', 'subscriber' );
		update_option( 'wpum_settings', array( 'allow_multiple_user_roles' => true ) );
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'role_links' => array(
						array( 'role' => self::ROLE, 'tag' => 'Member' ),
						array( 'role' => self::VIP, 'tag' => 'VIP' ),
						array( 'role' => self::GOLD, 'tag' => 'Gold' ),
					),
					'fields'     => array(
						array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'source' => 'wp_user_manager' ),
						array( 'key' => 'last_name', 'crm_field' => 'last_name', 'type' => 'text', 'source' => 'wp_user_manager' ),
						array( 'key' => 'user_email', 'crm_field' => 'email', 'type' => 'text', 'source' => 'wp_user_manager' ),
						array( 'key' => 'wpum_company', 'crm_field' => 'company', 'type' => 'text', 'source' => 'wp_user_manager' ),
						array( 'key' => 'wpum_newsletter', 'crm_field' => 'newsletter', 'type' => 'checkbox', 'source' => 'wp_user_manager' ),
					),
				)
			)
		);
		// WPUM's schema (includes/database/class-wpum-db-table-registration-forms*.php).
		$charset = $wpdb->get_charset_collate();
		$wpdb->query( "CREATE TABLE IF NOT EXISTS {$wpdb->prefix}wpum_registration_forms ( id bigint(20) unsigned NOT NULL auto_increment, name varchar(255) NOT NULL default '', PRIMARY KEY (id) ) $charset" );
		$wpdb->query( "CREATE TABLE IF NOT EXISTS {$wpdb->prefix}wpum_registration_formmeta ( meta_id bigint(20) unsigned NOT NULL auto_increment, wpum_registration_form_id bigint(20) unsigned NOT NULL default '0', meta_key varchar(255) DEFAULT NULL, meta_value longtext DEFAULT NULL, PRIMARY KEY (meta_id), KEY wpum_registration_form_id (wpum_registration_form_id), KEY meta_key (meta_key(191)) ) $charset" );
		foreach ( array( 'Default registration form' => array( 'subscriber' ), 'Members <b>club</b>' => array( self::ROLE ) ) as $name => $role ) {
			$wpdb->insert( $wpdb->prefix . 'wpum_registration_forms', array( 'name' => $name ) );
			$this->forms[ $name ] = (int) $wpdb->insert_id;
			$meta = array(
				'role'    => $role,
				'fields'  => array( 1, 2, 3 ),
				'default' => 'Default registration form' === $name,
			);
			foreach ( $meta as $key => $value ) {
				$wpdb->insert( $wpdb->prefix . 'wpum_registration_formmeta', array( 'wpum_registration_form_id' => $this->forms[ $name ], 'meta_key' => $key, 'meta_value' => maybe_serialize( $value ) ) );
			}
		}
		$this->assertTrue( Options::save( array( 'defer' => false, 'form_tags' => array( $this->members_form() => array( 'Registered via WPUM', 'VIP' ) ) ) ) );

		$this->end_request(); // Forget what earlier tests' setup left for this request.
		$this->recorder = function ( $user_id, $change ) {
			$this->delivered[] = array( (int) $user_id, $change );
		};
		add_action( 'tagbridge_outbox_delivered', $this->recorder, 10, 2 );
		$this->listener = $this->listen_as_external_crm();
	}

	protected function tearDown(): void {
		global $wpdb;
		remove_action( 'tagbridge_outbox_delivered', $this->recorder, 10 );
		remove_action( 'tagbridge_tags_applied', array( $this->listener, 'applied' ), 10 );
		remove_action( 'tagbridge_tags_removed', array( $this->listener, 'removed' ), 10 );
		foreach ( $this->registered as $id ) {
			wp_delete_user( $id );
		}
		$this->end_request();
		$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}wpum_registration_forms, {$wpdb->prefix}wpum_registration_formmeta" );
		$_POST = array();
		delete_transient( 'tagbridge_notices_' . get_current_user_id() );
		parent::tearDown();
		foreach ( array( self::ROLE, self::VIP, self::GOLD ) as $role ) {
			remove_role( $role );
		}
	}

	private function members_form(): int {
		return $this->forms['Members <b>club</b>'];
	}

	/** What shutdown does: role changes (priority 1), field pushes (5), delivery (50). */
	private function end_request(): void {
		$plugin = Plugin::instance();
		$plugin->roles->flush();
		$plugin->push_fields();
		$plugin->runner->end_of_request();
	}

	/** @return array<int, array> The deliveries of one user. */
	private function deliveries( int $user_id ): array {
		$out = array();
		foreach ( $this->delivered as list( $id, $change ) ) {
			if ( $id === $user_id ) {
				$out[] = $change;
			}
		}
		return $out;
	}

	private static function sorted( array $list ): array {
		sort( $list );
		return $list;
	}

	/**
	 * A registration through a WPUM form, as WPUM_Form_Registration::submit_handler() runs it
	 * (section 3.2): wp_create_user (user_register with login, email and password only), the
	 * names through wp_update_user, the form role through set_role, custom fields saved by the
	 * Custom Fields add-on at priority 20 of wpum_before_registration_end, the extra profile_update
	 * of get_password_reset_key() for the confirmation mail (section 7), then wpum_after_registration.
	 */
	private function register( int $form_id ): int {
		$login  = 'tb_wpum_' . strtolower( wp_generate_password( 8, false ) );
		$form   = new WPUM_Registration_Form( $form_id );
		$values = array(
			'register' => array(
				'user_email'      => $login . '@example.test',
				'user_firstname'  => 'Ada',
				'user_lastname'   => 'Lovelace',
				'wpum_company'    => 'Analytical Engines',
				'wpum_newsletter' => '1',
			),
		);
		do_action( 'wpum_before_registration_start', $values );
		$id = wp_create_user( $login, wp_generate_password( 24 ), $login . '@example.test' );
		$this->assertIsInt( $id );
		$this->registered[] = $id;
		wp_update_user( apply_filters( 'wpum_registration_user_data', array( 'ID' => $id, 'first_name' => 'Ada', 'last_name' => 'Lovelace', 'user_url' => '', 'description' => '' ), $id, $form ) );
		( new WP_User( $id ) )->set_role( $form->get_role_key() );
		$save_custom = static function ( $user_id ) {
			update_user_meta( $user_id, 'wpum_company', 'Analytical Engines' );
			update_user_meta( $user_id, 'wpum_newsletter', true );
		};
		add_action( 'wpum_before_registration_end', $save_custom, 20 );
		do_action( 'wpum_before_registration_end', $id, $values, $form );
		remove_action( 'wpum_before_registration_end', $save_custom, 20 );
		wp_update_user( array( 'ID' => $id ) );
		do_action( 'wpum_after_registration', $id, $values, $form );
		return $id;
	}

	private function all_fields( int $id ): array {
		return array(
			'company'    => 'Analytical Engines',
			'email'      => get_userdata( $id )->user_email,
			'first_name' => 'Ada',
			'last_name'  => 'Lovelace',
			'newsletter' => true,
		);
	}

	/** Exactly one delivery for the user, with every mapped field, the form role's tag and the form tags. */
	private function assert_one_full_delivery( int $id ): void {
		$deliveries = $this->deliveries( $id );
		$this->assertCount( 1, $deliveries, 'one delivery' );
		$fields = $deliveries[0]['fields'];
		ksort( $fields );
		$this->assertSame( $this->all_fields( $id ), $fields );
		$this->assertSame( array( 'Member', 'Registered via WPUM', 'VIP' ), self::sorted( $deliveries[0]['apply_tags'] ) );
		$this->assertSame( array(), $deliveries[0]['remove_tags'] );
	}

	private function enable_defer(): void {
		update_option( 'wpum_settings', array( 'user_verification_method' => 'email' ) );
		$options          = Options::get();
		$options['defer'] = true;
		$this->assertTrue( Options::save( $options ) );
	}

	public function test_registration_yields_one_delivery_with_every_mapped_field_and_the_form_tags(): void {
		$id = $this->register( $this->members_form() );
		$this->end_request();

		$this->assert_one_full_delivery( $id );
		$this->assertSame( array( self::ROLE, self::VIP ), self::roles_of( $id ), 'the form tag VIP granted its linked role' );
		$this->assertSame( 0, $this->outbox_rows( $id ) );
		$this->assertTrue( Plugin::instance()->embedded_crm->get_contact( (string) $id )->is_ok() );
	}

	public function test_the_default_form_applies_no_form_tags(): void {
		$id = $this->register( $this->forms['Default registration form'] );
		$this->end_request();
		$this->assertSame( array(), tagbridge_get_tags( $id ) );
		$this->assertCount( 1, $this->deliveries( $id ) );
	}

	public function test_defer_is_inactive_without_the_verification_add_on(): void {
		$options          = Options::get();
		$options['defer'] = true;
		$this->assertTrue( Options::save( $options ) );
		$id = $this->register( $this->members_form() );
		$this->end_request();
		$this->assertFalse( Plugin::instance()->outbox->is_held( $id ) );
		$this->assertCount( 1, $this->deliveries( $id ) );
	}

	public function test_defer_then_verify_delivers_everything_once(): void {
		$this->enable_defer();
		$id = $this->register( $this->members_form() );
		$this->end_request();
		$this->assertSame( array(), $this->deliveries( $id ), 'nothing reached the CRM' );
		$this->assertFalse( Plugin::instance()->embedded_crm->get_contact( (string) $id )->is_ok(), 'no contact' );
		$this->assertGreaterThan( 0, $this->outbox_rows( $id ), 'kept in the outbox' );
		$this->assertSame( array(), Plugin::instance()->outbox->due_users( time() + 3600, 1000, array( $id ) ), 'the runner skips the held user' );
		$this->assertSame( array( 'Member' ), tagbridge_get_tags( $id ), 'form tags wait for activation' );
		$this->assertSame( array( self::ROLE ), self::roles_of( $id ) );

		// Later: the User Verification add-on confirms the email address.
		do_action( 'wpumuv_after_user_verification', $id );
		$this->end_request();
		$this->assert_one_full_delivery( $id );
		$this->assertSame( array( self::ROLE, self::VIP ), self::roles_of( $id ) );
		$this->assertSame( 0, $this->outbox_rows( $id ) );
		$this->assertFalse( Plugin::instance()->outbox->is_held( $id ) );

		do_action( 'wpumuv_after_user_verification', $id );
		$this->end_request();
		$this->assertCount( 1, $this->deliveries( $id ), 'a second verification sends nothing more' );
	}

	public function test_defer_then_approve_in_a_later_request_delivers_everything(): void {
		$this->enable_defer();
		$id = $this->register( $this->members_form() );
		$this->end_request();
		$this->assertFalse( Plugin::instance()->embedded_crm->get_contact( (string) $id )->is_ok() );

		// An administrator approves the user days later: another PHP process, the hold is read from the database.
		list( $code, $out ) = $this->run_php( self::load_wordpress_code() . sprintf( 'do_action( "wpumuv_after_user_approval", %d ); echo "ok";', $id ) );
		$this->assertSame( 0, $code, $out );
		$this->assertSame( 'ok', $out );
		wp_cache_delete( $id, 'user_meta' ); // That process changed this user's meta behind this one's cache.

		$this->assertSame( 0, $this->outbox_rows( $id ), 'delivered at the end of the approving request' );
		$contact = Plugin::instance()->embedded_crm->get_contact( (string) $id );
		$this->assertTrue( $contact->is_ok(), $contact->message );
		$this->assertSame( 'Analytical Engines', $contact->value['fields']['company'] );
		$this->assertSame( 'Lovelace', $contact->value['fields']['last_name'] );
		$this->assertSame( array( 'Member', 'Registered via WPUM', 'VIP' ), tagbridge_get_tags( $id ) );
		$this->assertSame( array( self::ROLE, self::VIP ), self::roles_of( $id ) );
		$this->assertFalse( Plugin::instance()->outbox->is_held( $id ) );
	}

	public function test_defer_then_reject_sends_nothing(): void {
		$this->enable_defer();
		$id = $this->register( $this->members_form() );
		$this->end_request();

		do_action( 'wpumuv_before_user_rejection', $id );
		$this->end_request();
		$this->assertSame( 0, $this->outbox_rows( $id ), 'discarded' );
		$this->assertSame( array( 'Member' ), tagbridge_get_tags( $id ), 'form tags discarded' );

		// Still held: a later change of the rejected user is not sent either.
		update_user_meta( $id, 'wpum_company', 'Changed' );
		do_action( 'wpum_after_custom_user_update', null, array(), $id );
		$this->end_request();
		$this->assertSame( array(), $this->deliveries( $id ) );
		$this->assertFalse( Plugin::instance()->embedded_crm->get_contact( (string) $id )->is_ok() );
	}

	public function test_a_deferred_user_who_is_deleted_sends_nothing(): void {
		$this->enable_defer();
		$id = $this->register( $this->members_form() );
		$this->end_request();
		$this->assertGreaterThan( 0, $this->outbox_rows( $id ) );
		wp_delete_user( $id );
		$this->registered = array();
		$this->end_request();
		$this->assertSame( 0, $this->outbox_rows( $id ) );
		$this->assertSame( array(), $this->deliveries( $id ) );
	}

	public function test_an_account_update_of_a_custom_field_tab_pushes_only_that_field(): void {
		$id = $this->register( $this->members_form() );
		$this->end_request();
		$this->delivered = array();

		// WPUM_Form_Custom_Group: the add-on saves the tab's fields; no wp_update_user, no profile_update.
		update_user_meta( $id, 'wpum_company', 'Babbage & Co' );
		do_action( 'wpum_after_custom_user_update', null, array( 'account' => array( 'wpum_company' => 'Babbage & Co' ) ), $id );
		$this->end_request();
		$deliveries = $this->deliveries( $id );
		$this->assertCount( 1, $deliveries );
		$this->assertSame( array( 'company' => 'Babbage & Co' ), $deliveries[0]['fields'] );
		$this->assertSame( array(), $deliveries[0]['apply_tags'] );
	}

	/**
	 * WPUM multiple roles on user-edit.php (sections 3.4 and 7): the core role select is still
	 * posted, so wp_update_user() strips the user to its role (remove_user_role + set_user_role)
	 * before profile_update; WPUM's wpum_update_roles() at profile_update priority 99 then removes
	 * unselected roles and adds the others (here: VIP back, Gold new).
	 */
	public function test_multiple_roles_save_changes_only_the_net_tags(): void {
		$id = $this->create_user( self::ROLE );
		( new WP_User( $id ) )->add_role( self::VIP );
		$this->end_request();
		$this->assertSame( array( 'Member', 'VIP' ), tagbridge_get_tags( $id ) );
		$this->delivered = array();

		$removed = array();
		$applied = array();
		$record  = static function ( $user_id, $tags ) use ( &$removed, &$applied, $id ) {
			if ( $user_id === $id ) {
				if ( 'tagbridge_tags_removed' === current_action() ) {
					$removed = array_merge( $removed, $tags );
				} else {
					$applied = array_merge( $applied, $tags );
				}
			}
		};
		add_action( 'tagbridge_tags_removed', $record, 10, 2 );
		add_action( 'tagbridge_tags_applied', $record, 10, 2 );
		$wpum = static function ( $user_id ) {
			$selected = explode( '|', self::ROLE . '|' . self::VIP . '|' . self::GOLD ); // _wpum_user_roles
			$user     = new WP_User( $user_id );
			foreach ( array_diff( $user->roles, $selected ) as $role ) {
				$user->remove_role( $role );
			}
			foreach ( array_diff( $selected, $user->roles ) as $role ) {
				$user->add_role( $role );
			}
		};
		add_action( 'profile_update', $wpum, 99 );
		wp_update_user( array( 'ID' => $id, 'role' => self::ROLE, 'display_name' => 'Ada' ) );
		remove_action( 'profile_update', $wpum, 99 );
		$this->end_request();
		remove_action( 'tagbridge_tags_removed', $record, 10 );
		remove_action( 'tagbridge_tags_applied', $record, 10 );

		$this->assertSame( array( self::GOLD, self::ROLE, self::VIP ), self::roles_of( $id ) );
		$this->assertSame( array( 'Gold', 'Member', 'VIP' ), tagbridge_get_tags( $id ) );
		$this->assertSame( array(), $removed, 'VIP was never removed' );
		$this->assertSame( array( 'Gold' ), $applied );
		$deliveries = $this->deliveries( $id );
		$this->assertCount( 1, $deliveries );
		$this->assertSame( array( 'Gold' ), $deliveries[0]['apply_tags'] );
		$this->assertSame( array(), $deliveries[0]['remove_tags'] );
	}

	/**
	 * WPUM multiple roles on user-new.php: wp_insert_user() gives the posted role (role hooks
	 * before user_register), then WPUM adds the other selected roles at user_register priority 99.
	 */
	public function test_multiple_roles_on_a_new_user_tag_every_role_once(): void {
		$wpum = static function ( $user_id ) {
			( new WP_User( $user_id ) )->add_role( self::GOLD );
		};
		add_action( 'user_register', $wpum, 99 );
		$id = $this->create_user( self::ROLE );
		remove_action( 'user_register', $wpum, 99 );
		$this->end_request();
		$this->assertSame( array( self::GOLD, self::ROLE ), self::roles_of( $id ) );
		$this->assertSame( array( 'Gold', 'Member' ), tagbridge_get_tags( $id ) );
		$deliveries = $this->deliveries( $id );
		$this->assertCount( 1, $deliveries );
		$this->assertSame( array( 'Gold', 'Member' ), self::sorted( $deliveries[0]['apply_tags'] ) );
	}

	private function page(): SettingsPage {
		return new SettingsPage( new RegistrationForms(), Plugin::instance()->notices );
	}

	private function post( array $form_tags, bool $defer, ?string $nonce = null ): array {
		return array(
			'_wpnonce'  => $nonce ?? wp_create_nonce( SettingsPage::ACTION ),
			'defer'     => $defer ? '1' : '',
			'form_tags' => $form_tags,
		);
	}

	public function test_settings_screen_saves_and_escapes(): void {
		wp_set_current_user( $this->create_user( 'administrator' ) );
		$page    = $this->page();
		$default = $this->forms['Default registration form'];
		$result  = $page->save( $this->post( array( $default => ' Newsletter , Free ,', $this->members_form() => '' ), true ) );
		$this->assertTrue( $result );
		$this->assertSame(
			array(
				'defer'     => true,
				'form_tags' => array( $default => array( 'Newsletter', 'Free' ) ),
			),
			Options::get()
		);

		ob_start();
		$page->render();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="_wpnonce"', $html );
		$this->assertStringContainsString( 'value="Newsletter, Free"', $html );
		$this->assertStringContainsString( 'Members &lt;b&gt;club&lt;/b&gt;', $html, 'form names are escaped' );
		$this->assertStringNotContainsString( '<b>club</b>', $html );
		$this->assertStringContainsString( 'it is not configured on this site', $html, 'says defer needs the User Verification add-on' );
		$this->assertStringContainsString( 'checked=\'checked\'', $html );

		update_option( 'wpum_settings', array( 'user_verification_method' => 'admin' ) );
		ob_start();
		$page->render();
		$this->assertStringContainsString( 'is configured on this site', ob_get_clean() );
	}

	public function test_settings_screen_refuses_bad_input_and_changes_nothing(): void {
		$before = get_option( Options::OPTION );
		wp_set_current_user( $this->create_user( 'administrator' ) );
		$page = $this->page();
		$this->assertSame( 'tagbridge_forbidden', $page->save( $this->post( array(), true, 'bad' ) )->get_error_code() );
		$unknown = $page->save( $this->post( array( 99999 => 'Tag' ), true ) );
		$this->assertSame( 'tagbridge_invalid_wpum_options', $unknown->get_error_code() );
		$this->assertStringContainsString( '99999', $unknown->get_error_message() );
		$long = $page->save( $this->post( array( $this->members_form() => str_repeat( 'x', 192 ) ), true ) );
		$this->assertSame( 'tagbridge_invalid_wpum_options', $long->get_error_code() );
		$this->assertStringContainsString( (string) $this->members_form(), $long->get_error_message() );
		wp_set_current_user( $this->create_user( 'editor' ) );
		$this->assertSame( 'tagbridge_forbidden', $page->save( $this->post( array(), true ) )->get_error_code() );
		$this->assertSame( $before, get_option( Options::OPTION ), 'nothing saved' );

		$this->assertSame( 'tagbridge_invalid_wpum_options', Options::save( array( 'defer' => true, 'typo' => 1 ) )->get_error_code() );
		$this->assertSame( 'tagbridge_invalid_wpum_options', Options::save( array( 'form_tags' => array( 1 => array( '' ) ) ) )->get_error_code() );
		$this->assertSame( $before, get_option( Options::OPTION ), 'nothing saved' );
	}
}
