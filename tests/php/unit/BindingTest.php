<?php
/**
 * The extension's PHP surface on its own (no WordPress): types, answers, and refusals of bad input.
 */

use PHPUnit\Framework\TestCase;
use TagBridge\Ext\InputException;
use TagBridge\Ext\SettingsException;

final class BindingTest extends TestCase {

	private const SITE = array(
		'roles'         => array(
			'administrator' => array( 'name' => 'Administrator', 'capabilities' => array( 'manage_options' => true, 'read' => true ) ),
			'subscriber'    => array( 'name' => 'Subscriber', 'capabilities' => array( 'read' => true ) ),
			'gold'          => array( 'name' => 'Gold', 'capabilities' => array( 'read' => true ) ),
		),
		'fallback_role' => 'subscriber',
	);

	public function test_version_is_the_crate_version(): void {
		preg_match( '/^version = "([^"]+)"/m', file_get_contents( dirname( __DIR__, 3 ) . '/Cargo.toml' ), $m );
		$this->assertSame( $m[1], tagbridge_version() );
	}

	public function test_version_matches_the_plugin_header(): void {
		preg_match( '/^ \* Version:\s+(\S+)/m', file_get_contents( dirname( __DIR__, 3 ) . '/php/tagbridge.php' ), $header );
		preg_match( "/define\( 'TAGBRIDGE_VERSION', '([^']+)' \)/", file_get_contents( dirname( __DIR__, 3 ) . '/php/tagbridge.php' ), $constant );
		$this->assertSame( tagbridge_version(), $header[1] );
		$this->assertSame( tagbridge_version(), $constant[1] );
	}

	public function test_build_info_names_the_php_api_it_was_built_for(): void {
		$info = tagbridge_build_info();
		$this->assertSame( tagbridge_version(), $info['version'] );
		$this->assertSame( self::api(), $info['php_api'] );
		$this->assertContains( $info['profile'], array( 'release', 'debug' ) );
	}

	private static function api(): string {
		// The module API of the running PHP, as `php -i` reports it.
		ob_start();
		phpinfo( INFO_GENERAL );
		$text = ob_get_clean();
		preg_match( '/PHP Extension => (\d+)/', $text, $m );
		return $m[1];
	}

	public function test_compiles_and_caches_by_version(): void {
		$version = 'unit-' . uniqid();
		$this->assertFalse( tagbridge_settings_is_compiled( $version ) );
		$summary = tagbridge_compile_settings( $version, array( 'role_links' => array( array( 'role' => 'gold', 'tag' => 'Gold' ) ) ), self::SITE );
		$this->assertSame( $version, $summary['version'] );
		$this->assertSame( 1, $summary['role_links'] );
		$this->assertSame( array( 'administrator' ), $summary['protected_roles'] );
		$this->assertContains( 'manage_options', $summary['protected_capabilities'] );
		$this->assertContains( 'promote_users', $summary['protected_capabilities'] );
		$this->assertSame( 'subscriber', $summary['fallback_role'] );
		$this->assertTrue( tagbridge_settings_is_compiled( $version ) );
	}

	public function test_accepts_json_text(): void {
		$summary = tagbridge_compile_settings( 'json', '{"role_links":[{"role":"gold","tag":"Gold"}]}', self::SITE );
		$this->assertSame( 1, $summary['role_links'] );
	}

	/**
	 * @dataProvider bad_settings
	 */
	public function test_bad_settings_are_refused_naming_the_entry( $settings, string $class, string $message ): void {
		try {
			tagbridge_compile_settings( 'bad-' . uniqid(), $settings, self::SITE );
			$this->fail( 'no exception' );
		} catch ( \TagBridge\Ext\Exception $e ) {
			$this->assertInstanceOf( $class, $e );
			$this->assertStringStartsWith( $message, $e->getMessage() );
		}
	}

