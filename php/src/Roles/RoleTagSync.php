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
	 * @param int $user_id User.
	 * @return array
	 */
	public function facts( $user_id ) {
		$user  = get_userdata( $user_id );
		$roles = $user ? array_values( $user->roles ) : array();
		$caps  = $user ? array_keys( array_filter( $user->caps ) ) : array();
		return array(
			'user_id'     => (int) $user_id,
			'roles'       => $roles,
			'tags'        => $this->tags->get( $user_id ),
			'caps'        => array_values( array_diff( $caps, $roles ) ),
			'super_admin' => is_multisite() && is_super_admin( $user_id ),
		);
	}

	/**
	 * Plans and applies what an event means for one user.
	 *
	 * @param int   $user_id User.
	 * @param array $event   Event for tagbridge_plan().
	 * @return array|WP_Error The plan that was applied.
	 */
	public function reconcile( $user_id, array $event ) {
		$version = $this->settings->compiled();
		if ( is_wp_error( $version ) ) {
			return $version;
		}
		$plan   = $this->engine->plan( $version, $this->facts( $user_id ), $event );
		$result = $this->applier->apply( $plan );
		$this->announce( $user_id, $result['applied'], $result['removed'] );

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
		if ( ! get_userdata( $user_id ) ) {
			return;
		}
		$this->reconcile(
			$user_id,
			array(
				'roles_added'   => $added,
				'roles_removed' => $removed,
			)
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
		$applied = $this->tags->add( $user_id, $apply );
		$removed = $this->tags->remove( $user_id, $remove );
		$this->announce( $user_id, $applied, $removed );
		if ( $applied || $removed ) {
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
	 * Fires the public tag actions for one user.
	 *
	 * @param int      $user_id User.
	 * @param string[] $applied Tags applied.
	 * @param string[] $removed Tags removed.
	 */
	private function announce( $user_id, array $applied, array $removed ) {
		TagEvents::announce( $user_id, $applied, $removed, fn() => $this->tags->get( $user_id ) );
	}
}
