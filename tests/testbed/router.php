<?php
/**
 * Router for PHP's built-in web server serving a test bed WordPress site.
 *
 * Does what Apache + WordPress's .htaccess do on a real site:
 *  - existing files are served by the built-in server itself (`return false`):
 *    static files as-is, .php files (wp-login.php, wp-admin/*.php,
 *    wp-cron.php, ...) executed with correct SCRIPT_NAME/PHP_SELF;
 *  - directories get a trailing-slash redirect and their index.php;
 *  - everything else (pretty permalinks, /wp-json/...) goes to /index.php.
 *
 * This file runs in the global scope of every request and WordPress keeps its
 * state in globals, so our variables are prefixed and unset before handing over.
 */

$tb_docroot = rtrim( $_SERVER['DOCUMENT_ROOT'], '/' );
$tb_path    = rawurldecode( explode( '?', $_SERVER['REQUEST_URI'], 2 )[0] );

// Test bed files that live next to WordPress in the site directory, dot files,
// and path tricks are not for the web.
if ( preg_match( '#(^|/)\.|^/(wp-config\.php|debug\.log|admin-password|server\.log|server\.pid|port)$#', $tb_path ) ) {
	http_response_code( 404 );
	header( 'Content-Type: text/plain' );
	echo "Not Found\n";
	return true;
}

$tb_file = $tb_docroot . $tb_path;

if ( is_file( $tb_file ) ) {
	return false;
}

if ( is_dir( $tb_file ) && is_file( rtrim( $tb_file, '/' ) . '/index.php' ) ) {
	if ( substr( $tb_path, -1 ) !== '/' ) {
		// Like Apache's mod_dir; relative URLs in wp-admin need the slash.
		$tb_query = isset( $_SERVER['QUERY_STRING'] ) && '' !== $_SERVER['QUERY_STRING'] ? '?' . $_SERVER['QUERY_STRING'] : '';
		header( 'Location: ' . $tb_path . '/' . $tb_query, true, 301 );
		return true;
	}
	// The built-in server resolves DIR/ to DIR/index.php and runs it.
	return false;
}

// WordPress's front controller, as mod_rewrite would set it up.
$_SERVER['SCRIPT_FILENAME'] = $tb_docroot . '/index.php';
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
unset( $_SERVER['PATH_INFO'], $_SERVER['PATH_TRANSLATED'], $_SERVER['ORIG_PATH_INFO'] );
chdir( $tb_docroot );
unset( $tb_docroot, $tb_path, $tb_file );

require $_SERVER['SCRIPT_FILENAME'];
