<?php
/**
 * Benchmark: the roles ↔ tags engine through the PHP boundary (issue 10, item 5) and the memory
 * the extension adds to a PHP process (item 6), against a pure-PHP implementation of the same rules
 * (bench/lib/PurePhpPlanner.php). Needs no WordPress:
 *
 *   php -d extension=target/release/libtagbridge.so bench/engine.php [--users=20000] [--links=20]
 *   (or bench/run.sh engine)
 */

require __DIR__ . '/lib/PurePhpPlanner.php';

use TagBridge\Bench\PurePhpPlanner;

if ( ! extension_loaded( 'tagbridge' ) ) {
	fwrite( STDERR, "load the extension: php -d extension=target/release/libtagbridge.so bench/engine.php\n" );
	exit( 2 );
}
$opts   = getopt( '', array( 'users::', 'links::' ) );
$n      = (int) ( $opts['users'] ?? 20000 );
$nlinks = (int) ( $opts['links'] ?? 20 );

$caps  = array( 'manage_options', 'promote_users', 'edit_users', 'activate_plugins' );
$roles = array(
	'administrator' => array( 'name' => 'Administrator', 'capabilities' => array( 'manage_options' => true, 'read' => true ) ),
	'subscriber'    => array( 'name' => 'Subscriber', 'capabilities' => array( 'read' => true ) ),
);
$links = array();
for ( $r = 0; $r < $nlinks; $r++ ) {
	$roles[ "role_$r" ] = array( 'name' => "Role $r", 'capabilities' => array( 'read' => true ) );
	$links[]            = array( 'role' => "role_$r", 'tag' => "Tag $r" );
}
$settings = array( 'role_links' => $links, 'protection' => array( 'capabilities' => $caps ) );
$site     = array( 'roles' => $roles, 'fallback_role' => 'subscriber' );
tagbridge_compile_settings( 'bench', $settings, $site );
$php = new PurePhpPlanner( $settings, $site );

// Users: 1–3 linked roles, 95 % of them with the tag, a few stray tags, every 2nd a subscriber.
mt_srand( 42 );
$users = array();
for ( $i = 0; $i < $n; $i++ ) {
	$u = array( 'user_id' => $i + 1, 'roles' => array(), 'tags' => array(), 'caps' => array(), 'super_admin' => false );
	for ( $k = 1 + ( mt_rand( 0, 99 ) < 30 ) + ( mt_rand( 0, 99 ) < 10 ); $k > 0; $k-- ) {
		$r            = mt_rand( 0, $nlinks - 1 );
		$u['roles'][] = "role_$r";
		if ( mt_rand( 0, 99 ) < 95 ) {
			$u['tags'][] = "Tag $r";
		}
	}
	if ( mt_rand( 0, 999 ) < 30 ) {
		$u['tags'][] = 'Tag ' . mt_rand( 0, $nlinks - 1 );
	}
	if ( 0 === $i % 2 ) {
		$u['roles'][] = 'subscriber';
	}
	$u['roles'] = array_values( array_unique( $u['roles'] ) );
	$u['tags']  = array_values( array_unique( $u['tags'] ) );
	$users[]    = $u;
}
$events = array(
	'role change (roles_added)' => array( 'roles_added' => array( 'role_3' ) ),
	'resync from tags'          => array( 'resync' => 'tags' ),
);

$time = static function ( callable $f ) {
	$best = INF;
	for ( $rep = 0; $rep < 3; $rep++ ) { // Best of three: the machine is shared.
		$t    = hrtime( true );
		$out  = $f();
		$best = min( $best, ( hrtime( true ) - $t ) / 1e9 );
	}
	return array( $best, $out );
};

$rows = array();
foreach ( $events as $label => $event ) {
	[ $ext_single, $a ]  = $time( fn() => array_map( fn( $u ) => tagbridge_plan( 'bench', $u, $event ), $users ) );
	[ $php_single, $b ]  = $time( fn() => array_map( fn( $u ) => $php->plan( $u, $event ), $users ) );
	[ $ext_batch, $c ]   = $time( fn() => array_merge( ...array_map( fn( $page ) => tagbridge_plan_batch( 'bench', $page, $event ), array_chunk( $users, 2000 ) ) ) );
	[ $php_batch, $d ]   = $time( fn() => array_values( array_filter( array_map( fn( $u ) => $php->plan( $u, $event ), $users ), fn( $p ) => ! PurePhpPlanner::is_empty( $p ) ) ) );
	$same                = $a === $b && $c === $d;
	$rows[]              = array( $label, 'single calls', $n / $php_single, $n / $ext_single, $php_single / $ext_single, $same );
	$rows[]              = array( $label, 'batches of 2,000', $n / $php_batch, $n / $ext_batch, $php_batch / $ext_batch, $same );
}

printf( "\nRoles <-> tags engine: %d users, %d links, PHP %s (best of 3 runs each)\n\n", $n, $nlinks, PHP_VERSION );
printf( "| %-26s | %-16s | %14s | %14s | %8s | %9s |\n", 'event', 'calls', 'pure PHP pl/s', 'extension pl/s', 'ratio', 'same plan' );
printf( "|%s|%s|%s|%s|%s|%s|\n", str_repeat( '-', 28 ), str_repeat( '-', 18 ), str_repeat( '-', 16 ), str_repeat( '-', 16 ), str_repeat( '-', 10 ), str_repeat( '-', 11 ) );
foreach ( $rows as $r ) {
	printf( "| %-26s | %-16s | %14.0f | %14.0f | %7.2fx | %9s |\n", $r[0], $r[1], $r[2], $r[3], $r[4], $r[5] ? 'yes' : 'NO' );
}

// Memory: resident size of a bare PHP process with and without the extension (and its compiled settings).
$so   = null;
foreach ( explode( "\n", (string) shell_exec( 'cat /proc/' . getmypid() . '/maps' ) ) as $line ) {
	if ( preg_match( '#\s(/\S*tagbridge\S*\.so)$#', $line, $m ) ) {
		$so = $m[1];
		break;
	}
}
$probe = 'preg_match("/VmRSS:\\s+(\\d+)/", file_get_contents("/proc/self/status"), $m); echo $m[1];';
$with_code = ( $so ? 'tagbridge_compile_settings("m", ' . var_export( $settings, true ) . ', ' . var_export( $site, true ) . ');' : '' ) . $probe;
$base  = (int) shell_exec( escapeshellarg( PHP_BINARY ) . ' -n -r ' . escapeshellarg( $probe ) );
$with  = $so ? (int) shell_exec( escapeshellarg( PHP_BINARY ) . ' -n -d extension=' . escapeshellarg( $so ) . ' -r ' . escapeshellarg( $with_code ) ) : 0;
printf( "\nResident memory of a bare PHP CLI process: %d KiB without the extension, %d KiB with it loaded and settings compiled: +%d KiB\n", $base, $with, $with - $base );
