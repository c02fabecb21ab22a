<?php
/**
 * Profile Completeness add-on: a role's tags applied once when a user's profile becomes complete.
 *
 * The add-on has no "completed" action (2.1.6); its only signal is the `_completed` user meta it
 * writes after computing progress — for whichever user is being computed, often not the current
 * viewer (pitfall 22). So this listens to that meta with the object id, and compares it with the
 * required percentage of the user's role (`_um_profilec_pct` in the role meta).
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use TagBridge\Roles\RoleTagSync;

defined( 'ABSPATH' ) || exit;

/**
 * `_completed` reaching the role's requirement → the role's completeness tags.
 */
final class ProfileCompleteness {

	/** User meta: roles whose completeness tags were applied. */
	const DONE_META = '_tagbridge_um_completeness_tagged';

	/**
	 * Settings.
	 *
	 * @var Options
	 */
	private $options;

	/**
	 * Roles ↔ tags flow.
	 *
	 * @var RoleTagSync
	 */
	private $sync;

	/**
	 * Builds the service.
	 *
	 * @param Options     $options Settings.
	 * @param RoleTagSync $sync    Roles ↔ tags flow.
	 */
	public function __construct( Options $options, RoleTagSync $sync ) {
		$this->options = $options;
		$this->sync    = $sync;
	}

	/**
	 * A user meta was written; only `_completed` matters.
	 *
	 * @param int    $meta_id   Meta row.
	 * @param int    $user_id   The user whose profile was computed.
	 * @param string $meta_key  Key.
	 * @param mixed  $value     Percentage.
	 */
	public function meta_written( $meta_id, $user_id, $meta_key, $value ) {
		if ( '_completed' !== $meta_key || ! is_numeric( $value ) ) {
			return;
		}
		$user = get_userdata( (int) $user_id );
		if ( ! $user ) {
			return;
		}
		$done = get_user_meta( $user->ID, self::DONE_META, true );
		$done = is_array( $done ) ? $done : array();
		$tags = array();
		foreach ( $user->roles as $role ) {
			$data = UM()->roles()->role_data( $role );
			$tags_of_role = $this->options->complete_tags( $role );
			if ( in_array( $role, $done, true ) || ! $tags_of_role || empty( $data['profilec'] ) || (int) $value < (int) ( $data['profilec_pct'] ?? 100 ) ) {
				continue;
			}
			$done[] = $role;
			$tags   = array_merge( $tags, $tags_of_role );
		}
		if ( $tags ) {
			update_user_meta( $user->ID, self::DONE_META, $done );
			$this->sync->change_tags( $user->ID, array_values( array_unique( $tags ) ), array() );
		}
	}
}
