<?php
/**
 * UM's default registration role as TagBridge's fallback role: a user whom removing a linked tag
 * would leave with no role gets `um_options['register_role']`, or WordPress's default role when
 * that is empty or not a role (as `UM()->form()->assigned_role()` does).
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

defined( 'ABSPATH' ) || exit;

/**
 * Filter `tagbridge_fallback_role`.
 */
final class DefaultRole {

	/**
	 * The fallback role.
	 *
	 * @param string $role WordPress's default role.
	 * @return string
	 */
	public function fallback( $role ) {
		$register_role = UM()->options()->get( 'register_role' );
		return is_string( $register_role ) && '' !== $register_role && get_role( $register_role ) ? $register_role : $role;
	}
}
