<?php
/**
 * The one class that calls the TagBridge extension. Everything else asks it.
 *
 * @package TagBridge
 */

namespace TagBridge\Engine;

defined( 'ABSPATH' ) || exit;

/**
 * Thin wrapper over the extension's functions, so the rest of the plugin reads as intent and the
 * boundary (few calls, compact inputs) stays in one file.
 */
final class Engine {

	/**
	 * Compiles settings under a version key and keeps them in the PHP process.
	 *
	 * @param string       $version  Key that changes when settings or roles change.
	 * @param array|string $settings Stored settings.
	 * @param array        $site     Site facts: roles and fallback role.
	 * @return array Summary from the extension.
	 * @throws \TagBridge\Ext\Exception When the settings are refused.
	 */
	public function compile( $version, $settings, array $site ) {
		return tagbridge_compile_settings( $version, $settings, $site );
	}

	/**
	 * Whether a settings version is compiled in this process.
	 *
	 * @param string $version Version key.
	 * @return bool
	 */
	public function is_compiled( $version ) {
		return tagbridge_settings_is_compiled( $version );
	}

	/**
	 * Plans one user's role and tag changes.
	 *
	 * @param string $version Compiled settings version.
	 * @param array  $user    User facts.
	 * @param array  $event   What happened.
	 * @return array The plan.
	 */
	public function plan( $version, array $user, array $event ) {
		return tagbridge_plan( $version, $user, $event );
	}

	/**
	 * Plans a push of one user's mapped fields against the last acknowledged snapshot.
	 *
	 * @param string $version  Compiled settings version.
	 * @param array  $values   WordPress key => value.
	 * @param array  $snapshot CRM field => value last pushed.
	 * @param array  $context  Site offset and optional format profile.
	 * @return array{payload: array, log: list<array>}
	 */
	public function fields_push( $version, array $values, array $snapshot, array $context ) {
		return tagbridge_fields_push( $version, $values, $snapshot, $context );
	}
}
