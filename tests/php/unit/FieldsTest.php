<?php
/**
 * The field planners through the PHP boundary: PHP values in (including the odd ones WordPress
 * meta holds), payloads and writes out, refusals of malformed calls.
 */

use PHPUnit\Framework\TestCase;
use TagBridge\Ext\InputException;
use TagBridge\Ext\NotCompiledException;
use TagBridge\Ext\SettingsException;

final class FieldsTest extends TestCase {

	private const VERSION = 'fields-test';

	private const SITE = array(
		'roles'         => array(
			'administrator' => array( 'capabilities' => array( 'manage_options' => true ) ),
			'subscriber'    => array( 'capabilities' => array( 'read' => true ) ),
		),
		'fallback_role' => 'subscriber',
	);

	public static function setUpBeforeClass(): void {
		tagbridge_compile_settings(
			self::VERSION,
			array(
				'fields'     => array(
					array( 'key' => 'first_name', 'crm_field' => 'first', 'type' => 'text', 'direction' => 'both', 'source' => 'wordpress' ),
					array( 'key' => 'birthday', 'crm_field' => 'dob', 'type' => 'date', 'direction' => 'both', 'source' => 'ultimate_member' ),
					array( 'key' => 'interests', 'crm_field' => 'tags_of_interest', 'type' => 'multiselect', 'direction' => 'both', 'source' => 'ultimate_member' ),
					array( 'key' => 'wpum_newsletter', 'crm_field' => 'newsletter', 'type' => 'checkbox', 'direction' => 'both', 'source' => 'wp_user_manager' ),
					array( 'key' => 'phone', 'crm_field' => 'phone', 'type' => 'tel' ),
					array( 'key' => 'visits', 'crm_field' => 'visits', 'type' => 'int' ),
				),
				'field_sync' => array( 'default_country' => 'GB' ),
			),
			self::SITE
		);
	}

	private static function context( array $extra = array() ): array {
		return array_merge( array( 'site_offset' => 3600 ), $extra );
	}

	public function test_push_formats_every_mapped_value_and_logs_the_bad_one(): void {
		$plan = tagbridge_fields_push(
			self::VERSION,
			array(
				'first_name'      => 'Jane',
				'birthday'        => '1990/05/04',
				'interests'       => array( 'Jazz', 'Hiking' ),
				'wpum_newsletter' => true,
				'phone'           => '020 7946 0958',
				'visits'          => 'many',
				'not_mapped'      => 'ignored',
			),
			array(),
			self::context( array( 'format' => array( 'date_format' => 'Y-m-d H:i:s', 'multiselect_separator' => ';' ) ) )
		);
		$this->assertSame(
			array(
				'dob'              => '1990-05-04 00:00:00',
				'first'            => 'Jane',
				'newsletter'       => true,
				'phone'            => '+442079460958',
				'tags_of_interest' => 'Jazz;Hiking',
			),
			$plan['payload']
		);
		$this->assertCount( 1, $plan['log'] );
		$this->assertSame( array( 'visits', 'visits', 'unparseable' ), array( $plan['log'][0]['key'], $plan['log'][0]['crm_field'], $plan['log'][0]['code'] ) );
	}

	public function test_non_utf8_and_objects_are_reported_per_field_not_thrown(): void {
		$plan = tagbridge_fields_push( self::VERSION, array( 'first_name' => "Jan\xffe", 'phone' => new stdClass(), 'visits' => '3' ), array(), self::context() );
		$this->assertSame( array( 'visits' => 3 ), $plan['payload'] );
		$this->assertSame( array( 'first_name', 'phone' ), array_column( $plan['log'], 'key' ) );
		$this->assertStringContainsString( 'not valid UTF-8', $plan['log'][0]['message'] );
	}

