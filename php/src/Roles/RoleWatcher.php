<?php
/**
 * Watches WordPress role hooks and turns them into one net change per user per request.
 *
 * WordPress 6.0+ fires remove → add → set for one set_role(); WP User Manager's multiple-roles save
 * strips a user to one role and adds the others back at priority 99; role hooks of a new user fire
 * before user_register. Acting on each hook would apply and remove tags several times, so the
 * watcher only records the roles a user had before the first change, and the net difference is
 * planned once at the end of the request (or when flush() is called).
 *
 * The roles "before" are read just before WordPress first writes the user's capabilities meta in
 * the request (the role hooks fire after that write, when the old roles are already gone).
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

defined( 'ABSPATH' ) || exit;

/**
 * Records role changes; hands the net change to a callback on flush.
 */
final class RoleWatcher {

	/**
	 * Roles each changed user had before the first change of this request, by user id.
	 *
	 * @var array<int, string[]>
	 */
	private $before = array();

	/**
	 * While true, role changes are ours and are not recorded.
	 *
	 * @var bool
	 */
	private $paused = false;

	/**
	 * Receives (int $user_id, string[] $added, string[] $removed) for each net change.
	 *
	 * @var callable
	 */
	private $on_change;

	/**
	 * Builds the watcher; Plugin registers its hooks (the meta filters at priority 1, the role
	 * actions, and flush() at shutdown).
	 *
	 * @param callable $on_change Receives each user's net change on flush.
	 */
	public function __construct( callable $on_change ) {
		$this->on_change = $on_change;
	}

	/**
	 * Snapshots a user's roles before the capabilities meta is first written in this request.
	 *
	 * @param mixed  $check    Short-circuit value, returned untouched.
	 * @param int    $user_id  User.
	 * @param string $meta_key Meta key being written.
	 * @return mixed
	 */
	public function before_meta_write( $check, $user_id, $meta_key ) {
		global $wpdb;
		if ( $wpdb->get_blog_prefix() . 'capabilities' === $meta_key ) {
			$this->remember( (int) $user_id, static fn( $roles ) => $roles );
		}
		return $check;
	}

	/**
	 * `add_user_role`: the role is already added.
	 *
	 * @param int    $user_id User.
	 * @param string $role    Role added.
	 */
	public function added( $user_id, $role ) {
		$this->remember( (int) $user_id, static fn( $roles ) => array_diff( $roles, array( $role ) ) );
	}

	/**
	 * `remove_user_role`: the role is already removed.
	 *
	 * @param int    $user_id User.
	 * @param string $role    Role removed.
	 */
	public function removed( $user_id, $role ) {
		$this->remember( (int) $user_id, static fn( $roles ) => array_merge( $roles, array( $role ) ) );
	}

	/**
	 * `set_user_role`: carries the old roles.
	 *
	 * @param int      $user_id   User.
	 * @param string   $role      New role.
	 * @param string[] $old_roles Roles before.
	 */
	public function set( $user_id, $role, $old_roles ) {
		$this->remember( (int) $user_id, static fn() => (array) $old_roles );
	}

	/**
	 * Runs $work without recording the role changes it makes (they are TagBridge's own).
	 *
	 * @param callable $work Work.
	 */
	public function pause( callable $work ) {
		$was          = $this->paused;
		$this->paused = true;
		try {
			$work();
		} finally {
			$this->paused = $was;
		}
	}

	/**
	 * Hands every user's net role change to the callback and forgets them.
	 */
	public function flush() {
		$pending      = $this->before;
		$this->before = array();
		foreach ( $pending as $user_id => $before ) {
			$after   = self::current_roles( $user_id );
			$added   = array_values( array_diff( $after, $before ) );
			$removed = array_values( array_diff( $before, $after ) );
			if ( $added || $removed ) {
				call_user_func( $this->on_change, $user_id, $added, $removed );
			}
		}
	}

	/**
	 * Records a user's roles before the first change seen in this request.
	 *
	 * @param int      $user_id User.
	 * @param callable $undo    Turns the current roles into the roles before this hook's change.
	 */
	private function remember( $user_id, callable $undo ) {
		if ( $this->paused || isset( $this->before[ $user_id ] ) || $user_id <= 0 ) {
			return;
		}
		$this->before[ $user_id ] = array_values( array_unique( $undo( self::current_roles( $user_id ) ) ) );
	}

	/**
	 * The roles a user holds now, read fresh from the database (WP_User objects may be stale).
	 *
	 * @param int $user_id User.
	 * @return string[]
	 */
	private static function current_roles( $user_id ) {
		global $wpdb;
		$caps = get_user_meta( $user_id, $wpdb->get_blog_prefix() . 'capabilities', true );
		if ( ! is_array( $caps ) ) {
			return array();
		}
		$roles = wp_roles();
		return array_values( array_filter( array_keys( array_filter( $caps ) ), array( $roles, 'is_role' ) ) );
	}
}
