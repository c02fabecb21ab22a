<?php
/**
 * Roles ↔ tags: gathers facts, asks the engine for a plan, applies it, announces tag changes.
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

use TagBridge\Engine\Engine;
use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagEvents;
use TagBridge\Tags\TagStore;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The flow hook → facts → plan → apply for role and tag changes.
 */
final class RoleTagSync {

	/**
	 * Extension wrapper.
	 *
	 * @var Engine
	 */
	private $engine;

	/**
	 * Settings.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Tag store.
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Plan applier.
	 *
	 * @var PlanApplier
	 */
	private $applier;

	/**
	 * What this process's last change_tags() left a user with, while nothing else in the process
	 * wrote tags since: `[user id, tags, TagStore::writes() then, microtime]`. A registration
	 * applies its form's tags, then plans its role change at shutdown: the second plan need not
	 * read back what the first just wrote.
	 *
	 * @var array{0: int, 1: string[], 2: int, 3: float}|null
	 */
	private $left = null;

	/** Seconds a change_tags() result stands in for a read (another process may write meanwhile). */
	const LEFT_FOR = 1.0;

	/**
	 * Builds the service.
	 *
	 * @param Engine        $engine   Extension wrapper.
	 * @param SettingsStore $settings Settings.
	 * @param TagStore      $tags     Tag store.
	 * @param PlanApplier   $applier  Plan applier.
	 */
	public function __construct( Engine $engine, SettingsStore $settings, TagStore $tags, PlanApplier $applier ) {
		$this->engine   = $engine;
		$this->settings = $settings;
		$this->tags     = $tags;
		$this->applier  = $applier;
	}

	/**
	 * Facts about a user for the engine.
	 *
	 * @param int           $user_id User.
	 * @param string[]|null $tags    The user's tags when the caller has just read them; null reads them.
	 * @param \WP_User|null $user    The user when the caller has them; null reads them.
	 * @return array
	 */
	public function facts( $user_id, $tags = null, $user = null ) {
		$user  = $user ?? get_userdata( $user_id );
		$roles = $user ? array_values( $user->roles ) : array();
		$caps  = $user ? array_keys( array_filter( $user->caps ) ) : array();
		return array(
			'user_id'     => (int) $user_id,
			'roles'       => $roles,
			'tags'        => $tags ?? $this->tags->get( $user_id ),
			'caps'        => array_values( array_diff( $caps, $roles ) ),
			'super_admin' => is_multisite() && is_super_admin( $user_id ),
		);
	}

	/**
	 * Plans and applies what an event means for one user.
	 *
	 * @param int           $user_id User.
	 * @param array         $event   Event for tagbridge_plan().
	 * @param \WP_User|null $user    The user when the caller has them; null reads them.
	 * @return array|WP_Error The plan that was applied.
	 */
	public function reconcile( $user_id, array $event, $user = null ) {
		$version = $this->settings->compiled();
		if ( is_wp_error( $version ) ) {
			return $version;
		}
		// The tags a change_tags() of this request just left, when still known; else read.
		$facts  = $this->facts( $user_id, $this->left_tags( (int) $user_id ), $user );
		$plan   = $this->engine->plan( $version, $facts, $event );
		$result = $this->applier->apply( $plan );
		// The tags now follow from the facts and what was just written: no second read.
		$this->announce( $user_id, $result['applied'], $result['removed'], $facts['tags'] );

		/**
		 * Fires after a roles ↔ tags plan was applied to a user.
		 *
		 * @param array $plan    The plan, with reasons.
		 * @param int   $user_id The user.
		 */
		do_action( 'tagbridge_plan_applied', $plan, $user_id );
		return $plan;
	}

