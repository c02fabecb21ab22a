<?php
/**
 * Creates and upgrades what TagBridge stores, and removes it on uninstall.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Crm\Connection;
use TagBridge\Security\SeenOnce;
use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagStore;
use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Outbox;
use TagBridge\Webhook\Queue;
use TagBridge\Webhook\Secret;
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
	 * Removes everything TagBridge stored (called from uninstall.php). Everything it stores carries
	 * its prefix — tables `{prefix}tagbridge_*`, options and transients `tagbridge_*`, user and post
	 * meta `tagbridge_*` / `_tagbridge_*`, cron hooks `tagbridge_*` — so nothing a later version
	 * adds can be forgotten here.
	 */
	public static function uninstall() {
		global $wpdb;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery,WordPress.DB.DirectDatabaseQuery.SchemaChange
		foreach ( (array) $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->prefix . 'tagbridge_' ) . '%' ) ) as $table ) {
			$wpdb->query( 'DROP TABLE IF EXISTS `' . str_replace( '`', '', $table ) . '`' );
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s OR option_name LIKE %s", 'tagbridge\_%', '\_transient\_tagbridge\_%', '\_transient\_timeout\_tagbridge\_%' ) );
		foreach ( array( $wpdb->usermeta, $wpdb->postmeta ) as $table ) {
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE meta_key LIKE %s OR meta_key LIKE %s", 'tagbridge\_%', '\_tagbridge\_%' ) );
		}
		// phpcs:enable
		foreach ( (array) _get_cron_array() as $events ) {
			foreach ( array_keys( (array) $events ) as $hook ) {
				if ( 0 === strpos( $hook, 'tagbridge_' ) ) {
					wp_clear_scheduled_hook( $hook );
				}
			}
		}
		wp_cache_flush();
	}
}
