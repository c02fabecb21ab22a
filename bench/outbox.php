<?php
/**
 * Outbox throughput and the time it adds to a request, against the embedded CRM, with a baseline
 * measured in the same run: one direct CRM call per hook (WP Fusion with its queue off). Not a test.
 *
 *   TB_SITE_DIR=/tmp/tb-outbox/sites/test php -d extension=target/release/libtagbridge.so bench/outbox.php [users] [changes_per_user]
 *
 * The site is a test bed site (tests/testbed/testbed.sh site NAME); the users it creates are deleted.
 */

$site = getenv( 'TB_SITE_DIR' );
if ( ! $site || ! is_readable( $site . '/wp-load.php' ) ) {
	fwrite( STDERR, "TB_SITE_DIR must name a test bed site\n" );
	exit( 1 );
}
$_SERVER['HTTP_HOST']   = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

$users_n   = max( 1, (int) ( $argv[1] ?? 100 ) );
$changes_n = max( 1, (int) ( $argv[2] ?? 10 ) );
$plugin    = TagBridge\Plugin::instance();
$crm       = $plugin->crm;

$users = array();
for ( $i = 0; $i < $users_n; $i++ ) {
	$login   = 'bench_' . wp_generate_password( 10, false, false );
	$users[] = wp_insert_user( array( 'user_login' => $login, 'user_email' => $login . '@example.test', 'user_pass' => wp_generate_password() ) );
}
$change = static fn( $n ) => array( 'fields' => array( 'counter' => $n, 'first_name' => "N{$n}" ), 'apply_tags' => array( 'T' . ( $n % 5 ) ) );
$total  = $users_n * $changes_n;

// Baseline: every hook calls the CRM at once (contact looked up or created, then two calls).
$t = microtime( true );
foreach ( $users as $id ) {
	$email = get_userdata( $id )->user_email;
	for ( $n = 1; $n <= $changes_n; $n++ ) {
		$found   = $crm->find_contact( $email );
		$contact = $found->is_ok() ? $found->value : $crm->create_contact( $email, array() )->value;
		$c       = $change( $n );
		$crm->update_contact( $contact, $c['fields'] );
		$crm->apply_tags( $contact, $c['apply_tags'] );
	}
}
$direct = microtime( true ) - $t;

// Reset the embedded CRM's state for these users so the outbox run starts from the same place.
foreach ( $users as $id ) {
	$crm->forget_user( $id );
	$plugin->tags->forget_user( $id );
}

$t = microtime( true );
foreach ( $users as $id ) {
	for ( $n = 1; $n <= $changes_n; $n++ ) {
		$plugin->outbox->enqueue( $id, $change( $n ) );
	}
}
$enqueue = microtime( true ) - $t;
$plugin->outbox->take_touched();

$t     = microtime( true );
$stats = $plugin->runner->drain( $users_n, null, $users );
$drain = microtime( true ) - $t;

foreach ( $users as $id ) {
	wp_delete_user( $id );
}

$rows = array(
	array( 'direct CRM call per hook (baseline)', $total / $direct, 1e6 * $direct / $total, 1.0 ),
	array( 'outbox enqueue (in the request)', $total / $enqueue, 1e6 * $enqueue / $total, $direct / $enqueue ),
	array( 'outbox drain (after the request)', $total / $drain, 1e6 * $drain / $total, $direct / $drain ),
	array( 'outbox enqueue + drain', $total / ( $enqueue + $drain ), 1e6 * ( $enqueue + $drain ) / $total, $direct / ( $enqueue + $drain ) ),
);
printf( "TagBridge outbox bench: %d users x %d changes = %d changes; drained %d rows in %d deliveries; PHP %s, extension %s (%s)\n\n", $users_n, $changes_n, $total, $stats['rows'], $stats['delivered'], PHP_VERSION, tagbridge_version(), tagbridge_build_info()['profile'] );
printf( "%-38s %14s %16s %16s\n", 'scenario', 'changes/s', 'µs per change', 'speed vs base' );
foreach ( $rows as $r ) {
	printf( "%-38s %14.0f %16.1f %15.2fx\n", $r[0], $r[1], $r[2], $r[3] );
}
printf( "\nTime added to the visitor's request per hook: %.1f µs with the outbox vs %.1f µs calling the CRM directly (embedded CRM: no network; a remote CRM adds its round trip to the baseline only).\n", 1e6 * $enqueue / $total, 1e6 * $direct / $total );
