<?php
/**
 * Installs WordPress into a test bed site and activates TagBridge.
 *
 * Run by `testbed.sh site NAME` (under `php -d extension=...`), with
 *   TB_SITE_DIR   the site's WordPress directory (holds our wp-config.php)
 *   TB_SITE_NAME  the site's name, used in the blog title
 * The database must exist and be empty. Exits non-zero on any failure.
 */

$tb_site_dir  = getenv( 'TB_SITE_DIR' );
$tb_site_name = getenv( 'TB_SITE_NAME' );
if ( ! $tb_site_dir || ! is_file( $tb_site_dir . '/wp-load.php' ) || ! $tb_site_name ) {
	fwrite( STDERR, "install-site.php: set TB_SITE_DIR (a WordPress dir) and TB_SITE_NAME\n" );
	exit( 2 );
}

function tb_fail( $message ) {
	fwrite( STDERR, "install-site.php: $message\n" );
	exit( 1 );
}

// WP_DEBUG_DISPLAY is off, so a fatal error (say, in the plugin while it is
// activated) would only reach debug.log. Say it on stderr too. Registered
// before WordPress, so it runs before WordPress's own shutdown handler.
register_shutdown_function(
	function () {
		$error = error_get_last();
		if ( $error && ( $error['type'] & ( E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_RECOVERABLE_ERROR ) ) ) {
			fwrite( STDERR, "install-site.php: PHP fatal error: {$error['message']} in {$error['file']}:{$error['line']}\n" );
		}
	}
);

// Tell WordPress it is not installed yet (no "install me" redirect, no plugins loaded).
define( 'WP_INSTALLING', true );

require $tb_site_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if ( is_blog_installed() ) {
	tb_fail( 'WordPress is already installed in database ' . DB_NAME . ' (recreate the site)' );
}

// Written before installing so the password is never lost; readable by us only.
$tb_password      = wp_generate_password( 24, false );
$tb_password_file = $tb_site_dir . '/admin-password';
$tb_old_umask     = umask( 0077 );
if ( false === file_put_contents( $tb_password_file, $tb_password . "\n" ) ) {
	tb_fail( "cannot write $tb_password_file" );
}
umask( $tb_old_umask );
chmod( $tb_password_file, 0600 );

// wp_install() mails the admin ("new site"); the test machine has no
// sendmail. Any non-null pre_wp_mail value short-circuits wp_mail().
add_filter( 'pre_wp_mail', '__return_false' );

// wp_install() also probes the (not yet served) site over HTTP to decide on
// pretty permalinks. Fail that at once: we set the structure ourselves below,
// and loading WordPress 6.1's Requests library on PHP 8.2 logs deprecations.
add_filter(
	'pre_http_request',
	function () {
		return new WP_Error( 'tagbridge_testbed_offline', 'no HTTP requests while installing' );
	}
);

$tb_result = wp_install( 'TagBridge test ' . $tb_site_name, 'admin', 'admin@example.test', false, '', $tb_password );
if ( empty( $tb_result['user_id'] ) ) {
	tb_fail( 'wp_install() did not create the admin user' );
}

// Leave "installing" mode so the plugin is activated the way it is on a
// normal site (options cache, hooks, etc.).
wp_installing( false );
wp_cache_flush();

// Pretty permalinks, so /wp-json/ and /%postname%/ work like on a real site.
global $wp_rewrite;
$wp_rewrite->set_permalink_structure( '/%postname%/' );
$wp_rewrite->flush_rules( false ); // soft: no .htaccess, the router does rewriting

switch_theme( 'twentytwentythree' );
if ( get_stylesheet() !== 'twentytwentythree' ) {
	tb_fail( 'could not switch to theme twentytwentythree' );
}

$tb_activation = activate_plugin( 'tagbridge/tagbridge.php' );
if ( is_wp_error( $tb_activation ) ) {
	$tb_message = 'activating tagbridge/tagbridge.php failed: ' . $tb_activation->get_error_message();
	$tb_data    = $tb_activation->get_error_data();
	if ( is_string( $tb_data ) && '' !== $tb_data ) {
		// e.g. 'unexpected_output' carries the output the plugin produced.
		$tb_message .= "\n" . $tb_data;
	}
	tb_fail( $tb_message );
}
if ( ! is_plugin_active( 'tagbridge/tagbridge.php' ) ) {
	tb_fail( 'tagbridge/tagbridge.php is not active after activation' );
}

// The plugin's own rewrite rules are only registered on `init`, which has
// already run in this process without the plugin. Drop the cached rules so
// the first real request rebuilds them with the plugin loaded.
delete_option( 'rewrite_rules' );

exit( 0 );
