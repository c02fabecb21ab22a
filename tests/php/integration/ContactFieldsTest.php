<?php
/**
 * Field discovery, the Contact Fields screen and the field map over REST, in real WordPress.
 *
 * Ultimate Member and WP User Manager cannot be installed here: these tests stand in for them by
 * defining their detection markers (the `UM` and `WPUM` classes) and storing their field
 * definitions exactly as ../shared/reference/membership-plugin-hooks.md sections 2.1 and 3.1
 * describe (option `um_fields`, `um_form` posts' `_um_custom_fields`, the `{prefix}wpum_fields`
 * and `{prefix}wpum_fieldmeta` tables).
 */

use TagBridge\Fields\ContactFieldsPage;
use TagBridge\Fields\Discovery;
use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

// Ultimate Member's detection marker: the test-only UM stand-in (its class `UM`).
require_once __DIR__ . '/../support/UltimateMemberStandIn.php';

final class ContactFieldsTest extends TestCase {

	protected const RESTORED_OPTIONS = array( 'tagbridge_settings', 'default_role', 'um_fields' );

	/** @var int */
	private $form_id = 0;

	protected function setUp(): void {
		parent::setUp();
		global $wpdb;
		update_option(
			'um_fields',
			array(
				'favourite_colour' => array( 'title' => 'Favourite <b>colour</b>', 'metakey' => 'favourite_colour', 'type' => 'select', 'label' => 'Favourite <b>colour</b>', 'options' => array( 'Red', 'Blue' ), 'public' => 1, 'editable' => 1 ),
				'birth_date'       => array( 'title' => 'Birth Date', 'metakey' => 'birth_date', 'type' => 'date', 'label' => 'Birth Date', 'public' => 1, 'editable' => 1 ),
			)
		);
		$this->form_id = wp_insert_post( array( 'post_type' => 'um_form', 'post_status' => 'publish', 'post_title' => 'Register' ) );
		$suffixed      = 'company-' . $this->form_id;
		update_post_meta(
			$this->form_id,
			'_um_custom_fields',
			array(
				'_um_row_1'     => array( 'type' => 'row', 'id' => '_um_row_1', 'sub_rows' => '1', 'cols' => '1', 'origin' => '_um_row_1' ),
				'user_email'    => array( 'title' => 'E-mail Address', 'metakey' => 'user_email', 'type' => 'text', 'label' => 'E-mail Address', 'position' => '1', 'in_row' => '_um_row_1' ),
				'user_password' => array( 'title' => 'Password', 'metakey' => 'user_password', 'type' => 'password', 'label' => 'Password', 'position' => '2' ),
				'interests'     => array( 'title' => 'Interests', 'metakey' => 'interests', 'type' => 'checkbox', 'label' => 'Interests', 'options' => array( 'Jazz', 'Hiking' ), 'position' => '3' ),
				'phone_number'  => array( 'title' => 'Phone Number', 'metakey' => 'phone_number', 'type' => 'text', 'label' => 'Phone Number', 'validate' => 'phone_number', 'position' => '4' ),
				$suffixed       => array( 'title' => 'Company', 'type' => 'text', 'label' => 'Company', 'position' => '5' ),
			)
		);
		$charset = $wpdb->get_charset_collate();
		$wpdb->query( "CREATE TABLE IF NOT EXISTS {$wpdb->prefix}wpum_fields ( id bigint(20) unsigned NOT NULL AUTO_INCREMENT, group_id bigint(20) NOT NULL DEFAULT 0, field_order bigint(20) NOT NULL DEFAULT 0, type varchar(20) NOT NULL DEFAULT 'text', name varchar(255) NOT NULL, description longtext, PRIMARY KEY (id) ) $charset" );
		$wpdb->query( "CREATE TABLE IF NOT EXISTS {$wpdb->prefix}wpum_fieldmeta ( meta_id bigint(20) unsigned NOT NULL AUTO_INCREMENT, wpum_field_id bigint(20) unsigned NOT NULL DEFAULT 0, meta_key varchar(255) DEFAULT NULL, meta_value longtext, PRIMARY KEY (meta_id) ) $charset" );
		$rows = array(
			array( 'firstname', 'First Name', 'firstname' ),
			array( 'user_email', 'Email Address', 'user_email' ),
			array( 'user_description', 'About me', 'user_description' ),
			array( 'user_password', 'Password', 'user_password' ),
			array( 'user_avatar', 'Profile Picture', 'user_avatar' ),
			array( 'text', 'Company name', 'wpum_company' ),
			array( 'checkbox', 'Newsletter', 'wpum_newsletter' ),
			array( 'multicheckbox', 'Skills', 'wpum_skills' ),
			array( 'datepicker', 'Member since', 'wpum_since' ),
			array( 'password', 'Secret', 'wpum_secret' ),
		);
		foreach ( $rows as $i => list( $type, $name, $key ) ) {
			$wpdb->insert( $wpdb->prefix . 'wpum_fields', array( 'group_id' => 1, 'field_order' => $i, 'type' => $type, 'name' => $name ) );
			$wpdb->insert( $wpdb->prefix . 'wpum_fieldmeta', array( 'wpum_field_id' => $wpdb->insert_id, 'meta_key' => 'user_meta_key', 'meta_value' => $key ) );
		}
	}

