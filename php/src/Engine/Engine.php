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
	 * Plans many users with one event in one call; only users with changes come back.
	 *
	 * @param string $version Compiled settings version.
	 * @param array  $users   Facts of each user.
	 * @param array  $event   What happened (usually a resync).
	 * @return array[] Plans.
	 */
	public function plan_batch( $version, array $users, array $event ) {
		return tagbridge_plan_batch( $version, $users, $event );
	}

	/**
	 * Coalesces one contact's pending changes into one delivery.
	 *
	 * @param array $changes     Changes with their row ids, oldest first.
	 * @param bool  $has_contact Whether the contact's id is known.
	 * @param bool  $combined    Whether the CRM takes fields and tags in one request.
	 * @return array The delivery: ids, net fields/apply_tags/remove_tags, calls.
	 */
	public function coalesce( array $changes, $has_contact, $combined ) {
		return tagbridge_outbox_coalesce( $changes, (bool) $has_contact, (bool) $combined );
	}

	/**
	 * What follows a failed delivery attempt.
	 *
	 * @param int      $key         Oldest row id (seeds the jitter).
	 * @param int      $attempt     Attempt that failed (1 = first).
	 * @param string   $failure     Result status.
	 * @param int|null $retry_after Seconds the CRM asked to wait.
	 * @return array{action: string, delay: ?int, reason: ?string}
	 */
	public function schedule( $key, $attempt, $failure, $retry_after ) {
		return tagbridge_outbox_schedule( (int) $key, (int) $attempt, (string) $failure, null === $retry_after ? null : (int) $retry_after );
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

	/**
	 * Validates one inbound webhook.
	 *
	 * @param array  $params Query (and form) parameters.
	 * @param string $body   Raw body.
	 * @return array `{ok: true, request}` or `{ok: false, error: {code, status, path, message}}`.
	 */
	public function webhook_parse( array $params, $body ) {
		return tagbridge_webhook_parse( $params, (string) $body );
	}

	/**
	 * Plans a pull into one user (see tagbridge_fields_pull()).
	 *
	 * @param string $version    Compiled settings version.
	 * @param array  $crm_values CRM field => value.
	 * @param array  $current    WordPress key => current value.
	 * @param array  $context    Site offset, format profile, user facts.
	 * @return array{writes: array, log: array}
	 */
	public function fields_pull( $version, array $crm_values, array $current, array $context ) {
		return tagbridge_fields_pull( $version, $crm_values, $current, $context );
	}
}
