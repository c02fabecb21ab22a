<?php
/**
 * The site both request-overhead benchmarks measure (bench/overhead.php, bench/overhead_fpm.php):
 * 4 role links, 10 mapped fields, and an Ultimate Member registration form with 2 tags.
 *
 * @return int The registration form's id.
 */
function tb_bench_overhead_setup() {
	$links = array(
		array(
			'role' => 'subscriber',
			'tag'  => 'Member',
		),
	);
	foreach ( array( 'gold', 'silver', 'bronze' ) as $level ) {
		add_role( 'bench_' . $level, ucfirst( $level ), array( 'read' => true ) );
		$links[] = array(
			'role' => 'bench_' . $level,
			'tag'  => ucfirst( $level ) . ' member',
		);
	}
	$field = static fn( $key, $crm, $type, $source ) => array(
		'key'       => $key,
		'crm_field' => $crm,
		'type'      => $type,
		'source'    => $source,
	);
	$ok    = tagbridge_update_settings(
		array(
			'role_links' => $links,
			'fields'     => array(
				$field( 'first_name', 'first_name', 'text', 'wordpress' ),
				$field( 'last_name', 'last_name', 'text', 'wordpress' ),
				$field( 'user_email', 'email', 'text', 'wordpress' ),
				$field( 'description', 'bio', 'textarea', 'wordpress' ),
				$field( 'birth_date', 'date_of_birth', 'date', 'ultimate_member' ),
				$field( 'interests', 'interests', 'multiselect', 'ultimate_member' ),
				$field( 'phone_number', 'phone', 'tel', 'ultimate_member' ),
				$field( 'country', 'country', 'country', 'ultimate_member' ),
				$field( 'company', 'company', 'text', 'ultimate_member' ),
				$field( 'newsletter', 'newsletter', 'checkbox', 'ultimate_member' ),
			),
			'field_sync' => array( 'default_country' => 'GB' ),
		)
	);
	if ( true !== $ok ) {
		fwrite( STDERR, $ok->get_error_message() . "\n" );
		exit( 1 );
	}
	// UM stores its settings at activation with update_option() (autoloaded); the default
	// registration role is left empty, so WordPress's default role applies.
	update_option( 'um_options', array( 'register_role' => '' ) );
	$form = wp_insert_post(
		array(
			'post_type'   => 'um_form',
			'post_status' => 'publish',
			'post_title'  => 'Register',
		)
	);
	update_post_meta( $form, '_um_mode', 'register' );
	update_post_meta( $form, '_tagbridge_um_register_tags', array( 'Registered', 'Newsletter' ) );
	return $form;
}
