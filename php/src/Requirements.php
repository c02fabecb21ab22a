<?php
/**
 * Checks that the TagBridge extension is loaded and is the version this plugin was written for.
 *
 * @package TagBridge
 */

namespace TagBridge;

defined( 'ABSPATH' ) || exit;

/**
 * The load-time gate of the plugin.
 */
final class Requirements {

	/**
	 * What stops the plugin from running, or null when nothing does.
	 *
	 * @param string|null $extension_version Version the loaded extension reports; null when not loaded.
	 * @param string      $plugin_version    This plugin's version.
	 * @return string|null A sentence for the site owner (not yet translated: translation loads later).
	 */
	public static function problem( $extension_version, $plugin_version ) {
		if ( null === $extension_version ) {
			return 'missing';
		}
		if ( (string) $extension_version !== (string) $plugin_version ) {
			return 'mismatch:' . $extension_version;
		}
		return null;
	}

	/**
	 * The notice text for a problem code.
	 *
	 * @param string $problem Code returned by problem().
	 * @return string
	 */
	public static function message( $problem ) {
		if ( 0 === strpos( $problem, 'mismatch:' ) ) {
			return sprintf(
				/* translators: 1: plugin version, 2: extension version */
				__( 'TagBridge is paused: this plugin is version %1$s but the loaded TagBridge PHP extension is version %2$s. Install the extension built from the same release (see the README), then reload PHP.', 'tagbridge' ),
				TAGBRIDGE_VERSION,
				substr( $problem, strlen( 'mismatch:' ) )
			);
		}
		return __( 'TagBridge is paused: its PHP extension (tagbridge.so) is not loaded. Build and enable it as the README describes (extension=tagbridge.so in PHP\'s configuration), then reload PHP. Until then TagBridge changes nothing on this site.', 'tagbridge' );
	}

	/**
	 * Shows one admin notice, to people who can act on it, and nothing else.
	 *
	 * @param string $problem Code returned by problem().
	 */
	public static function show_notice( $problem ) {
		$render = static function () use ( $problem ) {
			if ( ! current_user_can( 'activate_plugins' ) ) {
				return;
			}
			printf( '<div class="notice notice-error"><p>%s</p></div>', esc_html( self::message( $problem ) ) );
		};
		add_action( 'admin_notices', $render );
		add_action( 'network_admin_notices', $render );
	}
}
