<?php
/**
 * Webhook burst benchmark (not a test): fires a bounded burst of `add` webhooks at the bench site
 * served on loopback — by default 200 a second for 30 seconds, at most 64 in flight — and prints
 * what was answered (status histogram, latency percentiles), how long until the queue had
 * processed everything, and whether anything was lost: every contact gets three webhooks in a row
 * with different tags, so the final tags show both completeness and per-contact order.
 *
 * Baseline row: the same burst shape (shorter, --baseline-seconds) against a bench-only route that
 * processes each webhook inside the request before answering, as WP Fusion does.
 *
 *   bench/run.sh webhooks [--rate=200] [--seconds=30] [--concurrency=64] [--baseline-seconds=10]
 *
 * Run by bench/run.sh inside the bench site (TB_SITE_DIR), which serves it on TB_BENCH_URL.
 */

$opts = getopt( '', array( 'rate::', 'seconds::', 'concurrency::', 'baseline-seconds::' ) );
$rate        = max( 1, (int) ( $opts['rate'] ?? 200 ) );
$seconds     = max( 1, (int) ( $opts['seconds'] ?? 30 ) );
$concurrency = max( 1, (int) ( $opts['concurrency'] ?? 64 ) );
$base_secs   = max( 0, (int) ( $opts['baseline-seconds'] ?? 10 ) );
$url         = rtrim( (string) getenv( 'TB_BENCH_URL' ), '/' );

$_SERVER['HTTP_HOST']   = (string) parse_url( $url, PHP_URL_HOST ) . ':' . (string) parse_url( $url, PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';
copy( __DIR__ . '/webhooks-baseline-mu.php', WP_CONTENT_DIR . '/mu-plugins/tagbridge-bench-baseline.php' );

global $wpdb;
$secret = TagBridge\Webhook\Secret::get();
tagbridge_update_settings( array( 'role_links' => array() ) );

/**
 * Fires $total webhooks at $rate per second with at most $concurrency in flight.
 *
 * @return array{statuses: array<int, int>, latencies: float[], wall: float}
 */
function tb_burst( $endpoint, $secret, $run, $total, $rate, $concurrency ) {
	$load      = sys_getloadavg()[0];
	$multi     = curl_multi_init();
	$statuses  = array();
	$latencies = array();
	$sent      = 0;
	$active    = 0;
	$start     = microtime( true );
	$contacts  = max( 1, intdiv( $total, 3 ) );
	while ( $sent < $total || $active > 0 ) {
		while ( $sent < $total && $active < $concurrency && microtime( true ) >= $start + $sent / $rate ) {
			$i    = $sent % $contacts;
			$wave = intdiv( $sent, $contacts );
			$body = json_encode(
				array(
					'action' => 'add',
					'email'  => "bench-{$run}-{$i}@example.org",
					'tags'   => array( "Wave{$wave}", 'Bench' ),
				)
			);
			$ch   = curl_init( $endpoint );
			curl_setopt_array(
				$ch,
				array(
					CURLOPT_POST           => true,
					CURLOPT_POSTFIELDS     => $body,
					CURLOPT_HTTPHEADER     => array( 'Content-Type: application/json', 'X-TagBridge-Key: ' . $secret ),
					CURLOPT_RETURNTRANSFER => true,
					CURLOPT_TIMEOUT        => 60,
				)
			);
			curl_multi_add_handle( $multi, $ch );
			++$sent;
			++$active;
		}
		curl_multi_exec( $multi, $running );
		while ( $info = curl_multi_info_read( $multi ) ) {
			$ch                   = $info['handle'];
			$code                 = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
			$statuses[ $code ]    = ( $statuses[ $code ] ?? 0 ) + 1;
			$latencies[]          = curl_getinfo( $ch, CURLINFO_TOTAL_TIME ) * 1000;
			curl_multi_remove_handle( $multi, $ch );
			curl_close( $ch );
			--$active;
		}
		curl_multi_select( $multi, 0.002 );
	}
	curl_multi_close( $multi );
	sort( $latencies );
	return array(
		'statuses'  => $statuses,
		'latencies' => $latencies,
		'wall'      => microtime( true ) - $start,
		// The machine's 1-minute load average before and after: other work on the cores moves every number here.
		'load'      => sprintf( '%.1f-%.1f', $load, sys_getloadavg()[0] ),
	);
}

function tb_pct( array $sorted, $p ) {
	return $sorted ? $sorted[ min( count( $sorted ) - 1, (int) floor( $p / 100 * count( $sorted ) ) ) ] : 0.0;
}

/** Counts the run's users and those whose tags are not the last wave's (lost or out of order). */
function tb_check( $run, $total ) {
	global $wpdb;
	$contacts = max( 1, intdiv( $total, 3 ) );
	$tags     = TagBridge\Tags\TagStore::table();
	$users    = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->users} WHERE user_email LIKE %s", "bench-{$run}-%" ) );
	$wrong    = 0;
	for ( $i = 0; $i < $contacts; $i++ ) {
		$last = intdiv( $total - 1 - ( ( $total - 1 - $i ) % $contacts ), $contacts );
		$want = array( 'Bench', "Wave{$last}" );
		$got  = $wpdb->get_col( $wpdb->prepare( "SELECT t.tag FROM {$tags} t JOIN {$wpdb->users} u ON u.ID = t.user_id WHERE u.user_email = %s ORDER BY t.tag", "bench-{$run}-{$i}@example.org" ) );
		$wrong += $got === $want ? 0 : 1;
	}
	return array( $users, $contacts, $wrong );
}

