<?php
/**
 * Benchmark: reconcile a whole site after a link change (issue 3; issue 10 item 1).
 *
 * Creates N real users (bulk rows in the real users/usermeta/tag tables) holding some of 20
 * linked roles, with tags spread realistically (most linked roles have their tag, a few tags have
 * no role), then times TagBridge's reconcile job (tags are the truth: roles follow) — a dry run
 * and the applying run — against a baseline doing the same work the way WP Fusion does: per user,
 * tags read from serialized `wpf_tags` usermeta, WP_User loaded, add_role/remove_role per link.
 * The baseline runs on its own identically generated users (fewer by default: it is slow) and is
 * compared per user.
 *
 *   bench/run.sh reconcile [--users=100000] [--baseline-users=10000] [--links=20]
 */

require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';
require __DIR__ . '/../tests/php/support/BulkUsers.php';

use TagBridge\Plugin;
use TagBridge\Tests\BulkUsers;

$opts     = getopt( '', array( 'users::', 'baseline-users::', 'links::' ) );
$users    = (int) ( $opts['users'] ?? 100000 );
$baseline = (int) ( $opts['baseline-users'] ?? 10000 );
$nlinks   = (int) ( $opts['links'] ?? 20 );

$roles = array();
$links = array();
for ( $r = 0; $r < $nlinks; $r++ ) {
	$roles[ $r ] = 'bench_role_' . $r;
	add_role( $roles[ $r ], 'Bench ' . $r, array( 'read' => true ) );
	$links[] = array(
		'role' => $roles[ $r ],
		'tag'  => 'Bench Tag ' . $r,
	);
}
update_option( 'default_role', 'subscriber' );
$ok = tagbridge_update_settings( array( 'role_links' => $links ) );
if ( true !== $ok ) {
	fwrite( STDERR, $ok->get_error_message() . "\n" );
	exit( 1 );
}

/**
 * The population: user i's roles and tags, deterministic per i.
 *
 * @return array{0: string[], 1: string[]}
 */
function bench_user( int $i, array $roles ): array {
	mt_srand( $i * 7919 + 1 );
	$held = array();
	$n    = 1 + ( mt_rand( 0, 99 ) < 30 ? 1 : 0 ) + ( mt_rand( 0, 99 ) < 10 ? 1 : 0 );
	while ( count( $held ) < $n ) {
		$held[ mt_rand( 0, count( $roles ) - 1 ) ] = true;
	}
	$user_roles = array();
	$tags       = array();
	foreach ( $roles as $r => $role ) {
		if ( isset( $held[ $r ] ) ) {
			$user_roles[] = $role;
			if ( mt_rand( 0, 99 ) < 95 ) {
				$tags[] = 'Bench Tag ' . $r; // Most role holders have the tag.
			}
		} elseif ( mt_rand( 0, 999 ) < 3 ) {
			$tags[] = 'Bench Tag ' . $r; // A few have a tag and not (yet) its role.
		}
	}
	if ( 0 === $i % 2 ) {
		$user_roles[] = 'subscriber';
	}
	return array( $user_roles, $tags );
}

$t0  = microtime( true );
BulkUsers::create( 'bench_tb_', $users, fn( $i ) => bench_user( $i, $roles )[0], fn( $i ) => bench_user( $i, $roles )[1] );
$setup = microtime( true ) - $t0;

// ---- TagBridge: the reconcile job, in pages of ReconcileJob::PAGE users --------------------------
$job  = Plugin::instance()->reconcile;
$time = static function ( callable $work ) {
	global $bench_rss;
	wp_cache_flush();
	memory_reset_peak_usage();
	// Linux: "5" resets the process's peak resident size (VmHWM), read again after the run.
	file_put_contents( '/proc/self/clear_refs', '5' );
	$base = memory_get_usage();
	$t    = microtime( true );
	$out  = $work();
	// Role changes leave notes for linked sites, sent at the end of the request: count that work too.
	Plugin::instance()->sites->sync->flush();
	$elapsed     = microtime( true ) - $t;
	$bench_rss[] = preg_match( '/VmHWM:\s+(\d+)/', (string) file_get_contents( '/proc/self/status' ), $m ) ? (int) $m[1] * 1024 : 0;
	return array( $elapsed, memory_get_peak_usage() - $base, $out );
};
$bench_rss = array();
$run = static function ( $state ) use ( $job ) {
	while ( 'running' === $state['status'] ) {
		$state = $job->step( 60.0 );
	}
	return $state;
};
[ $dry_s, $dry_mem, $dry ]       = $time( fn() => $run( $job->start( 'tags', true, null ) ) );
[ $apply_s, $apply_mem, $apply ] = $time( fn() => $run( $job->start( 'tags', false, null, $dry['id'] ) ) );
$role_changes = array_sum( $apply['counts']['add_roles'] ) + array_sum( $apply['counts']['remove_roles'] );
[ $again_s, , $again ] = $time( fn() => $run( $job->start( 'tags', true, null ) ) );

