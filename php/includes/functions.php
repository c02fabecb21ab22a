<?php
/**
 * TagBridge's public PHP API for site owners and other plugins.
 *
 * @package TagBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The TagBridge settings (the `tagbridge_settings` option, with defaults).
 *
 * @since 0.1.0
 * @return array
 */
function tagbridge_get_settings() {
	return TagBridge\Plugin::instance()->settings->get();
}

/**
 * Validates and saves the whole settings array; nothing is saved when any entry is refused.
 *
 * @since 0.1.0
 * @param array $settings New settings (see the README for the format).
 * @return true|WP_Error WP_Error `tagbridge_invalid_settings` names the bad entry in its message
 *                       and in its data's `path`.
 */
function tagbridge_update_settings( $settings ) {
	return TagBridge\Plugin::instance()->settings->update( $settings );
}
