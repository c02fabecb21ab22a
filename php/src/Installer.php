<?php
/**
 * Creates and upgrades what TagBridge stores, and removes it on uninstall.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagStore;

defined( 'ABSPATH' ) || exit;

/**
 * Activation, versioned upgrades and uninstall.
 */
final class Installer {

	/** Version of the stored data layout; bump when tables or options change shape. */
	const DB_VERSION = 2;

	/** Option holding the installed data layout version. */
	const VERSION_OPTION = 'tagbridge_db_version';

	/**
	 * Runs on plugin activation.
	 */
	public static function activate() {
		self::upgrade();
	}

	/**
	 * Upgrades when the stored layout is older than this code's.
	 */
	public static function maybe_upgrade() {
		if ( (int) get_option( self::VERSION_OPTION, 0 ) < self::DB_VERSION ) {
			self::upgrade();
		}
	}

	/**
	 * Creates or upgrades tables and default options (idempotent).
	 */
	public static function upgrade() {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		dbDelta( TagStore::schema() );
		add_option( SettingsStore::OPTION, SettingsStore::defaults(), '', true );
		update_option( self::VERSION_OPTION, self::DB_VERSION, true );
	}

	/**
	 * Removes everything TagBridge stored (called from uninstall.php).
	 */
	public static function uninstall() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . TagStore::table() ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.DirectDatabaseQuery.SchemaChange
		delete_option( SettingsStore::OPTION );
		delete_option( self::VERSION_OPTION );
		delete_metadata( 'user', 0, \TagBridge\Fields\FieldPush::SNAPSHOT_META, '', true );
	}
}