	/**
	 * Net role change of a user over the request (from RoleWatcher).
	 *
	 * @param int      $user_id User.
	 * @param string[] $added   Roles added.
	 * @param string[] $removed Roles removed.
	 */
	public function roles_changed( $user_id, array $added, array $removed ) {
		if ( ! $this->links_any( array_merge( $added, $removed ), 'role' ) ) {
			return;
		}
		$user = get_userdata( $user_id );
		if ( ! $user ) {
			return;
		}
		$this->reconcile(
			$user_id,
			array(
				'roles_added'   => $added,
				'roles_removed' => $removed,
			),
			$user
		);
	}

	/**
	 * Applies and removes tags on a user (the embedded CRM's event), then lets linked roles follow.
	 *
	 * @param int      $user_id User.
	 * @param string[] $apply   Tags to apply.
	 * @param string[] $remove  Tags to remove.
	 * @return array{applied: string[], removed: string[]}|WP_Error
	 */
	public function change_tags( $user_id, array $apply, array $remove ) {
		// One read up front: a tag the user already has needs no write (and is not "applied"), a
		// tag they lack needs no delete. Each write still reports exactly what it changed.
		$before  = $this->tags->get( $user_id );
		$writes  = $this->tags->writes();
		$applied = $this->tags->add( $user_id, array_diff( $apply, $before ) );
		$removed = $this->tags->remove( $user_id, array_intersect( $remove, $before ) );
		$this->announce( $user_id, $applied, $removed, $before );
		// Listeners of the announcement may have changed this user's tags again; then a plan reads.
		$this->left = $this->tags->writes() === $writes + count( $applied ) + count( $removed )
			? array( (int) $user_id, self::after( $before, $applied, $removed ), $this->tags->writes(), microtime( true ) )
			: null;
		if ( $this->links_any( array_merge( $applied, $removed ), 'tag' ) ) {
			$plan = $this->reconcile(
				$user_id,
				array(
					'tags_applied' => $applied,
					'tags_removed' => $removed,
				)
			);
			if ( is_wp_error( $plan ) ) {
				return $plan;
			}
		}
		return array(
			'applied' => $applied,
			'removed' => $removed,
		);
	}

	/**
	 * The tags change_tags() left a user with, if no tag was written in this process since and
	 * it was a moment ago; null when they must be read.
	 *
	 * @param int $user_id User.
	 * @return string[]|null
	 */
	private function left_tags( $user_id ) {
		if ( null === $this->left || $this->left[0] !== $user_id || $this->left[2] !== $this->tags->writes() || microtime( true ) - $this->left[3] > self::LEFT_FOR ) {
			return null;
		}
		return $this->left[1];
	}

	/**
	 * Whether any of these roles (or tags) is in a role link. A role or tag change acts only on
	 * the links of what changed (the engine's Event::truth_for), so a change touching no link has
	 * an empty plan, and its facts need not be read.
	 *
	 * @param string[] $names Roles or tags.
	 * @param string   $side  `role` or `tag`.
	 * @return bool
	 */
	private function links_any( array $names, $side ) {
		if ( ! $names ) {
			return false;
		}
		$linked = array_column( (array) ( $this->settings->get()['role_links'] ?? array() ), $side );
		return (bool) array_intersect( $names, $linked );
	}

	/**
	 * Fires the public tag actions for one user.
	 *
	 * @param int      $user_id User.
	 * @param string[] $applied Tags applied.
	 * @param string[] $removed Tags removed.
	 * @param string[] $before  The user's tags before these changes.
	 */
	private function announce( $user_id, array $applied, array $removed, array $before ) {
		TagEvents::announce( $user_id, $applied, $removed, fn() => self::after( $before, $applied, $removed ) );
	}

	/**
	 * A user's tags after changes, sorted as TagStore::get() sorts them (byte order).
	 *
	 * @param string[] $before  Tags before.
	 * @param string[] $applied Tags added.
	 * @param string[] $removed Tags deleted.
	 * @return string[]
	 */
	private static function after( array $before, array $applied, array $removed ) {
		$tags = array_values( array_diff( array_unique( array_merge( $before, $applied ) ), $removed ) );
		sort( $tags, SORT_STRING );
		return $tags;
	}
}
