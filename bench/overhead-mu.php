<?php
/**
 * Plugin Name: TagBridge bench: request overhead switches
 * Description: Copied into the bench site by bench/overhead.php only. Not part of the plugin.
 *
 * The child processes of bench/overhead.php steer this through the environment, so that the
 * measured request is otherwise the same with and without TagBridge:
 *   TB_BENCH_OFF=1          TagBridge is not loaded (the baseline), as if deactivated.
 *   TB_BENCH_NO_DELIVERY=1  the outbox runner does not deliver at shutdown: delivery to the CRM
 *                           is not part of the overhead being measured.
 *   TB_BENCH_REPORT=FILE    at the very end, writes what the request did as JSON: the queries
 *                           whose caller stack names TagBridge (needs SAVEQUERIES), the user, the
 *                           page size.
 */

if ( getenv( 'TB_BENCH_OFF' ) ) {
	add_filter(
		'option_active_plugins',
		static fn( $plugins ) => array_values( array_diff( (array) $plugins, array( 'tagbridge/tagbridge.php' ) ) )
	);
}

if ( getenv( 'TB_BENCH_NO_DELIVERY' ) ) {
	// After TagBridge's boot (plugins_loaded at 10), which registers the delivery.
	add_action(
		'plugins_loaded',
		static function () {
			if ( class_exists( TagBridge\Plugin::class, false ) ) {
				remove_action( 'shutdown', array( TagBridge\Plugin::instance(), 'deliver_outbox' ), 50 );
			}
		},
		11
	);
}

if ( getenv( 'TB_BENCH_REPORT' ) ) {
	// Before wp_ob_end_flush_all() (shutdown at 1) sends the page into the child's discarding buffer.
	add_action(
		'shutdown',
		static function () {
			$GLOBALS['tb_bench_page_bytes'] = (int) ob_get_length();
		},
		0
	);
	add_action(
		'shutdown',
		static function () {
			global $wpdb;
			$ours = array();
			foreach ( (array) $wpdb->queries as $query ) {
				if ( false !== stripos( $query[2], 'tagbridge' ) ) {
					$ours[] = array( 'sql' => $query[0], 'caller' => $query[2] );
				}
			}
			$report = array(
				'tagbridge_loaded' => class_exists( TagBridge\Plugin::class, false ),
				'user'             => get_current_user_id(),
				'page_bytes'       => $GLOBALS['tb_bench_page_bytes'],
				'footer'           => did_action( 'wp_footer' ),
				'queries'          => count( (array) $wpdb->queries ),
				'tagbridge'        => $ours,
			);
			file_put_contents( getenv( 'TB_BENCH_REPORT' ), wp_json_encode( $report ) );
		},
		PHP_INT_MAX
	);
}
