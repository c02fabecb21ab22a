<?php
/**
 * Deactivation tag: applying it deactivates the UM account, removing it reactivates the account.
 *
 * Uses `UM()->common()->users()` and reads the status first (pitfall 16): a pending user
 * (awaiting email confirmation or review) is never approved by the removal of the tag, and only an
 * `inactive` user is reactivated. The deprecated `UM()->user()->approve()` would do both wrongly.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

defined( 'ABSPATH' ) || exit;

/**
 * Tag → account status.
 */
final class DeactivationTag {

	/**
	 * Settings.
	 *
	 * @var Options
	 */
	private $options;

	/**
	 * Builds the service.
	 *
	 * @param Options $options Settings.
	 */
	public function __construct( Options $options ) {
		$this->options = $options;
	}

	/**
	 * Tags applied: deactivate when the deactivation tag is among them.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags applied.
	 */
	public function applied( $user_id, $tags ) {
		if ( $this->concerns( $tags ) && 'inactive' !== UM()->common()->users()->get_status( (int) $user_id ) ) {
			UM()->common()->users()->deactivate( (int) $user_id );
		}
	}

	/**
	 * Tags removed: reactivate an inactive account when the deactivation tag is among them.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags removed.
	 */
	public function removed( $user_id, $tags ) {
		if ( $this->concerns( $tags ) && 'inactive' === UM()->common()->users()->get_status( (int) $user_id ) ) {
			UM()->common()->users()->reactivate( (int) $user_id );
		}
	}

	/**
	 * Whether the deactivation tag is in a list.
	 *
	 * @param mixed $tags Tags.
	 * @return bool
	 */
	private function concerns( $tags ) {
		$tag = $this->options->get()['deactivation_tag'];
		return '' !== $tag && is_array( $tags ) && in_array( $tag, $tags, true );
	}
}
