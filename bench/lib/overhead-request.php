<?php
/**
 * One request of bench/overhead.php, run in a PHP process of its own (timed, or under callgrind):
 *
 *   php -d extension=... bench/lib/overhead-request.php view|register
 *
 * view:     WordPress's front end renders the home page for the user whose logged-in cookie is in
 *           TB_BENCH_COOKIE_NAME / TB_BENCH_COOKIE; the page is discarded.
 * register: an Ultimate Member registration through form TB_BENCH_FORM, UM's hooks fired in UM's
 *           order as tests/php/integration/FieldPushTest.php's um_register() fires them.
 * The switches (TagBridge off, no delivery, report) are bench/overhead-mu.php's.
 */

$tb_bench_mode = $argv[1] ?? '';
$tb_bench_site = getenv( 'TB_SITE_DIR' );
if ( getenv( 'TB_BENCH_REPORT' ) ) {
	define( 'SAVEQUERIES', true );
}

if ( 'view' === $tb_bench_mode ) {
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['REQUEST_URI']     = '/';
	$_SERVER['SCRIPT_NAME']     = '/index.php';
	$_SERVER['PHP_SELF']        = '/index.php';
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	$_SERVER['SERVER_NAME']     = '127.0.0.1';
	$_COOKIE[ getenv( 'TB_BENCH_COOKIE_NAME' ) ] = getenv( 'TB_BENCH_COOKIE' );
	define( 'WP_USE_THEMES', true );
	// Kept until the end (the report reads its size), then thrown away.
	ob_start( static fn() => '' );
	require $tb_bench_site . '/wp-blog-header.php';
	return;
}
if ( 'register' !== $tb_bench_mode ) {
	fwrite( STDERR, "usage: overhead-request.php view|register\n" );
	exit( 2 );
}

require $tb_bench_site . '/wp-load.php';
require __DIR__ . '/um-registration.php';
tb_bench_um_stand_in();
tb_bench_um_register( (int) getenv( 'TB_BENCH_FORM' ) );
