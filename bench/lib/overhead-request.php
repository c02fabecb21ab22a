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
// The stand-in's last line registers TagBridge's UM integration; without TagBridge (the baseline)
// that line fails after everything else in the file ran, so both runs pay for the stand-in alike.
try {
	require __DIR__ . '/../../tests/php/support/UltimateMemberStandIn.php';
} catch ( Error $e ) {
	if ( class_exists( TagBridge\Plugin::class, false ) ) {
		throw $e;
	}
}

$tb_bench_login = 'tbbench_' . getmypid() . '_' . strtolower( wp_generate_password( 6, false ) );
$submitted      = array(
	'user_login'   => $tb_bench_login,
	'user_email'   => $tb_bench_login . '@example.test',
	'first_name'   => 'Jane',
	'last_name'    => 'Doe',
	'birth_date'   => '1990/05/04',
	'interests'    => array( 'Jazz', 'Hiking' ),
	'phone_number' => '020 7946 0958',
	'country'      => 'GB',
	'company'      => 'Example Ltd',
	'newsletter'   => '1',
	'description'  => 'Plays the saxophone.',
);
$form_data      = array(
	'form_id' => (int) getenv( 'TB_BENCH_FORM' ),
	'mode'    => 'register',
);
do_action( 'um_submit_form_register', $submitted, $form_data );
// UM's wp_insert_user() carries only login, password, email, role and the in-progress flag.
$tb_bench_id = wp_insert_user(
	array(
		'user_login' => $tb_bench_login,
		'user_pass'  => wp_generate_password( 24 ),
		'user_email' => $submitted['user_email'],
		'role'       => 'subscriber',
		'meta_input' => array( '_um_registration_in_progress' => 1 ),
	)
);
if ( ! is_int( $tb_bench_id ) ) {
	fwrite( STDERR, 'registration failed: ' . $tb_bench_id->get_error_message() . "\n" );
	exit( 1 );
}
$args = array(
	'submitted' => $submitted,
	'form_id'   => $form_data['form_id'],
);
do_action( 'um_user_register', $tb_bench_id, $args, $form_data );
// um_after_insert_user() at priority 1: set_registration_details().
do_action( 'um_before_save_registration_details', $tb_bench_id, $submitted, $form_data );
update_user_meta( $tb_bench_id, 'submitted', $submitted );
foreach ( array( 'first_name', 'last_name', 'birth_date', 'interests', 'phone_number', 'country', 'company', 'newsletter', 'description' ) as $key ) {
	update_user_meta( $tb_bench_id, $key, $submitted[ $key ] );
}
wp_update_user(
	array(
		'ID'         => $tb_bench_id,
		'user_email' => $submitted['user_email'],
	)
);
do_action( 'um_after_save_registration_details', $tb_bench_id, $submitted, $form_data );
do_action( 'um_registration_set_extra_data', $tb_bench_id, $args, $form_data );
wp_update_user(
	array(
		'ID'           => $tb_bench_id,
		'display_name' => 'Jane Doe',
	)
); // um_update_profile_full_name.
do_action( 'um_registration_complete', $tb_bench_id, $args, $form_data );
do_action( 'um_post_registration_approved_hook', $tb_bench_id, $args, $form_data );
update_user_meta( $tb_bench_id, 'account_status', 'approved' );
wp_update_user( array( 'ID' => $tb_bench_id ) ); // Status change: the third profile_update.
do_action( 'um_after_user_is_approved', $tb_bench_id );
delete_user_meta( $tb_bench_id, '_um_registration_in_progress' );
