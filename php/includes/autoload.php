<?php
/**
 * PSR-4 autoloading of the plugin's classes: TagBridge\Foo\Bar lives in src/Foo/Bar.php (the
 * extension's own classes, TagBridge\Ext\*, come from the extension). Shared by the plugin's main
 * file and uninstall.php, which WordPress runs without loading the plugin.
 *
 * @package TagBridge
 */

defined( 'ABSPATH' ) || exit;

spl_autoload_register(
	static function ( $class ) {
		if ( 0 !== strpos( $class, 'TagBridge\\' ) || 0 === strpos( $class, 'TagBridge\\Ext\\' ) ) {
			return;
		}
		$file = dirname( __DIR__ ) . '/src/' . str_replace( '\\', '/', substr( $class, strlen( 'TagBridge\\' ) ) ) . '.php';
		if ( is_readable( $file ) ) {
			require $file;
		}
	}
);
