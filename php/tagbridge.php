<?php
/**
 * Plugin Name:       TagBridge
 * Description:       Keeps membership roles, profile fields and CRM tags in agreement (Members, Ultimate Member, WP User Manager). Needs the TagBridge PHP extension.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            TagBridge developers
 * License:           GPL-2.0-or-later
 * Text Domain:       tagbridge
 * Domain Path:       /languages
 *
 * @package TagBridge
 */

defined( 'ABSPATH' ) || exit;

/** Plugin version; the loaded extension must report the same (see Requirements). */
define( 'TAGBRIDGE_VERSION', '0.1.0' );
define( 'TAGBRIDGE_FILE', __FILE__ );
define( 'TAGBRIDGE_DIR', __DIR__ );

require __DIR__ . '/includes/autoload.php';

// Without a matching extension the plugin only explains what is missing: no hook, no API, no half-work.
$tagbridge_problem = TagBridge\Requirements::problem(
	function_exists( 'tagbridge_version' ) ? tagbridge_version() : null,
	TAGBRIDGE_VERSION
);
if ( null !== $tagbridge_problem ) {
	TagBridge\Requirements::show_notice( $tagbridge_problem );
	unset( $tagbridge_problem );
	return;
}
unset( $tagbridge_problem );

require __DIR__ . '/includes/functions.php';

register_activation_hook( __FILE__, array( TagBridge\Installer::class, 'activate' ) );
// Webhooks to the front controller are answered before anything else of the plugin is built
// (EarlyEntry decides exactly; this cheap look keeps its file out of every other request).
// phpcs:ignore WordPress.Security.NonceVerification,WordPress.Security.ValidatedSanitizedInput -- only decides what to load.
if ( isset( $_GET['tagbridge_action'] ) || isset( $_GET['rest_route'] ) || false !== strpos( (string) ( $_SERVER['REQUEST_URI'] ?? '' ), 'tagbridge/v1/webhook' ) ) {
	add_action( 'plugins_loaded', array( TagBridge\Webhook\EarlyEntry::class, 'answer' ), PHP_INT_MIN );
}
add_action( 'plugins_loaded', array( TagBridge\Plugin::class, 'boot' ) );