	protected function tearDown(): void {
		global $wpdb;
		wp_delete_post( $this->form_id, true );
		$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}wpum_fields, {$wpdb->prefix}wpum_fieldmeta" );
		parent::tearDown();
	}

	public function test_discovers_fields_under_each_active_plugins_heading(): void {
		$groups = ( new Discovery() )->available();
		$this->assertSame( array( 'wordpress', 'ultimate_member', 'wp_user_manager' ), array_keys( $groups ) );
		$types = array_map( static fn( $fields ) => array_map( static fn( $f ) => $f['type'], $fields ), $groups );
		$this->assertSame( 'date', $types['wordpress']['user_registered'] );
		$this->assertSame( 'text', $types['wordpress']['user_nicename'] );
		foreach ( array( 'first_name', 'user_email', 'description' ) as $primary ) {
			$this->assertArrayNotHasKey( $primary, $types['wordpress'], "WPUM's primary field $primary is listed once, under WP User Manager" );
		}
		$this->assertSame(
			array( 'favourite_colour' => 'text', 'birth_date' => 'date', 'interests' => 'multiselect', 'phone_number' => 'tel', 'company' => 'text' ),
			$types['ultimate_member'],
			'layout rows, passwords and core keys are not listed; the -{form_id} suffix is stripped'
		);
		$this->assertSame( 'Favourite colour', $groups['ultimate_member']['favourite_colour']['label'] );
		$this->assertSame(
			array( 'first_name' => 'text', 'user_email' => 'text', 'description' => 'textarea', 'current_user_avatar' => 'text', 'wpum_company' => 'text', 'wpum_newsletter' => 'checkbox', 'wpum_skills' => 'multiselect', 'wpum_since' => 'date' ),
			$types['wp_user_manager'],
			'primary fields under their stored key with the core type; no password'
		);
		$this->assertSame( 'About me', $groups['wp_user_manager']['description']['label'], "WPUM's label" );
	}

	public function test_headings_of_inactive_plugins_do_not_appear(): void {
		// A separate process has no UM or WPUM marker, while their stored fields are still there.
		list( $code, $out ) = $this->run_php( self::load_wordpress_code( false ) . 'echo json_encode( array_keys( ( new TagBridge\Fields\Discovery() )->available() ) );' );
		$this->assertSame( 0, $code, $out );
		$this->assertSame( '["wordpress"]', $out );
	}

	private function post( array $fields, ?string $nonce = null ): array {
		return array(
			'_wpnonce' => $nonce ?? wp_create_nonce( ContactFieldsPage::ACTION ),
			'fields'   => $fields,
		);
	}

	public function test_screen_saves_through_the_settings_store(): void {
		wp_set_current_user( $this->create_user( 'administrator' ) );
		$page   = new ContactFieldsPage( Plugin::instance()->settings, new Discovery() );
		$result = $page->save(
			$this->post(
				array(
					'first_name' => array( 'enabled' => '1', 'crm_field' => 'First Name', 'type' => 'text', 'direction' => 'both', 'source' => 'wordpress' ),
					'interests'  => array( 'enabled' => '1', 'crm_field' => '', 'type' => 'multiselect', 'direction' => 'push', 'source' => 'ultimate_member' ),
					'last_name'  => array( 'crm_field' => 'Last', 'type' => 'text', 'direction' => 'push', 'source' => 'wordpress' ),
				)
			)
		);
		$this->assertTrue( $result );
		$this->assertSame(
			array(
				array( 'key' => 'first_name', 'crm_field' => 'First Name', 'type' => 'text', 'direction' => 'both', 'source' => 'wordpress' ),
				array( 'key' => 'interests', 'crm_field' => 'interests', 'type' => 'multiselect', 'direction' => 'push', 'source' => 'ultimate_member' ),
			),
			tagbridge_get_settings()['fields']
		);

		ob_start();
		$page->render();
		$html = ob_get_clean();
		foreach ( array( '<h2>WordPress</h2>', '<h2>Ultimate Member</h2>', '<h2>WP User Manager</h2>', 'value="First Name"', '<code>wpum_company</code>' ) as $needle ) {
			$this->assertStringContainsString( $needle, $html );
		}
		$this->assertStringNotContainsString( '<b>colour</b>', $html );

		$before  = get_option( 'tagbridge_settings' );
		$refused = $page->save( $this->post( array( 'birth_date' => array( 'enabled' => '1', 'crm_field' => 'dob', 'type' => 'money', 'direction' => 'push', 'source' => 'ultimate_member' ) ) ) );
		$this->assertInstanceOf( WP_Error::class, $refused );
		$this->assertSame( 'fields[2].type', $refused->get_error_data()['path'] );
		$this->assertSame( $before, get_option( 'tagbridge_settings' ), 'nothing saved' );
	}

	public function test_screen_refuses_without_nonce_or_capability(): void {
		$row = array( 'first_name' => array( 'enabled' => '1', 'crm_field' => 'x', 'type' => 'text', 'direction' => 'push', 'source' => 'wordpress' ) );
		$page   = new ContactFieldsPage( Plugin::instance()->settings, new Discovery() );
		$before = get_option( 'tagbridge_settings' );
		wp_set_current_user( $this->create_user( 'administrator' ) );
		$this->assertSame( 'tagbridge_forbidden', $page->save( $this->post( $row, 'bad' ) )->get_error_code() );
		wp_set_current_user( $this->create_user( 'editor' ) );
		$this->assertSame( 'tagbridge_forbidden', $page->save( $this->post( $row ) )->get_error_code() );
		$this->assertSame( $before, get_option( 'tagbridge_settings' ), 'nothing saved' );
	}

	public function test_field_map_round_trips_over_rest(): void {
		wp_set_current_user( $this->create_user( 'administrator' ) );
		$settings = array(
			'fields'     => array(
				array( 'key' => 'birth_date', 'crm_field' => 'dob', 'type' => 'date', 'direction' => 'both', 'source' => 'ultimate_member' ),
				array( 'key' => 'wpum_newsletter', 'crm_field' => 'newsletter', 'type' => 'checkbox', 'direction' => 'pull', 'source' => 'wp_user_manager' ),
			),
			'field_sync' => array(
				'format'               => array( 'date_format' => 'Y-m-d H:i:s', 'multiselect_separator' => '||', 'country_format' => 'name' ),
				'default_country'      => 'NZ',
				'pull_protected_users' => false,
			),
		);
		$request = new WP_REST_Request( 'POST', '/tagbridge/v1/settings' );
		$request->set_header( 'Content-Type', 'application/json' );
		$request->set_body( wp_json_encode( $settings ) );
		$this->assertSame( 200, rest_do_request( $request )->get_status() );
		$data = rest_do_request( new WP_REST_Request( 'GET', '/tagbridge/v1/settings' ) )->get_data();
		$this->assertSame( $settings['fields'], $data['settings']['fields'] );
		$this->assertSame( $settings['field_sync'], $data['settings']['field_sync'] );
		$this->assertSame( 2, $data['compiled']['fields'] );

		$request->set_body( wp_json_encode( array( 'field_sync' => array( 'format' => array( 'date_format' => 'Y' ) ) ) ) );
		$response = rest_do_request( $request );
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'field_sync.format.date_format', $response->get_data()['data']['path'] );
	}
}
