<?php
/**
 * Members and WP User Manager cannot be installed in CI; the tests fire their hooks as those
 * plugins do. TagBridge registers a plugin's hooks only when the plugin's main class is loaded by
 * plugins_loaded, so every PHP process of the tests loads these stand-ins for the two classes
 * before WordPress (tests/php/integration/bootstrap.php, TestCase::load_wordpress_code()).
 * Ultimate Member's stand-in, which has behaviour, is UltimateMemberStandIn.php, loaded by the
 * tests that use it.
 */

if ( ! class_exists( 'Members_Plugin', false ) ) {
	/** Stands in for Members' main class (its detection marker). */
	final class Members_Plugin {} // phpcs:ignore Generic.Files.OneObjectStructurePerFile.MultipleFound
}
if ( ! class_exists( 'WPUM', false ) ) {
	/** Stands in for WP User Manager's main class (its detection marker). */
	final class WPUM {} // phpcs:ignore Generic.Files.OneObjectStructurePerFile.MultipleFound
}