$rows = array();
$run  = 'q' . time();
$total = $rate * $seconds;
$burst = tb_burst( $url . '/wp-json/tagbridge/v1/webhook', $secret, $run, $total, $rate, $concurrency );
$answered = microtime( true );
$pending  = 1;
for ( $i = 0; $i < 6000 && $pending > 0; $i++ ) { // At most 10 minutes.
	usleep( 100000 );
	$pending = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . TagBridge\Webhook\Queue::table() . " WHERE status = 'pending'" );
}
$drain = microtime( true ) - $answered;
list( $users, $contacts, $wrong ) = tb_check( $run, $total );
$failed = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . TagBridge\Webhook\Queue::table() . " WHERE status = 'failed'" );
$rows[] = array( "TagBridge queue ({$rate}/s x {$seconds}s)", $total, $burst, $pending > 0 ? 'not done' : sprintf( '%.1f', $drain ), "{$users}/{$contacts}", $wrong, $failed );

if ( $base_secs > 0 ) {
	$run   = 'b' . time();
	$total = $rate * $base_secs;
	$burst = tb_burst( $url . '/wp-json/tagbridge-bench/v1/sync-webhook', $secret, $run, $total, $rate, $concurrency );
	list( $users, $contacts, $wrong ) = tb_check( $run, $total );
	$rows[] = array( "Baseline, in-request ({$rate}/s x {$base_secs}s)", $total, $burst, '0 (inline)', "{$users}/{$contacts}", $wrong, '-' );
}

printf( "\n| %-38s | %5s | %-24s | %8s | %8s | %8s | %8s | %8s | %-10s | %-11s | %9s | %6s | %-9s |\n", 'run', 'sent', 'statuses', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'drain s', 'users', 'tags off', 'failed', 'load' );
echo '|' . str_repeat( '-', 40 ) . '|' . str_repeat( '-', 7 ) . '|' . str_repeat( '-', 26 ) . str_repeat( '|' . str_repeat( '-', 10 ), 5 ) . '|' . str_repeat( '-', 12 ) . '|' . str_repeat( '-', 13 ) . '|' . str_repeat( '-', 11 ) . '|' . str_repeat( '-', 8 ) . '|' . str_repeat( '-', 11 ) . "|\n";
foreach ( $rows as list( $name, $sent, $b, $drain, $users, $wrong, $failed ) ) {
	ksort( $b['statuses'] );
	$hist = implode( ' ', array_map( fn( $k, $v ) => "{$k}:{$v}", array_keys( $b['statuses'] ), $b['statuses'] ) );
	$l    = $b['latencies'];
	printf( "| %-38s | %5d | %-24s | %8.0f | %8.0f | %8.0f | %8.0f | %8.0f | %-10s | %-11s | %9d | %6s | %-9s |\n", $name, $sent, $hist, $sent / $b['wall'], tb_pct( $l, 50 ), tb_pct( $l, 95 ), tb_pct( $l, 99 ), $l ? end( $l ) : 0, $drain, $users, $wrong, $failed, $b['load'] );
}
echo "\nstatuses: HTTP status:count (0 = no answer within 60 s). drain: seconds from the last answer until no webhook was pending.\n";
echo "users: created/expected. tags off: contacts whose final tags are not their last webhook's (lost or out of order).\n";
echo "load: the machine's 1-minute load average when the burst started and when it ended (the burst's own processes count in the second).\n";
