<?php
/**
 * Plugin Name: TagBridge bench: CPU per request under PHP-FPM
 * Description: Copied into the bench site by bench/overhead_fpm.php only. Not part of the plugin.
 *
 * A request with the header `X-TB-Bench: on|off|cal` records the CPU time (user + system, getrusage)
 * its PHP-FPM worker spent from this must-use plugin to the end of the request (and the system
 * part of it), one line per request in wp-content/tb-bench-cpu.log; `off` drops TagBridge from the active plugins first,
 * as if it were deactivated; `cal` is `off` plus a tight loop of X-TB-Bench-Loop iterations and
 * X-TB-Bench-Queries trivial queries at shutdown (calibration). Everything before must-use plugins
 * (WordPress's own boot) is the same either way and is not counted.
 *
 * With `X-TB-Bench-Do: register` and `X-TB-Bench-Form: ID` the request is an Ultimate Member
 * registration instead of a page view (bench/lib/um-registration.php, after `wp_loaded`, with the
 * outbox's delivery to the CRM removed as in bench/overhead.php); it answers nothing.
 */

$tb_bench_mode = isset( $_SERVER['HTTP_X_TB_BENCH'] ) ? (string) $_SERVER['HTTP_X_TB_BENCH'] : '';
if ( 'on' === $tb_bench_mode || 'off' === $tb_bench_mode || 'cal' === $tb_bench_mode ) {
	// [user + system, system] in microseconds.
	$tb_bench_cpu = static function () {
		$u   = getrusage();
		$sys = $u['ru_stime.tv_sec'] * 1e6 + $u['ru_stime.tv_usec'];
		return array( $u['ru_utime.tv_sec'] * 1e6 + $u['ru_utime.tv_usec'] + $sys, $sys );
	};
	$tb_bench_start = $tb_bench_cpu();
	if ( 'cal' === $tb_bench_mode ) {
		// Calibration: TagBridge inactive, plus known work at shutdown (a tight loop and trivial
		// queries), to tell what an instruction and a query cost on this machine.
		add_action(
			'shutdown',
			static function () {
				$sum = 0;
				for ( $i = 0, $n = (int) ( $_SERVER['HTTP_X_TB_BENCH_LOOP'] ?? 0 ); $i < $n; $i++ ) {
					$sum += $i * 3;
				}
				for ( $i = 0, $n = (int) ( $_SERVER['HTTP_X_TB_BENCH_QUERIES'] ?? 0 ); $i < $n; $i++ ) {
					$GLOBALS['wpdb']->get_var( 'SELECT ' . $i );
				}
			},
			1
		);
	}
	if ( 'on' !== $tb_bench_mode ) {
		add_filter(
			'option_active_plugins',
			static fn( $plugins ) => array_values( array_diff( (array) $plugins, array( 'tagbridge/tagbridge.php' ) ) )
		);
	}
	add_action(
		'shutdown',
		static function () use ( $tb_bench_cpu, $tb_bench_start, $tb_bench_mode ) {
			$loaded = class_exists( 'TagBridge\\Plugin', false ) ? 1 : 0;
			$now    = $tb_bench_cpu();
			file_put_contents( WP_CONTENT_DIR . '/tb-bench-cpu.log', sprintf( "%s %d %d %d %d %d\n", $tb_bench_mode, $now[0] - $tb_bench_start[0], $loaded, get_current_user_id(), getmypid(), $now[1] - $tb_bench_start[1] ), FILE_APPEND | LOCK_EX );
		},
		PHP_INT_MAX
	);
}
if ( isset( $_SERVER['HTTP_X_TB_BENCH_DO'] ) && 'register' === $_SERVER['HTTP_X_TB_BENCH_DO'] ) {
	add_action(
		'plugins_loaded',
		static function () {
			if ( class_exists( 'TagBridge\\Plugin', false ) ) {
				remove_action( 'shutdown', array( TagBridge\Plugin::instance(), 'deliver_outbox' ), 50 );
			}
		},
		11
	);
	add_action(
		'wp_loaded',
		static function () {
			require_once get_option( 'tb_bench_lib' ) . '/um-registration.php';
			tb_bench_um_stand_in();
			tb_bench_um_register( (int) ( $_SERVER['HTTP_X_TB_BENCH_FORM'] ?? 0 ) );
			exit;
		}
	);
}
unset( $tb_bench_mode );
