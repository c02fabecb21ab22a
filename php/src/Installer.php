<?php
/**
 * Creates and upgrades what TagBridge stores, and removes it on uninstall.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Jobs\ReconcileJob;
use TagBridge\Roles\LinkChanges;
use TagBridge\Crm\Connection;
use TagBridge\Security\SeenOnce;
use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagStore;
use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Outbox;
use TagBridge\Webhook\Queue;
use TagBridge\Webhook\Secret;
use TagBridge\Webhook\UserImporter;
use TagBridge\Sites\Links;
use TagBridge\Sites\Sites;

defined( 'ABSPATH' ) || exit;

/**
 * Activation, versioned upgrades (Plugin::boot() compares the versions) and uninstall.
 */
final class Installer {

	/**
	 * Runs on plugin activation.
	 */
	public static function activate() {
		self::upgrade();
	}

	/**
	 * Creates or upgrades tables and default options (idempotent).
	 */
	public static function upgrade() {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		dbDelta( TagStore::schema() );
		dbDelta( array_merge( Outbox::schema(), EmbeddedCrm::schema(), array( Logger::schema() ) ) );
		dbDelta( array( Queue::schema(), SeenOnce::schema() ) );
		Secret::get();
		dbDelta( Sites::schema() );
		add_option( SettingsStore::OPTION, SettingsStore::defaults(), '', true );
		// Stored (autoloaded) even when empty: an absent option costs a query on every request.
		add_option( Connection::OPTION, array(), '', true );
		add_option( Plugin::SITES_LINKED_OPTION, count( ( new Links() )->all() ), '', true );
		// Read at every registration through these plugins' forms.
		add_option( \TagBridge\Integrations\UltimateMember\Options::OPTION, array(), '', true );
		add_option( \TagBridge\Integrations\WpUserManager\Options::OPTION, array(), '', true );
		update_option( Plugin::DB_VERSION_OPTION, Plugin::DB_VERSION, true );
	}

	/**
	 * Removes everything TagBridge stored (called from uninstall.php).
	 */
	public static function uninstall() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . TagStore::table() ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.DirectDatabaseQuery.SchemaChange
		foreach ( array( Outbox::table(), Outbox::claims_table(), EmbeddedCrm::contacts_table(), EmbeddedCrm::fields_table(), Logger::table(), \TagBridge\Sites\SiteQueue::table(), SeenOnce::table() ) as $table ) {
			$wpdb->query( 'DROP TABLE IF EXISTS ' . $table ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.DirectDatabaseQuery.SchemaChange
		}
		foreach ( array( Queue::table() ) as $table ) {
			$wpdb->query( 'DROP TABLE IF EXISTS ' . $table ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.DirectDatabaseQuery.SchemaChange
		}
		foreach ( array( Secret::OPTION, UserImporter::OPTION, 'tagbridge_webhook_runner_beat' ) as $option ) {
			delete_option( $option );
		}
		wp_clear_scheduled_hook( 'tagbridge_webhook_run' );
		foreach ( array( 'tagbridge_embedded_fault', 'tagbridge_outbox_unhealthy_until', 'tagbridge_outbox_runner_key', Links::OPTION, Plugin::SITES_LINKED_OPTION, \TagBridge\Sites\Pairing::OPTION, \TagBridge\Sites\InitialSync::OPTION, \TagBridge\Sites\SiteQueue::KEY_OPTION ) as $option ) {
			delete_option( $option );
		}
		delete_metadata( 'user', 0, 'tagbridge_contact_id_embedded', '', true );
		wp_clear_scheduled_hook( 'tagbridge_outbox_run' );
		wp_clear_scheduled_hook( \TagBridge\Sites\SiteQueue::CRON_HOOK );
		wp_clear_scheduled_hook( \TagBridge\Sites\InitialSync::CRON_HOOK );
		delete_option( SettingsStore::OPTION );
		delete_option( ReconcileJob::OPTION );
		delete_option( LinkChanges::OPTION );
		wp_clear_scheduled_hook( ReconcileJob::CRON_HOOK );
		delete_option( Plugin::DB_VERSION_OPTION );
		Connection::forget();
		delete_metadata( 'user', 0, \TagBridge\Fields\FieldPush::SNAPSHOT_META, '', true );
		delete_metadata( 'user', 0, Outbox::HOLD_META, '', true );
		delete_metadata( 'user', 0, \TagBridge\Integrations\WpUserManager\Deferral::TAGS_META, '', true );
		delete_option( \TagBridge\Integrations\WpUserManager\Options::OPTION );
		\TagBridge\Integrations\UltimateMember\Options::uninstall();
	}
}