	public static function bad_settings(): array {
		$deep = 1;
		for ( $i = 0; $i < 40; $i++ ) {
			$deep = array( $deep );
		}
		$cyclic        = array();
		$cyclic['me']  = &$cyclic;
		return array(
			'unknown role in a link' => array( array( 'role_links' => array( array( 'role' => 'platinum', 'tag' => 'P' ) ) ), SettingsException::class, 'role_links[0].role: unknown role "platinum"' ),
			'duplicate link'         => array( array( 'role_links' => array( array( 'role' => 'gold', 'tag' => 'A' ), array( 'role' => 'gold', 'tag' => 'B' ) ) ), SettingsException::class, 'role_links[1]: duplicate link' ),
			'unknown field type'     => array( array( 'fields' => array( array( 'key' => 'phone', 'crm_field' => 'Phone', 'type' => 'phone' ) ) ), SettingsException::class, 'fields[0].type: unknown field type "phone"' ),
			'duplicate field'        => array( array( 'fields' => array( array( 'key' => 'a', 'crm_field' => 'A', 'type' => 'text' ), array( 'key' => 'a', 'crm_field' => 'B', 'type' => 'text' ) ) ), SettingsException::class, 'fields[1]: duplicate field' ),
			'password mapped'        => array( array( 'fields' => array( array( 'key' => 'user_pass', 'crm_field' => 'pw', 'type' => 'text' ) ) ), SettingsException::class, 'fields[0].key: "user_pass" cannot be mapped' ),
			'unknown key'            => array( array( 'rolelinks' => array() ), SettingsException::class, 'rolelinks: unknown key' ),
			'wrong type in entry'    => array( array( 'role_links' => array( array( 'role' => 'gold', 'tag' => 7 ) ) ), SettingsException::class, 'role_links[0].tag: expected a string, got number 7' ),
			'non-UTF-8 value'        => array( array( 'role_links' => array( array( 'role' => 'gold', 'tag' => "\xff\xfe" ) ) ), InputException::class, 'settings[role_links][0][tag]: is not valid UTF-8' ),
			'non-UTF-8 key'          => array( array( "\xc3\x28" => 1 ), InputException::class, 'settings: has a key that is not valid UTF-8' ),
			'non-UTF-8 JSON text'    => array( "{\"a\":\"\xff\"}", InputException::class, 'settings: is not valid UTF-8' ),
			'broken JSON'            => array( '{"role_links": [', InputException::class, 'settings: is not valid JSON' ),
			'object inside'          => array( array( 'role_links' => array( new stdClass() ) ), InputException::class, 'settings[role_links][0]: must be plain data' ),
			'nested too deep'        => array( $deep, InputException::class, 'settings[0][0][0]' ),
			'cyclic reference'       => array( $cyclic, InputException::class, 'settings[me][me]' ),
			'huge array'             => array( range( 1, 250000 ), InputException::class, 'settings: has more than 200000 elements' ),
			'NAN'                    => array( array( 'revision' => NAN ), InputException::class, 'settings[revision]: is not a finite number' ),
			'a number'               => array( 42, InputException::class, 'settings: must be an array or a JSON string' ),
			'null'                   => array( null, InputException::class, 'settings: must be an array or a JSON string' ),
		);
	}

	public function test_bad_site_facts_are_refused(): void {
		$this->expectException( InputException::class );
		$this->expectExceptionMessage( 'site.roles.gold: expected a map' );
		tagbridge_compile_settings( 'site', array(), array( 'roles' => array( 'gold' => 'yes' ) ) );
	}

	/**
	 * Wrong PHP types never reach the core: ext-php-rs raises TypeError.
	 */
	public function test_wrong_argument_types_raise_type_error(): void {
		foreach ( array( array( 5, array(), array() ), array( array(), array(), array() ), array( "\xff", array(), array() ) ) as $args ) {
			try {
				tagbridge_compile_settings( ...$args );
				$this->fail( 'no TypeError' );
			} catch ( TypeError $e ) {
				$this->assertStringContainsString( 'version', $e->getMessage() );
			}
		}
		$this->expectException( ArgumentCountError::class );
		tagbridge_compile_settings( 'x' ); // phpcs:ignore
	}

	public function test_a_rust_panic_becomes_a_php_error_and_php_carries_on(): void {
		try {
			tagbridge_debug_panic( 'deliberate' );
			$this->fail( 'no Error' );
		} catch ( \Error $e ) {
			$this->assertSame( 'Rust panic: deliberate', $e->getMessage() );
		}
		$this->assertSame( tagbridge_version(), tagbridge_build_info()['version'], 'the extension still answers after a panic' );
	}

	public function test_refused_settings_leave_the_cache_unchanged(): void {
		$version = 'keep-' . uniqid();
		try {
			tagbridge_compile_settings( $version, array( 'role_links' => array( array( 'role' => 'nope', 'tag' => 'x' ) ) ), self::SITE );
		} catch ( SettingsException $e ) {
			$this->assertFalse( tagbridge_settings_is_compiled( $version ) );
			return;
		}
		$this->fail( 'no exception' );
	}

	public function test_no_zend_heap_growth_over_many_calls(): void {
		$settings = array( 'role_links' => array( array( 'role' => 'gold', 'tag' => 'Gold' ) ) );
		for ( $i = 0; $i < 200; $i++ ) { // Warm up allocator caches.
			tagbridge_compile_settings( 'leak', $settings, self::SITE );
			try {
				tagbridge_compile_settings( 'leak-bad', array( 'x' => 1 ), self::SITE );
			} catch ( SettingsException $e ) {
				unset( $e );
			}
		}
		$before = memory_get_usage();
		for ( $i = 0; $i < 2000; $i++ ) {
			tagbridge_compile_settings( 'leak', $settings, self::SITE );
			try {
				tagbridge_compile_settings( 'leak-bad', array( 'x' => 1 ), self::SITE );
			} catch ( SettingsException $e ) {
				unset( $e );
			}
		}
		$this->assertLessThan( 8192, memory_get_usage() - $before );
	}
}
