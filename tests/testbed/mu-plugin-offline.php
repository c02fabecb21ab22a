<?php
/**
 * Plugin Name: TagBridge test bed: offline
 * Description: Installed by tests/testbed/testbed.sh as a must-use plugin.
 *
 * The test machine has no network and the sites set WP_HTTP_BLOCK_EXTERNAL.
 * WordPress would still ask api.wordpress.org for core/plugin/theme updates on
 * admin pages and from cron, and every failed check logs a PHP warning
 * ("An unexpected error occurred. Something may be wrong with WordPress.org")
 * into debug.log. Unhook those checks so debug.log only shows real problems.
 *
 * wp-includes/update.php (which adds these hooks) is loaded before must-use
 * plugins, so the hooks can be removed right away.
 */

foreach (
	array(
		array( 'admin_init', '_maybe_update_core' ),
		array( 'admin_init', '_maybe_update_plugins' ),
		array( 'admin_init', '_maybe_update_themes' ),
		array( 'load-plugins.php', 'wp_update_plugins' ),
		array( 'load-themes.php', 'wp_update_themes' ),
		array( 'load-update.php', 'wp_update_plugins' ),
		array( 'load-update.php', 'wp_update_themes' ),
		array( 'load-update-core.php', 'wp_update_plugins' ),
		array( 'load-update-core.php', 'wp_update_themes' ),
		array( 'wp_version_check', 'wp_version_check' ),
		array( 'wp_update_plugins', 'wp_update_plugins' ),
		array( 'wp_update_themes', 'wp_update_themes' ),
		array( 'wp_maybe_auto_update', 'wp_maybe_auto_update' ),
		// Don't even schedule the update cron events: tests run due cron events.
		array( 'init', 'wp_schedule_update_checks' ),
	) as $tagbridge_testbed_hook
) {
	remove_action( $tagbridge_testbed_hook[0], $tagbridge_testbed_hook[1] );
}
unset( $tagbridge_testbed_hook );
