<?php
/**
 * Uninstall: removes TagBridge's tables and options. WordPress runs this file only when the site
 * owner deletes the plugin.
 *
 * @package TagBridge
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/src/Installer.php';
require_once __DIR__ . '/src/Crm/Connection.php';
require_once __DIR__ . '/src/Settings/SettingsStore.php';
require_once __DIR__ . '/src/Tags/TagStore.php';
require_once __DIR__ . '/src/Outbox/Outbox.php';
require_once __DIR__ . '/src/Crm/Crm.php';
require_once __DIR__ . '/src/Crm/EmbeddedCrm.php';
require_once __DIR__ . '/src/Log/Logger.php';

TagBridge\Installer::uninstall();