	public function test_unchanged_values_against_the_snapshot_are_not_sent(): void {
		$values = array( 'first_name' => 'Jane', 'visits' => 0 );
		$first  = tagbridge_fields_push( self::VERSION, $values, array(), self::context() );
		$this->assertSame( array( 'first' => 'Jane', 'visits' => 0 ), $first['payload'], 'zero is a value' );
		$this->assertSame( array(), tagbridge_fields_push( self::VERSION, $values, $first['payload'], self::context() )['payload'] );
		$cleared = tagbridge_fields_push( self::VERSION, array( 'first_name' => '' ), $first['payload'], self::context() );
		$this->assertSame( array( 'first' => null ), $cleared['payload'] );
	}

	public function test_pull_writes_what_the_source_plugin_stores(): void {
		$plan = tagbridge_fields_pull(
			self::VERSION,
			array( 'first' => '', 'dob' => '1990-05-04', 'tags_of_interest' => 'Jazz, Hiking', 'newsletter' => '1' ),
			array( 'first_name' => 'Jane', 'birthday' => '', 'interests' => array(), 'wpum_newsletter' => false ),
			self::context( array( 'user' => array( 'exists' => true, 'roles' => array( 'subscriber' ) ) ) )
		);
		$this->assertSame(
			array(
				'birthday'        => '1990/05/04',
				'interests'       => array( 'Jazz', 'Hiking' ),
				'wpum_newsletter' => true,
			),
			$plan['writes']
		);
		$this->assertSame( 'blank_kept', $plan['log'][0]['code'], 'an empty CRM value never blanks WordPress' );
	}

	public function test_pull_leaves_administrators_alone(): void {
		$plan = tagbridge_fields_pull( self::VERSION, array( 'first' => 'Mallory' ), array(), self::context( array( 'user' => array( 'exists' => true, 'roles' => array( 'administrator' ) ) ) ) );
		$this->assertSame( array(), $plan['writes'] );
		$this->assertSame( 'protected_user', $plan['log'][0]['code'] );
	}

	/**
	 * @dataProvider malformed
	 */
	public function test_malformed_calls_are_refused( string $fn, array $args, string $class, string $message ): void {
		try {
			$fn( ...$args );
			$this->fail( 'no exception' );
		} catch ( \TagBridge\Ext\Exception $e ) {
			$this->assertInstanceOf( $class, $e );
			$this->assertStringStartsWith( $message, $e->getMessage() );
		}
	}

	public static function malformed(): array {
		return array(
			'unknown version'  => array( 'tagbridge_fields_push', array( 'nope', array(), array(), array() ), NotCompiledException::class, 'settings version "nope" is not compiled' ),
			'values not array' => array( 'tagbridge_fields_push', array( self::VERSION, 'first_name', array(), array() ), InputException::class, 'values: must be an array' ),
			'bad key'          => array( 'tagbridge_fields_push', array( self::VERSION, array( "k\xff" => 1 ), array(), array() ), InputException::class, 'values: has a key that is not valid UTF-8' ),
			'bad offset'       => array( 'tagbridge_fields_push', array( self::VERSION, array(), array(), array( 'site_offset' => 99999 ) ), InputException::class, 'context.site_offset: must be whole seconds' ),
			'unknown context'  => array( 'tagbridge_fields_push', array( self::VERSION, array(), array(), array( 'offset' => 1 ) ), InputException::class, 'context.offset: unknown key' ),
			'bad profile'      => array( 'tagbridge_fields_push', array( self::VERSION, array(), array(), array( 'format' => array( 'date_format' => 'l jS' ) ) ), InputException::class, 'context.format.date_format: date format' ),
			'snapshot list'    => array( 'tagbridge_fields_push', array( self::VERSION, array(), array( 1, 2 ), array() ), InputException::class, 'snapshot: expected a map' ),
			'pull needs user'  => array( 'tagbridge_fields_pull', array( self::VERSION, array(), array(), array() ), InputException::class, 'context.user: is required' ),
		);
	}

	public function test_bad_field_sync_settings_are_refused(): void {
		$this->expectException( SettingsException::class );
		$this->expectExceptionMessage( 'field_sync.default_country: "XX" is not an ISO 3166-1 alpha-2 country code' );
		tagbridge_compile_settings( 'fields-bad', array( 'field_sync' => array( 'default_country' => 'XX' ) ), self::SITE );
	}
}
