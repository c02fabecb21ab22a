<?php
/**
 * Benchmark: what TagBridge adds to a request (issue 10, item 2) — an ordinary logged-in page
 * view and an Ultimate Member registration (all of TagBridge's hooks, delivery to the CRM
 * excluded), each run as a whole PHP process with TagBridge active and, as the baseline, inactive.
 *
 *   bench/run.sh overhead [--runs=15] [--opcache=file,off]
 *
 * Per scenario: instructions of the whole process under callgrind (the median of three runs,
 * reproducible on a shared machine), the best CPU time (user + system, getrusage of the children)
 * of --runs runs, and the queries whose caller stack names TagBridge (SAVEQUERIES, in a separate
 * run). Instructions are turned into time with the instructions per CPU second of the same process
 * measured here.
 * --opcache: "file" caches compiled scripts across processes (opcache's file cache, the closest a
 * CLI process comes to a PHP-FPM worker's shared opcache); "off" compiles every file every time.
 * The child processes are bench/lib/overhead-request.php, steered through bench/overhead-mu.php.
 */

require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require __DIR__ . '/lib/overhead-setup.php';

$opts    = getopt( '', array( 'runs::', 'opcache::' ) );
$runs    = max( 1, (int) ( $opts['runs'] ?? 15 ) );
$opcache = array_filter( explode( ',', (string) ( $opts['opcache'] ?? 'file,off' ) ) );

// ---- Settings: 4 role links, 10 mapped fields, a UM registration form with 2 tags ---------------
$form = tb_bench_overhead_setup();

// ---- The logged-in subscriber of the page view, with a session and its logged-in cookie ---------
$viewer = wp_insert_user(
	array(
		'user_login' => 'tbbench_viewer',
		'user_pass'  => wp_generate_password( 24 ),
		'user_email' => 'tbbench_viewer@example.test',
		'role'       => 'subscriber',
	)
);
if ( ! is_int( $viewer ) ) {
	fwrite( STDERR, $viewer->get_error_message() . "\n" );
	exit( 1 );
}
$expires = time() + DAY_IN_SECONDS;
$token   = WP_Session_Tokens::get_instance( $viewer )->create( $expires );
$cookie  = wp_generate_auth_cookie( $viewer, $expires, 'logged_in', $token );

wp_mkdir_p( WPMU_PLUGIN_DIR );
copy( __DIR__ . '/overhead-mu.php', WPMU_PLUGIN_DIR . '/tagbridge-bench-overhead.php' );
$cache_dir = get_temp_dir() . 'tagbridge-bench-opcache-' . getmypid();
wp_mkdir_p( $cache_dir );

/**
 * Runs one child request and waits for it.
 *
 * @param string   $mode    view|register.
 * @param bool     $on      Whether TagBridge is active.
 * @param string   $opcache file|off.
 * @param array    $env     Extra environment.
 * @param string[] $wrap    Command the PHP process runs under (valgrind), or none.
 */
function bench_child( string $mode, bool $on, string $opcache, array $env = array(), array $wrap = array() ): void {
	global $cookie, $form, $cache_dir;
	$ini = 'file' === $opcache
		? array( '-d', 'opcache.enable_cli=1', '-d', 'opcache.file_cache=' . $cache_dir, '-d', 'opcache.file_cache_only=1' )
		: array( '-d', 'opcache.enable_cli=0' );
	$cmd = array_merge( $wrap, array( PHP_BINARY, '-d', 'extension=' . getenv( 'TB_EXT' ) ), $ini, array( __DIR__ . '/lib/overhead-request.php', $mode ) );
	$env = array_merge(
		getenv(),
		array(
			'TB_BENCH_NO_DELIVERY' => '1',
			'TB_BENCH_COOKIE_NAME' => LOGGED_IN_COOKIE,
			'TB_BENCH_COOKIE'      => $cookie,
			'TB_BENCH_FORM'        => (string) $form,
		),
		$on ? array() : array( 'TB_BENCH_OFF' => '1' ),
		$env
	);
	$err  = tempnam( get_temp_dir(), 'tbbench' );
	$proc = proc_open( $cmd, array( array( 'file', '/dev/null', 'r' ), array( 'file', '/dev/null', 'w' ), array( 'file', $err, 'w' ) ), $pipes, null, $env );
	$rc   = proc_close( $proc );
	$text = (string) file_get_contents( $err );
	unlink( $err );
	if ( 0 !== $rc ) {
		fwrite( STDERR, "child $mode (TagBridge " . ( $on ? 'on' : 'off' ) . ", opcache $opcache) failed ($rc): $text\n" );
		exit( 1 );
	}
}

/** CPU seconds (user + system) of this process's waited-for children so far. */
function bench_children_cpu(): float {
	$u = getrusage( 1 );
	return $u['ru_utime.tv_sec'] + $u['ru_stime.tv_sec'] + ( $u['ru_utime.tv_usec'] + $u['ru_stime.tv_usec'] ) / 1e6;
}

