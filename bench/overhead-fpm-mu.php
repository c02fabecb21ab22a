<?php
/**
 * Plugin Name: TagBridge bench: CPU per request under PHP-FPM
 * Description: Copied into the bench site by bench/overhead_fpm.php only. Not part of the plugin.
 *
 * A request with the header `X-TB-Bench: on|off` records the CPU time (user + system, getrusage)
 * its PHP-FPM worker spent from this must-use plugin to the end of the request, one line per
 * request in wp-content/tb-bench-cpu.log; `off` drops TagBridge from the active plugins first,
 * as if it were deactivated. Everything before must-use plugins (WordPress's own boot) is the
 * same either way and is not counted.
 */

$tb_bench_mode = isset( $_SERVER['HTTP_X_TB_BENCH'] ) ? (string) $_SERVER['HTTP_X_TB_BENCH'] : '';
if ( 'on' === $tb_bench_mode || 'off' === $tb_bench_mode ) {
	$tb_bench_cpu = static function () {
		$u = getrusage();
		return ( $u['ru_utime.tv_sec'] + $u['ru_stime.tv_sec'] ) * 1e6 + $u['ru_utime.tv_usec'] + $u['ru_stime.tv_usec'];
	};
	$tb_bench_start = $tb_bench_cpu();
	if ( 'off' === $tb_bench_mode ) {
		add_filter(
			'option_active_plugins',
			static fn( $plugins ) => array_values( array_diff( (array) $plugins, array( 'tagbridge/tagbridge.php' ) ) )
		);
	}
	add_action(
		'shutdown',
		static function () use ( $tb_bench_cpu, $tb_bench_start, $tb_bench_mode ) {
			$loaded = class_exists( 'TagBridge\\Plugin', false ) ? 1 : 0;
			file_put_contents( WP_CONTENT_DIR . '/tb-bench-cpu.log', sprintf( "%s %d %d %d %d\n", $tb_bench_mode, $tb_bench_cpu() - $tb_bench_start, $loaded, get_current_user_id(), getmypid() ), FILE_APPEND | LOCK_EX );
		},
		PHP_INT_MAX
	);
}
unset( $tb_bench_mode );