// ---- Baseline: WP Fusion's way (per user: serialized tags meta, WP_User, add/remove_role) -------
global $wpdb;
$ids = BulkUsers::create( 'bench_wpf_', $baseline, fn( $i ) => bench_user( $i, $roles )[0], fn( $i ) => array() );
$meta = array();
foreach ( $ids as $k => $id ) {
	$meta[] = $wpdb->prepare( '(%d, %s, %s)', $id, 'wpf_tags', serialize( bench_user( $k, $roles )[1] ) );
	if ( count( $meta ) >= 1000 || $k === count( $ids ) - 1 ) {
		$wpdb->query( "INSERT INTO {$wpdb->usermeta} (user_id, meta_key, meta_value) VALUES " . implode( ',', $meta ) );
		$meta = array();
	}
}
$role_for_tag = array_column( $links, 'role', 'tag' );
[ $base_s, $base_mem, $base_changes ] = $time(
	static function () use ( $ids, $role_for_tag ) {
		$changes = 0;
		foreach ( $ids as $id ) {
			$user = get_userdata( $id );
			if ( user_can( $user, 'manage_options' ) ) {
				continue;
			}
			$tags = (array) get_user_meta( $id, 'wpf_tags', true );
			foreach ( $role_for_tag as $tag => $role ) {
				$has_tag  = in_array( $tag, $tags, true );
				$has_role = in_array( $role, $user->roles, true );
				if ( $has_tag && ! $has_role ) {
					$user->add_role( $role );
					++$changes;
				} elseif ( ! $has_tag && $has_role ) {
					$user->remove_role( $role );
					++$changes;
					if ( ! $user->roles ) {
						$user->add_role( get_option( 'default_role' ) );
						++$changes;
					}
				}
			}
		}
		return $changes;
	}
);
BulkUsers::remove( 'bench_tb_' );
BulkUsers::remove( 'bench_wpf_' );

// ---- Table ---------------------------------------------------------------------------------------
$per_ours = $apply_s / max( 1, $apply['processed'] ) * 1e6;
$per_base = $base_s / max( 1, count( $ids ) ) * 1e6;
$rows     = array(
	array( 'TagBridge dry run (plan only)', $dry['processed'], $dry['users_changed'], '-', $dry_s, $dry_s / max( 1, $dry['processed'] ) * 1e6, $dry_mem, $bench_rss[0] ),
	array( 'TagBridge reconcile (plan + apply)', $apply['processed'], $apply['users_changed'], $role_changes, $apply_s, $per_ours, $apply_mem, $bench_rss[1] ),
	array( 'TagBridge second dry run (converged)', $again['processed'], $again['users_changed'], '-', $again_s, $again_s / max( 1, $again['processed'] ) * 1e6, 0, $bench_rss[2] ),
	array( 'Baseline, WP Fusion way (per user)', count( $ids ), '-', $base_changes, $base_s, $per_base, $base_mem, $bench_rss[3] ),
);
printf( "\nReconcile after a link change: %d users, %d linked roles, tags are the truth (setup %.1f s)\n\n", $users, $nlinks, $setup );
printf( "| %-38s | %8s | %8s | %8s | %8s | %9s | %9s | %9s |\n", 'run', 'users', 'changed', 'role ops', 'seconds', 'µs/user', 'peak MB', 'peak RSS' );
printf( "|%s|%s|%s|%s|%s|%s|%s|%s|\n", str_repeat( '-', 40 ), str_repeat( '-', 10 ), str_repeat( '-', 10 ), str_repeat( '-', 10 ), str_repeat( '-', 10 ), str_repeat( '-', 11 ), str_repeat( '-', 11 ), str_repeat( '-', 11 ) );
foreach ( $rows as $row ) {
	printf( "| %-38s | %8s | %8s | %8s | %8.2f | %9.1f | %9.1f | %9.1f |\n", $row[0], $row[1], $row[2], $row[3], $row[4], $row[5], $row[6] / 1048576, $row[7] / 1048576 );
}
printf( "\nBaseline extrapolated to %d users: %.1f s. Speed-up per user (baseline / TagBridge plan + apply): %.1fx\n", $users, $per_base * $users / 1e6, $per_base / max( 0.001, $per_ours ) );
