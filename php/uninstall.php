<?php
/**
 * Uninstall: removes everything TagBridge stored. WordPress runs this file, without loading the
 * plugin, only when the site owner deletes the plugin.
 *
 * @package TagBridge
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require __DIR__ . '/includes/autoload.php';

TagBridge\Installer::uninstall();
