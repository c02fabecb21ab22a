<?php
/**
 * Carries out a plan from the engine with WordPress APIs, without the changes echoing back.
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

use TagBridge\Tags\TagStore;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Applies role and tag changes of a plan.
 */
final class PlanApplier {

	/**
	 * Tag store.
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Role watcher, paused while we change roles ourselves.
	 *
	 * @var RoleWatcher
	 */
	private $watcher;

	/**
	 * Builds the applier.
	 *
	 * @param TagStore    $tags    Tag store.
	 * @param RoleWatcher $watcher Role watcher.
	 */
	public function __construct( TagStore $tags, RoleWatcher $watcher ) {
		$this->tags    = $tags;
		$this->watcher = $watcher;
	}

	/**
	 * Applies one plan.
	 *
	 * @param array $plan Plan from tagbridge_plan().
	 * @return array{applied: string[], removed: string[]} The tag changes actually made.
	 */
	public function apply( array $plan ) {
		$user_id = (int) $plan['user_id'];
		if ( $plan['add_roles'] || $plan['remove_roles'] ) {
			$user = new WP_User( $user_id );
			$this->watcher->pause(
				static function () use ( $user, $plan ) {
					// Add first, so a user never passes through a moment with no role.
					foreach ( $plan['add_roles'] as $change ) {
						$user->add_role( $change['role'] );
					}
					foreach ( $plan['remove_roles'] as $change ) {
						$user->remove_role( $change['role'] );
					}
				}
			);
		}
		$applied = $plan['apply_tags'] ? $this->tags->add( $user_id, array_column( $plan['apply_tags'], 'tag' ) ) : array();
		$removed = $plan['remove_tags'] ? $this->tags->remove( $user_id, array_column( $plan['remove_tags'], 'tag' ) ) : array();
		return array(
			'applied' => $applied,
			'removed' => $removed,
		);
	}
}
