<?php
/**
 * Sets up and tears down the data of the browser checks in the test bed site (real users in bulk,
 * a role link, an administrator with a real login session), and reports role counts.
 *
 *   php fixture.php setup    → JSON {cookies: {name: value}}
 *   php fixture.php holders  → how many of the fixture's users hold tb_ui_gold
 *   php fixture.php cleanup
 */

$_SERVER['HTTP_HOST'] = parse_url( (string) getenv( 'TB_SITE_URL' ), PHP_URL_HOST ) . ':' . parse_url( (string) getenv( 'TB_SITE_URL' ), PHP_URL_PORT );
require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require __DIR__ . '/../php/support/BulkUsers.php';

use TagBridge\Tests\BulkUsers;

const TB_UI_PREFIX = 'tbui_';
const TB_UI_ROLE   = 'tb_ui_gold';

switch ( $argv[1] ?? '' ) {
	case 'setup':
		if ( ! get_role( TB_UI_ROLE ) ) {
			add_role( TB_UI_ROLE, 'UI Gold', array( 'read' => true ) );
		}
		// Odd users hold the role; every third user has the tag: with tags as the truth, 500 gain
		// the role, 1,000 lose it and get the fallback role.
		BulkUsers::create( TB_UI_PREFIX, 3000, fn( $i ) => $i % 2 ? array( TB_UI_ROLE ) : array( 'subscriber' ), fn( $i ) => $i % 3 ? array() : array( 'UI Gold' ) );
		tagbridge_update_settings( array( 'role_links' => array( array( 'role' => TB_UI_ROLE, 'tag' => 'UI Gold' ) ) ) );
		delete_option( 'tagbridge_reconcile_job' );
		$id = wp_insert_user( array( 'user_login' => TB_UI_PREFIX . 'admin', 'user_email' => TB_UI_PREFIX . 'admin@example.test', 'user_pass' => wp_generate_password( 24 ), 'role' => 'administrator' ) );
		$exp   = time() + HOUR_IN_SECONDS;
		$token = WP_Session_Tokens::get_instance( $id )->create( $exp );
		echo wp_json_encode(
			array(
				'cookies' => array(
					AUTH_COOKIE      => wp_generate_auth_cookie( $id, $exp, 'auth', $token ),
					LOGGED_IN_COOKIE => wp_generate_auth_cookie( $id, $exp, 'logged_in', $token ),
				),
			)
		);
		break;
	case 'holders':
		global $wpdb;
		echo (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->usermeta} m JOIN {$wpdb->users} u ON u.ID = m.user_id WHERE u.user_login LIKE %s AND m.meta_key = %s AND m.meta_value LIKE %s", TB_UI_PREFIX . '%', $wpdb->get_blog_prefix() . 'capabilities', '%"' . TB_UI_ROLE . '"%' ) );
		break;
	case 'cleanup':
		BulkUsers::remove( TB_UI_PREFIX );
		tagbridge_update_settings( array( 'role_links' => array() ) );
		remove_role( TB_UI_ROLE );
		delete_option( 'tagbridge_reconcile_job' );
		delete_option( 'tagbridge_links_changed' );
		break;
	default:
		fwrite( STDERR, "usage: fixture.php setup|holders|cleanup\n" );
		exit( 2 );
}
