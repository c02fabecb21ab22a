<?php
/**
 * Deleting the plugin: WordPress's own uninstall_plugin() in a child process where TagBridge is
 * not loaded (as when a site owner deletes it), after TagBridge stored something of every kind.
 */

namespace TagBridge\Tests;

use TagBridge\Crm\Connection;
use TagBridge\Installer;

final class UninstallTest extends TestCase {

	public function test_uninstall_removes_every_table_option_meta_and_event_and_nothing_else(): void {
		global $wpdb;
		$user = $this->create_user();
		$post = wp_insert_post( array( 'post_title' => 'Form', 'post_status' => 'publish' ) );
		$this->assertTrue( Connection::save( FluentCrmReplay::credentials() ) );
		$this->assertNotWPError( tagbridge_apply_tags( $user, array( 'Gold' ) ) );
		update_user_meta( $user, \TagBridge\Fields\FieldPush::SNAPSHOT_META, array( 'first_name' => 'A' ) );
		update_user_meta( $user, 'tagbridge_contact_id_fluentcrm', '7' );
		update_user_meta( $user, 'not_ours', 'kept' );
		update_post_meta( $post, \TagBridge\Integrations\UltimateMember\RegistrationTags::META, array( 'Gold' ) );
		set_transient( 'tagbridge_fcrm_probe', array( 1 ), 600 );
		wp_schedule_single_event( time() + 3600, 'tagbridge_outbox_run' );
		$this->assertNotEmpty( $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->prefix . 'tagbridge_' ) . '%' ) ) );

		$code = '$GLOBALS["wp_filter"] = array( "option_active_plugins" => array( 10 => array( array( "function" => static fn( $p ) => array_values( array_diff( (array) $p, array( "tagbridge/tagbridge.php" ) ) ), "accepted_args" => 1 ) ) ) );'
			. self::load_wordpress_code()
			. ' require_once ABSPATH . "wp-admin/includes/plugin.php";'
			. ' echo class_exists( "TagBridge\\\\Plugin", false ) ? "plugin loaded " : ""; var_export( uninstall_plugin( "tagbridge/tagbridge.php" ) );';
		list( $status, $output ) = $this->run_php( $code );
		try {
			$this->assertSame( 0, $status, $output );
			$this->assertSame( 'true', $output, 'uninstall.php ran, with the plugin not loaded, and printed nothing' );
			wp_cache_flush();
			$this->assertSame( array(), $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->prefix . 'tagbridge_' ) . '%' ) ), 'tables' );
			$this->assertSame( array(), $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE '%tagbridge%'" ), 'options and transients' );
			$this->assertSame( array(), $wpdb->get_col( "SELECT meta_key FROM {$wpdb->usermeta} WHERE meta_key LIKE '%tagbridge%'" ), 'user meta' );
			$this->assertSame( array(), $wpdb->get_col( "SELECT meta_key FROM {$wpdb->postmeta} WHERE meta_key LIKE '%tagbridge%'" ), 'post meta' );
			$this->assertFalse( wp_next_scheduled( 'tagbridge_outbox_run' ), 'cron events' );
			$this->assertSame( 'kept', get_user_meta( $user, 'not_ours', true ), 'other data is untouched' );
			$this->assertNotNull( get_post( $post ) );
		} finally {
			// The other tests need the tables and options back.
			Installer::upgrade();
			wp_cache_flush();
			wp_delete_post( $post, true );
		}
	}
}
