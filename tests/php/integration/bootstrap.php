<?php
/**
 * Bootstrap of the integration tests: loads a real WordPress site of the test bed (Debian's
 * WordPress package, the private MariaDB server) with the built extension and the plugin active.
 *
 * Run through tests/run.sh, which creates the site and sets TB_SITE_DIR and TB_SITE_URL.
 */

$tb_site_dir = getenv( 'TB_SITE_DIR' );
if ( ! $tb_site_dir || ! is_readable( $tb_site_dir . '/wp-load.php' ) ) {
	fwrite( STDERR, "TB_SITE_DIR must name a test bed site (tests/testbed/testbed.sh site NAME)\n" );
	exit( 1 );
}
if ( ! extension_loaded( 'tagbridge' ) ) {
	fwrite( STDERR, "The tagbridge extension is not loaded\n" );
	exit( 1 );
}

// WordPress reads these when it builds URLs; a CLI process has none.
$tb_url                 = parse_url( (string) getenv( 'TB_SITE_URL' ) );
$_SERVER['HTTP_HOST']   = ( $tb_url['host'] ?? '127.0.0.1' ) . ( isset( $tb_url['port'] ) ? ':' . $tb_url['port'] : '' );
$_SERVER['SERVER_NAME'] = $tb_url['host'] ?? '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';

// Members' and WP User Manager's main classes, which TagBridge looks for, before WordPress loads.
require __DIR__ . '/../support/MembershipPluginMarkers.php';
require $tb_site_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

if ( ! is_plugin_active( 'tagbridge/tagbridge.php' ) ) {
	fwrite( STDERR, "The tagbridge plugin is not active on the test site\n" );
	exit( 1 );
}

// WordPress 6.1's bundled Requests library raises PHP 8.2 deprecations while its classes load.
// They are core's, not ours; load those classes now, before PHPUnit turns deprecations into
// exceptions, with one real request to the served site.
wp_remote_get( (string) getenv( 'TB_SITE_URL' ), array( 'timeout' => 10 ) );

require __DIR__ . '/TestCase.php';
require __DIR__ . '/../support/BulkUsers.php';
require __DIR__ . '/FluentCrmReplay.php';
