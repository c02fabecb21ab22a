<?php
/**
 * Stubs of the TagBridge PHP extension, for IDEs and static analysis. Not loaded at run time.
 *
 * tests/php/unit/StubsTest.php compares every declaration here with the loaded extension by
 * reflection, so this file cannot drift from the extension.
 *
 * @package TagBridge
 */

namespace {

	/**
	 * The version of the TagBridge extension (the crate version); the plugin refuses to run when it
	 * differs from its own.
	 */
	function tagbridge_version(): string {}

	/**
	 * Facts about this build.
	 *
	 * @return array{version: string, php_api: string, php_version: string, profile: string}
	 */
	function tagbridge_build_info(): array {}

	/**
	 * Diagnostics: panics inside the extension on purpose, to show that a Rust panic reaches PHP as
	 * an `\Error` ("Rust panic: …") and the PHP process carries on. Never called by the plugin.
	 */
	function tagbridge_debug_panic(string $message): void {}

	/**
	 * Validates and compiles TagBridge settings, and keeps the result in this PHP process under
	 * `$version` so later requests only look it up.
	 *
	 * @param string $version A key that changes whenever the settings or the site's roles change.
	 * @param array|string $settings The `tagbridge_settings` option, as an array or JSON text.
	 * @param array $site `['roles' => wp_roles()->roles, 'fallback_role' => get_option('default_role')]`.
	 * @return array{version: string, role_links: int, fields: int, protected_roles: list<string>, protected_capabilities: list<string>, fallback_role: ?string, warnings: list<string>}
	 * @throws \TagBridge\Ext\SettingsException when an entry is invalid; the message starts with its path.
	 * @throws \TagBridge\Ext\InputException when `$settings` or `$site` is not plain data.
	 */
	function tagbridge_compile_settings(string $version, mixed $settings, mixed $site): array {}

	/**
	 * Whether settings of `$version` are already compiled in this PHP process (a cheap lookup).
	 */
	function tagbridge_settings_is_compiled(string $version): bool {}

	/**
	 * Plans the role and tag changes that bring one user's roles and tags into agreement.
	 *
	 * @param string $version A compiled settings version (see tagbridge_compile_settings()).
	 * @param array $user `['user_id' => int, 'roles' => list<string>, 'tags' => list<string>, 'caps' => list<string>, 'super_admin' => bool]`; or, in place of roles and caps, `'capabilities' => string`, the user's `{prefix}capabilities` meta as stored (serialized), split as WP_User splits it: granted keys naming a registered role are roles, other granted keys capabilities. Only the shape WordPress writes (string keys, true/false values) is read; anything else is refused (InputException), to be unserialized by the caller.
	 * @param array $event `['roles_added' => [], 'roles_removed' => [], 'tags_applied' => [], 'tags_removed' => [], 'resync' => null|'roles'|'tags', 'resync_roles' => null|[]]` (resync_roles limits a resync to those roles' links).
	 * @return array{user_id: int, add_roles: list<array{role: string, reason: string, detail: string}>, remove_roles: list<array{role: string, reason: string, detail: string}>, apply_tags: list<array{tag: string, reason: string, detail: string}>, remove_tags: list<array{tag: string, reason: string, detail: string}>, notes: list<array{code: string, message: string}>}
	 * @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
	 * @throws \TagBridge\Ext\InputException when the facts are malformed.
	 */
	function tagbridge_plan(string $version, mixed $user, mixed $event): array {}

	/**
	 * Plans many users with one event, for reconciling a whole site; returns only the plans that
	 * change something, in input order.
	 *
	 * @param string $version A compiled settings version.
	 * @param array $users A list of user facts, each as for tagbridge_plan().
	 * @param array $event The event, as for tagbridge_plan() (usually `['resync' => 'roles'|'tags']`).
	 * @return list<array> Plans shaped as tagbridge_plan()'s.
	 * @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
	 * @throws \TagBridge\Ext\InputException when the facts are malformed.
	 */
	function tagbridge_plan_batch(string $version, mixed $users, mixed $event): array {}

	/**
	 * Coalesces one contact's pending changes (oldest first) into one delivery: fields merged (last
	 * write wins per field), for each tag only its last change, and the CRM calls that send it.
	 *
	 * @param array $changes `list<array{id: int, fields?: array<string, mixed>, apply_tags?: list<string>, remove_tags?: list<string>}>`, in enqueue order.
	 * @param bool $has_contact Whether the contact's id is known (else the one call is a `create` carrying the fields and the tags to apply; on a duplicate answer, look the contact up and coalesce again with `true`).
	 * @param bool $combined Whether the CRM takes fields and tags in one request.
	 * @return array{ids: list<int>, fields: array<string, mixed>, apply_tags: list<string>, remove_tags: list<string>, calls: list<array{op: string, fields?: array, tags?: list<string>, apply_tags?: list<string>, remove_tags?: list<string>}>} `op` is `create` (with `fields` and `apply_tags`), `update`, `apply`, `remove` or `combined`.
	 * @throws \TagBridge\Ext\InputException when a change is malformed.
	 */
	function tagbridge_outbox_coalesce(mixed $changes, bool $has_contact, bool $combined): array {}

	/**
	 * Decides what follows a failed delivery: retry after a delay (exponential backoff with a cap,
	 * jitter derived from `$key`, retry-after as a floor) or park with a reason.
	 *
	 * @param int $key The oldest outbox row id of the delivery (seeds the jitter).
	 * @param int $attempt Which attempt failed (1 = the first).
	 * @param string $failure A `TagBridge\Crm\Result` failure status (`transient`, `rate_limited`, `not_found`, `auth_failed`, `permanent`, `duplicate`).
	 * @param int|null $retry_after Seconds the CRM asked to wait, if it said.
	 * @return array{action: string, delay: ?int, reason: ?string} `action` is `retry` (with `delay` seconds) or `park` (with `reason`).
	 * @throws \TagBridge\Ext\InputException when a number is negative or the failure is unknown.
	 */
	function tagbridge_outbox_schedule(int $key, int $attempt, string $failure, ?int $retry_after = null): array {}

