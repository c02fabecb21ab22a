<?php
/**
 * stubs/tagbridge.php must declare exactly what the loaded extension exposes.
 */

use PHPUnit\Framework\TestCase;

final class StubsTest extends TestCase {

	private const MIRROR = 'TagBridgeStubMirror';

	/** Loads the stubs under a mirror namespace so they can sit beside the real declarations. */
	public static function setUpBeforeClass(): void {
		if ( function_exists( self::MIRROR . '\\tagbridge_version' ) ) {
			return;
		}
		$code = file_get_contents( dirname( __DIR__, 3 ) . '/stubs/tagbridge.php' );
		$code = str_replace( 'namespace TagBridge\\Ext {', 'namespace ' . self::MIRROR . '\\TagBridge\\Ext {', $code );
		$code = str_replace( "namespace {\n", 'namespace ' . self::MIRROR . " {\n", $code );
		$code = str_replace( 'extends Exception {', 'extends \\' . self::MIRROR . '\\TagBridge\\Ext\\Exception {', $code );
		eval( '?>' . $code ); // phpcs:ignore Squiz.PHP.Eval -- loading our own stub file under another namespace.
	}

	private static function type( ?ReflectionType $type ): string {
		return null === $type ? '' : str_replace( self::MIRROR . '\\', '', (string) $type );
	}

	private static function describe( ReflectionFunctionAbstract $f ): array {
		$params = array();
		foreach ( $f->getParameters() as $p ) {
			$params[] = array( $p->getName(), self::type( $p->getType() ), $p->isOptional(), $p->isVariadic(), $p->isPassedByReference() );
		}
		return array( 'params' => $params, 'return' => self::type( $f->getReturnType() ) );
	}

	public function test_every_extension_function_has_an_identical_stub(): void {
		$functions = get_extension_funcs( 'tagbridge' );
		$this->assertNotEmpty( $functions );
		foreach ( $functions as $name ) {
			$mirror = self::MIRROR . '\\' . $name;
			$this->assertTrue( function_exists( $mirror ), "stubs/tagbridge.php lacks function $name" );
			$this->assertSame( self::describe( new ReflectionFunction( $name ) ), self::describe( new ReflectionFunction( $mirror ) ), "stub of $name differs from the extension" );
			$this->assertNotFalse( ( new ReflectionFunction( $mirror ) )->getDocComment(), "stub of $name has no doc comment" );
		}
	}

	public function test_every_stub_function_exists_in_the_extension(): void {
		$stubbed = array_filter( get_defined_functions()['user'], fn( $f ) => str_starts_with( $f, strtolower( self::MIRROR ) . '\\' ) );
		$this->assertNotEmpty( $stubbed );
		foreach ( $stubbed as $f ) {
			$name = substr( $f, strlen( self::MIRROR ) + 1 );
			$this->assertContains( $name, get_extension_funcs( 'tagbridge' ), "stub declares $name, which the extension does not have" );
		}
	}

	public function test_classes_match(): void {
		$ext_classes = array_values( array_filter( get_declared_classes(), fn( $c ) => ( new ReflectionClass( $c ) )->getExtensionName() === 'tagbridge' ) );
		$this->assertNotEmpty( $ext_classes );
		$stub_classes = array_values( array_filter( get_declared_classes(), fn( $c ) => str_starts_with( $c, self::MIRROR . '\\' ) ) );
		$stub_names   = array_map( fn( $c ) => substr( $c, strlen( self::MIRROR ) + 1 ), $stub_classes );
		sort( $ext_classes );
		sort( $stub_names );
		$this->assertSame( $ext_classes, $stub_names );
		foreach ( $ext_classes as $class ) {
			$real   = new ReflectionClass( $class );
			$mirror = new ReflectionClass( self::MIRROR . '\\' . $class );
			$this->assertSame( self::parent( $real ), self::parent( $mirror ), "parent of $class" );
			$this->assertSame( self::methods( $real ), self::methods( $mirror ), "public methods of $class" );
		}
	}

	private static function parent( ReflectionClass $c ): string {
		return $c->getParentClass() ? str_replace( self::MIRROR . '\\', '', $c->getParentClass()->getName() ) : '';
	}

	private static function methods( ReflectionClass $c ): array {
		$out = array();
		foreach ( $c->getMethods( ReflectionMethod::IS_PUBLIC ) as $m ) {
			if ( $m->getDeclaringClass()->getName() === $c->getName() ) {
				$out[ $m->getName() ] = self::describe( $m );
			}
		}
		ksort( $out );
		return $out;
	}
}
