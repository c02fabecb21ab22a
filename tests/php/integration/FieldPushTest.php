<?php
/**
 * Field push points inside real WordPress: the registration and profile flows of WordPress core,
 * Ultimate Member and WP User Manager, each producing one coalesced payload per user.
 *
 * Ultimate Member and WP User Manager cannot be installed here: these tests stand in for them by
 * writing their data and firing their hooks exactly in the order and with the arguments that
 * ../shared/reference/membership-plugin-hooks.md documents (sections 2.2, 3.2 and 7).
 */

use TagBridge\Fields\FieldPush;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class FieldPushTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', 'timezone_string', 'gmt_offset' );

	/** @var FieldPush */
	private $push;

	protected function setUp(): void {
		parent::setUp();
		$this->push = Plugin::instance()->fields;
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'fields'     => array(
						array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'source' => 'wordpress' ),
						array( 'key' => 'last_name', 'crm_field' => 'last_name', 'type' => 'text', 'source' => 'wordpress' ),
						array( 'key' => 'user_email', 'crm_field' => 'email', 'type' => 'text', 'source' => 'wordpress' ),
						array( 'key' => 'birth_date', 'crm_field' => 'date_of_birth', 'type' => 'date', 'source' => 'ultimate_member' ),
						array( 'key' => 'interests', 'crm_field' => 'interests', 'type' => 'multiselect', 'source' => 'ultimate_member' ),
						array( 'key' => 'phone_number', 'crm_field' => 'phone', 'type' => 'tel', 'source' => 'ultimate_member' ),
						array( 'key' => 'wpum_company', 'crm_field' => 'company', 'type' => 'text', 'source' => 'wp_user_manager' ),
						array( 'key' => 'wpum_newsletter', 'crm_field' => 'newsletter', 'type' => 'checkbox', 'source' => 'wp_user_manager' ),
					),
					'field_sync' => array( 'default_country' => 'GB' ),
				)
			)
		);
		$this->push->flush(); // Forget users marked by earlier tests' setup.
	}

	private function um_register( string $login ): int {
		$submitted = array(
			'user_login'   => $login,
			'user_email'   => $login . '@example.test',
			'first_name'   => 'Jane',
			'last_name'    => 'Doe',
			'birth_date'   => '1990/05/04',
			'interests'    => array( 'Jazz', 'Hiking' ),
			'phone_number' => '020 7946 0958',
		);
		$form_data = array( 'form_id' => 7, 'mode' => 'register' );
		do_action( 'um_submit_form_register', $submitted, $form_data );
		// UM's wp_insert_user() carries only login, password, email, role and the in-progress flag.
		$id = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password( 24 ),
				'user_email' => $login . '@example.test',
				'role'       => 'subscriber',
				'meta_input' => array( '_um_registration_in_progress' => 1 ),
			)
		);
		$this->assertIsInt( $id );
		$args = array( 'submitted' => $submitted, 'form_id' => 7 );
		do_action( 'um_user_register', $id, $args, $form_data );
		// um_after_insert_user() at priority 1: set_registration_details().
		do_action( 'um_before_save_registration_details', $id, $submitted, $form_data );
		update_user_meta( $id, 'submitted', $submitted );
		foreach ( array( 'first_name', 'last_name', 'birth_date', 'interests', 'phone_number' ) as $key ) {
			update_user_meta( $id, $key, $submitted[ $key ] );
		}
		wp_update_user( array( 'ID' => $id, 'user_email' => $submitted['user_email'] ) );
		do_action( 'um_after_save_registration_details', $id, $submitted, $form_data );
		do_action( 'um_registration_set_extra_data', $id, $args, $form_data );
		wp_update_user( array( 'ID' => $id, 'display_name' => 'Jane Doe' ) ); // um_update_profile_full_name.
		do_action( 'um_registration_complete', $id, $args, $form_data );
		do_action( 'um_post_registration_approved_hook', $id, $args, $form_data );
		update_user_meta( $id, 'account_status', 'approved' );
		wp_update_user( array( 'ID' => $id ) ); // Status change: the third profile_update.
		do_action( 'um_after_user_is_approved', $id );
		delete_user_meta( $id, '_um_registration_in_progress' );
		return $id;
	}

	public function test_um_registration_yields_exactly_one_push_with_every_mapped_field(): void {
		$login = 'tb_um_' . strtolower( wp_generate_password( 8, false ) );
		$id    = $this->um_register( $login );
		$this->forget_user( $id );
		$payloads = $this->push->flush();
		wp_delete_user( $id );
		$this->assertSame( array( $id ), array_keys( $payloads ), 'one push for one user, whatever the number of hooks' );
		$this->assertSame(
			array(
				'date_of_birth' => '1990-05-04',
				'email'         => $login . '@example.test',
				'first_name'    => 'Jane',
				'interests'     => array( 'Jazz', 'Hiking' ),
				'last_name'     => 'Doe',
				'phone'         => '+442079460958',
			),
			$payloads[ $id ]
		);
	}

	public function test_an_acknowledged_push_is_not_repeated_and_custom_field_edits_are_caught(): void {
		$id      = $this->um_register( 'tb_um_' . strtolower( wp_generate_password( 8, false ) ) );
		$this->forget_user( $id );
		$payload = $this->push->flush()[ $id ];
		$this->push->acknowledge( $id, $payload );
		$this->assertSame( $payload, get_user_meta( $id, FieldPush::SNAPSHOT_META, true ) );

		// The same profile saved again (UM re-posts every field): profile_update, um_after_user_updated, um_user_after_updating_profile.
		wp_update_user( array( 'ID' => $id, 'display_name' => 'Jane Doe' ) );
		do_action( 'um_after_user_updated', $id, array(), array() );
		do_action( 'um_user_after_updating_profile', array(), $id, array() );
		$this->assertSame( array(), $this->push->flush(), 'nothing changed since the acknowledged push' );

		// A custom-field-only edit fires no profile_update.
		update_user_meta( $id, 'interests', array( 'Jazz' ) );
		do_action( 'um_user_after_updating_profile', array( 'interests' => array( 'Jazz' ) ), $id, array() );
		$result = $this->push->flush();
		wp_delete_user( $id );
		$this->assertSame( array( $id => array( 'interests' => array( 'Jazz' ) ) ), $result );
	}

	public function test_wpum_registration_and_account_updates(): void {
		$login = 'tb_wpum_' . strtolower( wp_generate_password( 8, false ) );
		do_action( 'wpum_before_registration_start', array( 'register' => array( 'user_email' => $login . '@example.test' ) ) );
		$id = wp_create_user( $login, wp_generate_password( 24 ), $login . '@example.test' );
		$this->assertIsInt( $id );
		wp_update_user( array( 'ID' => $id, 'first_name' => 'Ada', 'last_name' => 'Lovelace' ) );
		// The Custom Fields add-on saves wpum_* keys at priority 20 of wpum_before_registration_end, with a '1' checkbox stored as true.
		$save_custom = static function ( $user_id ) {
			update_user_meta( $user_id, 'wpum_company', 'Analytical Engines' );
			update_user_meta( $user_id, 'wpum_newsletter', true );
		};
		add_action( 'wpum_before_registration_end', $save_custom, 20 );
		do_action( 'wpum_before_registration_end', $id, array(), null );
		remove_action( 'wpum_before_registration_end', $save_custom, 20 );
		wp_update_user( array( 'ID' => $id ) ); // get_password_reset_key() for the welcome mail.
		do_action( 'wpum_after_registration', $id, array(), null );
		$payloads = $this->push->flush();
		$this->assertSame(
			array(
				'company'    => 'Analytical Engines',
				'email'      => $login . '@example.test',
				'first_name' => 'Ada',
				'last_name'  => 'Lovelace',
				'newsletter' => true,
			),
			$payloads[ $id ] ?? null
		);
		$this->push->acknowledge( $id, $payloads[ $id ] );

		// Account page: profile_update fires before the add-on saves custom fields at 20 of wpum_after_user_update.
		$save_company = static function ( $form, $values, $user_id ) {
			update_user_meta( $user_id, 'wpum_company', 'Babbage & Co' );
		};
		add_action( 'wpum_after_user_update', $save_company, 20, 3 );
		wp_update_user( array( 'ID' => $id, 'first_name' => 'Ada' ) );
		do_action( 'wpum_after_user_update', null, array( 'account' => array() ), $id );
		remove_action( 'wpum_after_user_update', $save_company, 20 );
		$this->assertSame( array( $id => array( 'company' => 'Babbage & Co' ) ), $this->push->flush() );
		$this->push->acknowledge( $id, array( 'company' => 'Babbage & Co' ) );

		// A custom field group tab: only wpum_after_custom_user_update fires.
		update_user_meta( $id, 'wpum_newsletter', false );
		do_action( 'wpum_after_custom_user_update', null, array(), $id );
		$result = $this->push->flush();
		wp_delete_user( $id );
		$this->assertSame( array( $id => array( 'newsletter' => false ) ), $result );
	}

	public function test_core_profile_update_and_unreadable_values_are_reported_not_sent(): void {
		$id = $this->create_user( 'subscriber', array( 'first_name' => 'Grace' ) );
		wp_update_user( array( 'ID' => $id, 'nickname' => 'amazing' ) );
		// Meta can hold a serialized object (MariaDB refuses non-UTF-8 text, which the binding tests cover).
		update_user_meta( $id, 'last_name', (object) array( 'family' => 'Hopper' ) );
		$skipped = array();
		$record  = static function ( $entry, $user_id ) use ( &$skipped ) {
			$skipped[] = array( $user_id, $entry['key'], $entry['code'] );
		};
		add_action( 'tagbridge_field_skipped', $record, 10, 2 );
		$payloads = $this->push->flush();
		remove_action( 'tagbridge_field_skipped', $record, 10 );
		$this->assertSame( 'Grace', $payloads[ $id ]['first_name'] );
		$this->assertArrayNotHasKey( 'last_name', $payloads[ $id ] );
		$this->assertSame( array( array( $id, 'last_name', 'unparseable' ) ), $skipped );
	}

	public function test_dates_from_timestamps_use_the_site_time_zone(): void {
		update_option( 'timezone_string', 'Pacific/Auckland' );
		$id = $this->create_user();
		update_user_meta( $id, 'birth_date', (string) gmmktime( 13, 0, 0, 7, 1, 2024 ) ); // 1 July 13:00 UTC = 2 July 01:00 in Auckland.
		do_action( 'um_after_user_updated', $id, array(), array() );
		$this->assertSame( '2024-07-02', $this->push->flush()[ $id ]['date_of_birth'] );
	}

	/** UserFields::site_offset() answers what wp_timezone() does, for zones and plain offsets. */
	public function test_the_site_offset_is_wordpress_own(): void {
		foreach ( array( '', 'Europe/London', 'America/St_Johns', 'Asia/Kathmandu', 'UTC' ) as $zone ) {
			foreach ( array( 0, 1, -3.5, 5.75, 12.75, -11, 0.5 ) as $offset ) {
				update_option( 'timezone_string', $zone );
				update_option( 'gmt_offset', $offset );
				$this->assertSame( (int) wp_timezone()->getOffset( new DateTimeImmutable( 'now' ) ), \TagBridge\Fields\UserFields::site_offset(), "{$zone} {$offset}" );
			}
		}
	}
}
