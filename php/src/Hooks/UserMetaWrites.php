<?php
/**
 * Callbacks for the writes of one user meta key, without a callback on every user meta write.
 *
 * @package TagBridge
 */

namespace TagBridge\Hooks;

defined( 'ABSPATH' ) || exit;

/**
 * WordPress's meta hooks (`update_user_metadata`, `added_user_meta`, …) fire for every key, and a
 * registration writes dozens of keys: a callback on them runs dozens of times (and makes WordPress
 * run the hook at all) to care about one key. `sanitize_user_meta_{$key}` fires only for that key,
 * just before add_metadata()/update_metadata() fire their hooks for the same write — but without
 * the user id. So it arms a one-shot callback on the generic hooks, which disarms itself at the
 * next generic call whatever its key (a write whose value did not change fires no "updated" action,
 * leaving the callback armed until then).
 */
final class UserMetaWrites {

	/**
	 * Calls $callback with a hook's arguments when one of $hooks fires for a write of $meta_key.
	 *
	 * @param string   $meta_key Meta key.
	 * @param string[] $hooks    Generic user meta hooks whose third argument is the meta key:
	 *                           update_user_metadata / add_user_metadata (filters; their first
	 *                           argument is returned unchanged), added_user_meta, updated_user_meta.
	 * @param callable $callback Gets the hook's arguments.
	 * @param int      $priority Priority on the generic hooks.
	 * @param int      $args     Arguments taken (at least 3).
	 */
	public static function watch( $meta_key, array $hooks, callable $callback, $priority, $args ) {
		$once = static function ( ...$hook_args ) use ( &$once, $meta_key, $hooks, $callback, $priority ) {
			foreach ( $hooks as $hook ) {
				remove_filter( $hook, $once, $priority );
			}
			if ( $meta_key === $hook_args[2] ) {
				$callback( ...$hook_args );
			}
			return $hook_args[0];
		};
		add_filter(
			'sanitize_user_meta_' . $meta_key,
			static function ( $value ) use ( &$once, $hooks, $priority, $args ) {
				foreach ( $hooks as $hook ) {
					add_filter( $hook, $once, $priority, $args );
				}
				return $value;
			},
			PHP_INT_MAX
		);
	}
}
