<?php
/**
 * The plugin's load-time gate, inside real WordPress.
 */

use TagBridge\Requirements;
use TagBridge\Tests\TestCase;

final class PluginLoadTest extends TestCase {

	public function test_plugin_runs_with_the_matching_extension(): void {
		$this->assertNull( Requirements::problem( tagbridge_version(), TAGBRIDGE_VERSION ) );
		$this->assertTrue( function_exists( 'tagbridge_get_settings' ) );
		$this->assertNotFalse( has_action( 'rest_api_init' ) );
	}

	public function test_version_mismatch_is_explained(): void {
		$problem = Requirements::problem( '0.0.1', TAGBRIDGE_VERSION );
		$this->assertSame( 'mismatch:0.0.1', $problem );
		$this->assertStringContainsString( 'is version 0.0.1', Requirements::message( $problem ) );
		$this->assertStringContainsString( 'this plugin is version ' . TAGBRIDGE_VERSION, Requirements::message( $problem ) );
	}

	/**
	 * WordPress loaded in a PHP process without the extension: one notice for administrators, no
	 * PHP warning or fatal, and none of the plugin's API or hooks.
	 */
	public function test_without_the_extension_only_a_notice_shows(): void {
		$log_file = WP_CONTENT_DIR . '/../debug.log';
		$log_size = file_exists( $log_file ) ? filesize( $log_file ) : 0;
		$admin    = $this->create_user( 'administrator' );
		$code     = self::load_wordpress_code() . sprintf(
			'
			echo "loaded:", extension_loaded("tagbridge") ? "yes" : "no", "\n";
			echo "api:", function_exists("tagbridge_get_settings") ? "yes" : "no", "\n";
			echo "rest:", has_action("rest_api_init", array("TagBridge\\\\Plugin", "boot")) ? "yes" : "no", "\n";
			wp_set_current_user( %d );
			ob_start(); do_action( "admin_notices" ); $html = ob_get_clean();
			echo "shown:", substr_count( $html, "TagBridge is paused" ), "\n";
			wp_set_current_user( 0 );
			ob_start(); do_action( "admin_notices" ); $anon = ob_get_clean();
			echo "anon:", substr_count( $anon, "TagBridge" ), "\n";
			',
			$admin
		);
		list( $exit, $out ) = $this->run_php( $code, false );
		$this->assertSame( 0, $exit, $out );
		$this->assertStringContainsString( "loaded:no\napi:no\nrest:no\nshown:1\nanon:0", $out );
		$this->assertDoesNotMatchRegularExpression( '/(Warning|Notice|Fatal error|Deprecated): /', $out );
		clearstatcache();
		$new_log = file_exists( $log_file ) ? (string) file_get_contents( $log_file, false, null, $log_size ) : '';
		// Only our own lines count: the served site may log WordPress 6.1 core deprecations meanwhile,
		// and the test bed's own path contains "tagbridge".
		$ours = preg_grep( '#plugins/tagbridge/|TagBridge\\\\#i', explode( "\n", $new_log ) );
		$this->assertSame( array(), array_values( $ours ), 'debug.log: ' . $new_log );
	}
}
