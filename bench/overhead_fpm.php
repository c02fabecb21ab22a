<?php
/**
 * Benchmark: the CPU TagBridge adds to an ordinary logged-in page view in the configuration sites
 * run — nginx + PHP-FPM with opcache's shared memory (issue 10, item 2; bench/overhead.php
 * measures whole CLI processes instead). Pairs of requests to the home page as a logged-in
 * subscriber, TagBridge active and (as the baseline) dropped from the active plugins, alternating;
 * each worker records its own CPU time (bench/overhead-fpm-mu.php), so other processes on the
 * machine add noise but not their own CPU.
 *
 *   bench/run.sh overhead_fpm [--pairs=400] [--scenario=view|register] [--calibrate=LOOP,QUERIES]
 *
 * --scenario=register: an Ultimate Member registration (bench/lib/um-registration.php, the site of
 * bench/overhead.php, delivery to the CRM removed) instead of the page view.
 *
 * --calibrate=LOOP,QUERIES adds a third request to each pair: TagBridge inactive plus, at shutdown,
 * a tight PHP loop of LOOP iterations and QUERIES trivial queries, so the table shows what that many
 * instructions (callgrind) and queries cost in CPU time on this machine, measured alongside.
 *
 * With TB_BENCH_CALLGRIND=1, bench/run.sh runs the one PHP-FPM worker under callgrind and this
 * script counts the instructions of --pairs requests each way instead (callgrind_control dumps the
 * counts between the two series): exact where the CPU times are noisy.
 */

require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';

$opts     = getopt( '', array( 'pairs::', 'scenario::', 'calibrate::' ) );
$pairs    = max( 10, (int) ( $opts['pairs'] ?? 400 ) );
$register = 'register' === ( $opts['scenario'] ?? 'view' );
$cal      = isset( $opts['calibrate'] ) ? array_map( 'intval', explode( ',', (string) $opts['calibrate'] . ',0' ) ) : null;
$modes    = $cal ? array( 'on', 'off', 'cal' ) : array( 'on', 'off' );
$url   = rtrim( (string) getenv( 'TB_BENCH_URL' ), '/' ) . '/';

require __DIR__ . '/lib/overhead-setup.php';
$form = tb_bench_overhead_setup();
update_option( 'tb_bench_lib', __DIR__ . '/lib' );
$viewer = wp_insert_user(
	array(
		'user_login' => 'tbbench_fpm_viewer',
		'user_pass'  => wp_generate_password( 24 ),
		'user_email' => 'tbbench_fpm_viewer@example.test',
		'role'       => 'subscriber',
	)
);
$viewer  = is_int( $viewer ) ? $viewer : get_user_by( 'login', 'tbbench_fpm_viewer' )->ID;
$expires = time() + DAY_IN_SECONDS;
$token   = WP_Session_Tokens::get_instance( $viewer )->create( $expires );
$cookie  = LOGGED_IN_COOKIE . '=' . rawurlencode( wp_generate_auth_cookie( $viewer, $expires, 'logged_in', $token ) );

wp_mkdir_p( WPMU_PLUGIN_DIR );
copy( __DIR__ . '/overhead-fpm-mu.php', WPMU_PLUGIN_DIR . '/tagbridge-bench-fpm.php' );
$log = WP_CONTENT_DIR . '/tb-bench-cpu.log';

$get = static function ( $mode ) use ( $url, $cookie, $register, $form, $cal ) {
	$headers = $register ? array( 'X-TB-Bench: ' . $mode, 'X-TB-Bench-Do: register', 'X-TB-Bench-Form: ' . $form ) : array( 'X-TB-Bench: ' . $mode, 'Cookie: ' . $cookie );
	if ( 'cal' === $mode ) {
		$headers[] = 'X-TB-Bench-Loop: ' . $cal[0];
		$headers[] = 'X-TB-Bench-Queries: ' . $cal[1];
	}
	$ch = curl_init( $url );
	curl_setopt_array(
		$ch,
		array(
			CURLOPT_HTTPHEADER     => $headers,
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_TIMEOUT        => 30,
		)
	);
	$body = curl_exec( $ch );
	$code = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	curl_close( $ch );
	if ( 200 !== $code || ( ! $register && false === strpos( (string) $body, '</html>' ) ) ) {
		fwrite( STDERR, "page view ($mode) answered $code\n" );
		exit( 1 );
	}
};
// Warm every worker's opcache and WordPress's caches first, then start the log afresh.
for ( $i = 0; $i < 40; $i++ ) {
	$get( $modes[ $i % count( $modes ) ] );
}
file_put_contents( $log, '' );
if ( getenv( 'TB_BENCH_CALLGRIND' ) ) {
	// The one worker's pid, from the line its request logged; its counts are dumped to fpm.PID.out.N.
	$get( 'on' );
	$pid  = (int) explode( ' ', trim( (string) file_get_contents( $log ) ) )[4];
	$dump = static function () use ( $pid ) {
		exec( 'callgrind_control -d ' . $pid . ' 2>&1' );
		$files = array();
		for ( $i = 0; $i < 50 && ! $files; $i++ ) {
			usleep( 200000 );
			$files = glob( getenv( 'TB_BENCH_CALLGRIND_DIR' ) . "/fpm.{$pid}.out.*" );
		}
		natsort( $files );
		$text = (string) file_get_contents( (string) end( $files ) );
		foreach ( $files as $file ) {
			unlink( $file );
		}
		return preg_match( '/^(?:summary|totals):\s*(\d+)/m', $text, $m ) ? (int) $m[1] : 0;
	};
	$dump();
	for ( $i = 0; $i < $pairs; $i++ ) {
		$get( 'on' );
	}
	$on = $dump();
	for ( $i = 0; $i < $pairs; $i++ ) {
		$get( 'off' );
	}
	$off = $dump();
	if ( $cal ) {
		for ( $i = 0; $i < $pairs; $i++ ) {
			$get( 'cal' );
		}
		$cal_instr = $dump();
	}
	unlink( WPMU_PLUGIN_DIR . '/tagbridge-bench-fpm.php' );
	printf( "\n%s under nginx + PHP-FPM (opcache shared memory), the worker under callgrind, %d requests each way\n\n", $register ? 'Ultimate Member registration' : 'Logged-in page view', $pairs );
	printf( "| %-30s | %16s |\n", 'requests', 'instr/request' );
	printf( "|%s|%s|\n", str_repeat( '-', 32 ), str_repeat( '-', 18 ) );
	printf( "| %-30s | %16s |\n| %-30s | %16s |\n", 'TagBridge inactive (baseline)', number_format( $off / $pairs ), 'TagBridge active', number_format( $on / $pairs ) );
	if ( $cal ) {
		printf( "| %-30s | %16s |\n", sprintf( 'baseline + %d-loop, %d queries', $cal[0], $cal[1] ), number_format( $cal_instr / $pairs ) );
	}
	printf( "\nAdded by TagBridge: %s instructions per request.\n", number_format( ( $on - $off ) / $pairs ) );
	if ( $cal ) {
		printf( "Added by the calibration work: %s instructions per request.\n", number_format( ( $cal_instr - $off ) / $pairs ) );
	}
	exit( 0 );
}
for ( $i = 0; $i < $pairs; $i++ ) {
	foreach ( $modes as $mode ) {
		$get( $mode );
	}
}

