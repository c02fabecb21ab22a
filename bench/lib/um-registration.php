<?php
/**
 * Loads the test suite's Ultimate Member stand-in. Its last line registers TagBridge's UM
 * integration; without TagBridge (the baseline) that line fails after everything else in the file
 * ran, so both runs pay for the stand-in alike.
 */
function tb_bench_um_stand_in() {
	try {
		require __DIR__ . '/../../tests/php/support/UltimateMemberStandIn.php';
	} catch ( Error $e ) {
		if ( class_exists( TagBridge\Plugin::class, false ) ) {
			throw $e;
		}
	}
}

/**
 * An Ultimate Member registration through form $form_id, UM 2.13.0's hooks fired in UM's order as
 * tests/php/integration/FieldPushTest.php's um_register() fires them (the UM stand-in must be
 * loaded for TagBridge's UM integration to take part). Shared by bench/lib/overhead-request.php
 * (a CLI process), bench/overhead-fpm-mu.php (a PHP-FPM request) and bench/crm_calls.php.
 *
 * @param int        $form_id   Registration form.
 * @param array|null $submitted The form's values (user_login, user_email, then fields stored as
 *                              user meta); null: the request-overhead benchmarks' values.
 * @return int The new user.
 */
function tb_bench_um_register( $form_id, ?array $submitted = null ) {
	$tb_bench_login = 'tbbench_' . getmypid() . '_' . strtolower( wp_generate_password( 6, false ) );
	$submitted      = $submitted ?? array(
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
		'form_id' => $form_id,
		'mode'    => 'register',
	);
	// UM's form_init() checks the form's post type and status and reads its settings (all of its
	// post meta, UM()->query()->post_data()) before the submission hooks run.
	get_post_status( $form_id );
	get_post_meta( $form_id );
	do_action( 'um_submit_form_register', $submitted, $form_data );
	// UM's wp_insert_user() carries only login, password, email, role and the in-progress flag.
	$tb_bench_id = wp_insert_user(
		array(
			'user_login' => $submitted['user_login'],
			'user_pass'  => wp_generate_password( 24 ),
			'user_email' => $submitted['user_email'],
			'role'       => 'subscriber',
			'meta_input' => array( '_um_registration_in_progress' => 1 ),
		)
	);
	if ( ! is_int( $tb_bench_id ) ) {
		throw new RuntimeException( 'registration failed: ' . $tb_bench_id->get_error_message() );
	}
	$args = array(
		'submitted' => $submitted,
		'form_id'   => $form_data['form_id'],
	);
	do_action( 'um_user_register', $tb_bench_id, $args, $form_data );
	// um_after_insert_user() at priority 1: set_registration_details().
	do_action( 'um_before_save_registration_details', $tb_bench_id, $submitted, $form_data );
	update_user_meta( $tb_bench_id, 'submitted', $submitted );
	foreach ( array_diff( array_keys( $submitted ), array( 'user_login', 'user_email' ) ) as $key ) {
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
	return $tb_bench_id;
}