$results = array();
foreach ( $opcache as $cache ) {
	foreach ( array( 'view', 'register' ) as $mode ) {
		$r = array();
		foreach ( array( false, true ) as $on ) {
			$key  = $on ? 'on' : 'off';
			$file = tempnam( get_temp_dir(), 'tbbench' );
			bench_child( $mode, $on, $cache, array( 'TB_BENCH_REPORT' => $file ) );
			$r[ $key ]['report'] = json_decode( (string) file_get_contents( $file ), true );
			unlink( $file );
			bench_child( $mode, $on, $cache ); // Warm-up: opcache's file cache, the database's buffers.

			// The median of three: a page view's count moves by up to ~1M between runs (cron and
			// transient checks, session validation), as much as what is being measured.
			$counts = array();
			for ( $k = 0; $k < 3; $k++ ) {
				$out = tempnam( get_temp_dir(), 'tbbench' );
				bench_child( $mode, $on, $cache, array(), array( 'valgrind', '--tool=callgrind', '--callgrind-out-file=' . $out ) );
				preg_match( '/^summary:\s+(\d+)/m', (string) file_get_contents( $out ), $m );
				unlink( $out );
				$counts[] = (int) ( $m[1] ?? 0 );
			}
			sort( $counts );
			$r[ $key ]['instr']  = $counts[1];
			$r[ $key ]['spread'] = $counts[2] - $counts[0];
			$r[ $key ]['cpu']    = INF;
		}
		// Timed runs alternate with and without TagBridge, so both see the same machine load.
		for ( $i = 0; $i < $runs; $i++ ) {
			foreach ( array( 'off' => false, 'on' => true ) as $key => $on ) {
				$t = bench_children_cpu();
				bench_child( $mode, $on, $cache );
				$r[ $key ]['cpu'] = min( $r[ $key ]['cpu'], bench_children_cpu() - $t );
			}
		}
		$results[ $cache ][ $mode ] = $r;
	}
}
unlink( WPMU_PLUGIN_DIR . '/tagbridge-bench-overhead.php' );
$cached = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $cache_dir, FilesystemIterator::SKIP_DOTS ), RecursiveIteratorIterator::CHILD_FIRST );
foreach ( $cached as $entry ) {
	$entry->isDir() ? rmdir( $entry->getPathname() ) : unlink( $entry->getPathname() );
}
rmdir( $cache_dir );
foreach ( get_users( array( 'search' => 'tbbench_*', 'search_columns' => array( 'user_login' ), 'fields' => 'ID' ) ) as $id ) {
	wp_delete_user( (int) $id );
}

// ---- Table ---------------------------------------------------------------------------------------
$labels  = array(
	'view'     => 'logged-in page view',
	'register' => 'UM registration',
);
$targets = array(
	'view'     => 0.2,
	'register' => 2.0,
);
printf( "\nRequest overhead: whole PHP processes with TagBridge inactive / active; %d timed runs each, best CPU time\n\n", $runs );
printf( "| %-32s | %13s | %13s | %11s | %7s | %8s | %8s | %7s | %7s | %-16s | %4s |\n", 'scenario (opcache)', 'instr without', 'instr with', 'difference', 'est. ms', 'CPU ms -', 'CPU ms +', 'CPU +ms', 'TB qry', 'target', 'met' );
printf( "|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", str_repeat( '-', 34 ), str_repeat( '-', 15 ), str_repeat( '-', 15 ), str_repeat( '-', 13 ), str_repeat( '-', 9 ), str_repeat( '-', 10 ), str_repeat( '-', 10 ), str_repeat( '-', 9 ), str_repeat( '-', 9 ), str_repeat( '-', 18 ), str_repeat( '-', 6 ) );
$notes = array();
foreach ( $results as $cache => $modes ) {
	foreach ( $modes as $mode => $r ) {
		$ips     = $r['on']['instr'] / $r['on']['cpu']; // Instructions per CPU second of this very process.
		$diff    = $r['on']['instr'] - $r['off']['instr'];
		$est_ms  = $diff / $ips * 1000;
		$queries = count( $r['on']['report']['tagbridge'] );
		$met     = $est_ms < $targets[ $mode ] && ( 'register' === $mode || 0 === $queries );
		$target  = sprintf( '< %.1f ms', $targets[ $mode ] ) . ( 'view' === $mode ? ', 0 qry' : '' );
		printf(
			"| %-32s | %13s | %13s | %11s | %7.3f | %8.2f | %8.2f | %7.2f | %7d | %-16s | %4s |\n",
			$labels[ $mode ] . " ($cache)",
			number_format( $r['off']['instr'] ),
			number_format( $r['on']['instr'] ),
			number_format( $diff ),
			$est_ms,
			$r['off']['cpu'] * 1000,
			$r['on']['cpu'] * 1000,
			( $r['on']['cpu'] - $r['off']['cpu'] ) * 1000,
			$queries,
			$target,
			$met ? 'yes' : 'no'
		);
		$notes[] = sprintf(
			'%s (%s): %.0f M instructions per CPU second; callgrind spread of 3 runs %s / %s; %d / %d queries in all; user %d / %d; page %d / %d bytes, footer %d / %d; TagBridge loaded %s / %s',
			$labels[ $mode ],
			$cache,
			$ips / 1e6,
			number_format( $r['off']['spread'] ),
			number_format( $r['on']['spread'] ),
			$r['off']['report']['queries'],
			$r['on']['report']['queries'],
			$r['off']['report']['user'],
			$r['on']['report']['user'],
			$r['off']['report']['page_bytes'],
			$r['on']['report']['page_bytes'],
			$r['off']['report']['footer'],
			$r['on']['report']['footer'],
			$r['off']['report']['tagbridge_loaded'] ? 'yes' : 'no',
			$r['on']['report']['tagbridge_loaded'] ? 'yes' : 'no'
		);
		foreach ( $r['on']['report']['tagbridge'] as $query ) {
			$notes[] = '    TagBridge query: ' . preg_replace( '/\s+/', ' ', $query['sql'] ) . '  <- ' . $query['caller'];
		}
	}
}
echo "\n(without / with TagBridge)\n" . implode( "\n", $notes ) . "\n";