$cpu = array_fill_keys( $modes, array() );
$sys = $cpu;
foreach ( file( $log, FILE_IGNORE_NEW_LINES ) as $line ) {
	list( $mode, $us, $loaded, $user, , $sys_us ) = explode( ' ', $line );
	if ( ! isset( $cpu[ $mode ] ) || (int) $user !== ( $register ? 0 : $viewer ) || (int) $loaded !== ( 'on' === $mode ? 1 : 0 ) ) {
		fwrite( STDERR, "unexpected request: $line\n" );
		exit( 1 );
	}
	$cpu[ $mode ][] = (int) $us;
	$sys[ $mode ][] = (int) $sys_us;
}
unlink( WPMU_PLUGIN_DIR . '/tagbridge-bench-fpm.php' );

$median = static function ( array $v ) {
	sort( $v );
	return $v[ intdiv( count( $v ), 2 ) ];
};
$mean   = static fn( array $v ) => array_sum( $v ) / count( $v );
$sd     = static function ( array $v ) use ( $mean ) {
	$m = $mean( $v );
	return sqrt( array_sum( array_map( static fn( $x ) => ( $x - $m ) ** 2, $v ) ) / max( 1, count( $v ) - 1 ) );
};
// Requests of one round ran one after the other: the median of their differences is less moved by
// the machine's drift (and by outliers) than the difference of the medians.
$paired    = static function ( $mode ) use ( $cpu, $median ) {
	return $median( array_map( static fn( $a, $b ) => $a - $b, $cpu[ $mode ], $cpu['off'] ) );
};
$diff_mean = $mean( $cpu['on'] ) - $mean( $cpu['off'] );
$diff_se   = sqrt( $sd( $cpu['on'] ) ** 2 / count( $cpu['on'] ) + $sd( $cpu['off'] ) ** 2 / count( $cpu['off'] ) );

printf( "\n%s under nginx + PHP-FPM (opcache shared memory), %d pairs; CPU per request after must-use plugins\n\n", $register ? 'Ultimate Member registration' : 'Logged-in page view', $pairs );
printf( "| %-30s | %12s | %12s | %12s | %14s |\n", 'requests', 'median ms', 'mean ms', 'std dev ms', 'of which sys ms' );
printf( "|%s|%s|%s|%s|%s|\n", str_repeat( '-', 32 ), str_repeat( '-', 14 ), str_repeat( '-', 14 ), str_repeat( '-', 14 ), str_repeat( '-', 16 ) );
$labels = array(
	'off' => 'TagBridge inactive (baseline)',
	'on'  => 'TagBridge active',
	'cal' => $cal ? sprintf( 'baseline + %d-loop, %d queries', $cal[0], $cal[1] ) : '',
);
foreach ( $modes === array( 'on', 'off' ) ? array( 'off', 'on' ) : array( 'off', 'on', 'cal' ) as $mode ) {
	$label = $labels[ $mode ];
	printf( "| %-30s | %12.3f | %12.3f | %12.3f | %14.3f |\n", $label, $median( $cpu[ $mode ] ) / 1000, $mean( $cpu[ $mode ] ) / 1000, $sd( $cpu[ $mode ] ) / 1000, $median( $sys[ $mode ] ) / 1000 );
}
printf( "\nAdded by TagBridge: median %.3f ms, mean %.3f ms ± %.3f ms (standard error), median of the paired differences %.3f ms. Target: under %.1f ms.\n", ( $median( $cpu['on'] ) - $median( $cpu['off'] ) ) / 1000, $diff_mean / 1000, $diff_se / 1000, $paired( 'on' ) / 1000, $register ? 2.0 : 0.2 );
if ( $cal ) {
	printf( "Added by the calibration work: median of the paired differences %.3f ms.\n", $paired( 'cal' ) / 1000 );
}
