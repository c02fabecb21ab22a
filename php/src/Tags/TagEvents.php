<?php
/**
 * The public tag actions, fired the same way wherever tags change.
 *
 * @package TagBridge
 */

namespace TagBridge\Tags;

defined( 'ABSPATH' ) || exit;

/**
 * Fires tagbridge_tags_applied, tagbridge_tags_removed and tagbridge_tags_modified.
 */
final class TagEvents {

	/**
	 * Announces one user's tag changes.
	 *
	 * @param int      $user_id User id.
	 * @param string[] $applied Tags that were applied.
	 * @param string[] $removed Tags that were removed.
	 * @param callable $all     Returns the user's tags after the change (called only when something changed).
	 */
	public static function announce( $user_id, array $applied, array $removed, callable $all ) {
		if ( $applied ) {
			/**
			 * Fires after tags were applied to a user.
			 *
			 * @param int      $user_id User id.
			 * @param string[] $applied The tags that were new to the user.
			 */
			do_action( 'tagbridge_tags_applied', $user_id, $applied );
		}
		if ( $removed ) {
			/**
			 * Fires after tags were removed from a user.
			 *
			 * @param int      $user_id User id.
			 * @param string[] $removed The tags the user had and lost.
			 */
			do_action( 'tagbridge_tags_removed', $user_id, $removed );
		}
		if ( $applied || $removed ) {
			/**
			 * Fires after a user's tags changed.
			 *
			 * @param int      $user_id User id.
			 * @param string[] $tags    All of the user's tags now.
			 */
			do_action( 'tagbridge_tags_modified', $user_id, $all() );
		}
	}
}