	/**
	 * Plans a push of one user's mapped fields: formats each push-enabled field for the CRM and keeps
	 * only those that differ from the snapshot of the last successful push. Values that cannot be
	 * formatted (or read: not UTF-8, objects) are left out and named in the log.
	 *
	 * @param string $version A compiled settings version (see tagbridge_compile_settings()).
	 * @param array $values WordPress key => current value (user field or meta, as stored).
	 * @param array $snapshot CRM field => value last pushed successfully (`[]` before the first push).
	 * @param array $context `['site_offset' => int seconds east of UTC, 'format' => ?array CRM format profile]`.
	 * @return array{payload: array<string, mixed>, log: list<array{key: string, crm_field: string, code: string, message: string}>}
	 * @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
	 * @throws \TagBridge\Ext\InputException when the arrays are malformed.
	 */
	function tagbridge_fields_push(string $version, mixed $values, mixed $snapshot, mixed $context): array {}

	/**
	 * Plans a pull into one user: parses each pull-enabled CRM field back into what its source plugin
	 * stores, and returns only the writes that change something. Blank CRM values, protected keys
	 * (passwords, roles, capabilities, an existing user's login) and protected users are never
	 * written; each skip is named in the log.
	 *
	 * @param string $version A compiled settings version.
	 * @param array $crm_values CRM field => value as the CRM returned it.
	 * @param array $current WordPress key => current value of the user.
	 * @param array $context `['site_offset' => int, 'format' => ?array, 'user' => ['exists' => bool, 'roles' => list<string>, 'caps' => list<string>]]`.
	 * @return array{writes: array<string, mixed>, log: list<array{key: string, crm_field: string, code: string, message: string}>}
	 * @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
	 * @throws \TagBridge\Ext\InputException when the arrays are malformed.
	 */
	function tagbridge_fields_pull(string $version, mixed $crm_values, mixed $current, mixed $context): array {}

	/**
	 * Validates one inbound webhook (after the plugin authenticated it): action, parameters, email
	 * and role slug syntax, tags, fields, body size, UTF-8, JSON shape and depth. Never throws for
	 * bad input: a refused webhook is an expected outcome with the HTTP status to answer.
	 *
	 * @param array $params Query (and form) parameters, unslashed; `key` and `rest_route` are ignored.
	 * @param string $body The raw request body: empty or a JSON object.
	 * @return array{ok: bool, request?: array{action: string, contact_id: ?string, email: ?string, first_name: ?string, last_name: ?string, role: ?string, send_notification: ?bool, tags: ?list<string>, fields: array<string, mixed>, ignored: list<string>, contact_key: string}, error?: array{code: string, status: int, path: string, message: string}}
	 */
	function tagbridge_webhook_parse(mixed $params, mixed $body): array {}

	/**
	 * Filters one user change between linked sites through one direction's rules: protected roles
	 * are never set, a protected user never loses roles, password or account, only password hashes
	 * pass, and a change never goes back to the site it came from.
	 *
	 * @param array $rules `{create: bool, fields: list<string>, roles: list<string>, tags: bool, passwords: bool, delete: bool}`.
	 * @param array $change `{op: "upsert"|"delete", email: string, previous_email?: ?string, fields?: array<string, mixed>, roles?: ?list<string>, role_scope?: list<string>, apply_tags?: list<string>, remove_tags?: list<string>, pass_hash?: ?string, origin?: ?string}`.
	 * @param array $guard `{peer: string, protected_roles: list<string>, user_exists: bool, user_protected: bool, current_roles: list<string>, matched_by_previous: bool}`.
	 * @return array{change: ?array, add_roles: list<string>, remove_roles: list<string>, skipped: list<array{what: string, reason: string}>}
	 * @throws \TagBridge\Ext\InputException when an argument is not of the shape above.
	 */
	function tagbridge_site_filter(mixed $rules, mixed $change, mixed $guard): array {}

	/**
	 * Whether a signed request's timestamp is within `$window` seconds of `$now`.
	 *
	 * @param int $now Unix time on this site.
	 * @param int $timestamp The request's timestamp.
	 * @param int $window Seconds of tolerated clock difference and replay memory.
	 * @return string|null `null` when fresh, else `expired` or `from_the_future`.
	 */
	function tagbridge_site_check_timestamp(int $now, int $timestamp, int $window): ?string {}
}

namespace TagBridge\Ext {

	/** Base class of every exception the extension throws on purpose. */
	class Exception extends \Exception {
		/** Thrown by the extension only: PHP code cannot construct it ("You cannot instantiate this class from PHP"). */
		public function __construct() {}
	}

	/** Settings were refused; the message starts with the path of the bad entry. */
	class SettingsException extends Exception {
		/** Thrown by the extension only: PHP code cannot construct it ("You cannot instantiate this class from PHP"). */
		public function __construct() {}
	}

	/** A call's input was refused (malformed, not UTF-8, too large or too deep). */
	class InputException extends Exception {
		/** Thrown by the extension only: PHP code cannot construct it ("You cannot instantiate this class from PHP"). */
		public function __construct() {}
	}

	/** The settings version named by a call has not been compiled in this PHP process. */
	class NotCompiledException extends Exception {
		/** Thrown by the extension only: PHP code cannot construct it ("You cannot instantiate this class from PHP"). */
		public function __construct() {}
	}
}
