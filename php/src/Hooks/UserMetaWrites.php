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
 * the user id. So a write of the key arms a one-shot callback on the generic hooks, which disarms
 * itself at the next generic call whatever its key (a write whose value did not change fires no
 * "updated" action, leaving the callback armed until then).
 *
 * Plugin::watch_user_meta() hooks the sanitize filter and builds this object on the key's first
 * write, so a request that writes no such key never loads this file.
 */
final class UserMetaWrites {

	/**
	 * Generic hooks the one-shot goes on.
	 *
	 * @var string[]
	 */
	private $hooks;

	/**
	 * Priority on them.
	 *
	 * @var int
	 */
	private $priority;

	/**
	 * Arguments taken.
	 *
	 * @var int
	 */
	private $args;

	/**
	 * The one-shot callback (one object, so arming twice registers it once).
	 *
	 * @var \Closure
	 */
	private $once;

	/**
	 * Builds the watch of one key.
	 *
	 * @param string   $meta_key Meta key.
	 * @param string[] $hooks    Generic user meta hooks whose third argument is the meta key:
	 *                           update_user_metadata / add_user_metadata (filters; their first
	 *                           argument is returned unchanged), added_user_meta, updated_user_meta.
	 * @param callable $callback Gets the hook's arguments.
	 * @param int      $priority Priority on the generic hooks.
	 * @param int      $args     Arguments taken (at least 3).
	 */
	public function __construct( $meta_key, array $hooks, callable $callback, $priority, $args ) {
		$this->hooks    = $hooks;
		$this->priority = $priority;
		$this->args     = $args;
		$this->once     = function ( ...$hook_args ) use ( $meta_key, $callback ) {
			$this->disarm();
			if ( $meta_key === $hook_args[2] ) {
				$callback( ...$hook_args );
			}
			return $hook_args[0];
		};
	}

	/**
	 * The key is about to be written: catch the generic hooks of this write.
	 */
	public function arm() {
		foreach ( $this->hooks as $hook ) {
			add_filter( $hook, $this->once, $this->priority, $this->args );
		}
	}

	/**
	 * Takes the one-shot off the generic hooks.
	 */
	private function disarm() {
		foreach ( $this->hooks as $hook ) {
			remove_filter( $hook, $this->once, $this->priority );
		}
	}
}
