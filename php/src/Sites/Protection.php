<?php
/**
 * Which users and roles of this site are protected (from the compiled settings): a linked site
 * never sets a protected role, and never changes a protected user's roles, password or account.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * Protected roles and users.
 */
final class Protection {

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Builds the check.
	 *
	 * @param SettingsStore $settings Settings store.
	 */
	public function __construct( SettingsStore $settings ) {
		$this->settings = $settings;
	}

	/**
	 * This site's protected roles; every role that can manage options when settings are unusable.
	 *
	 * @return string[]
	 */
	public function roles() {
		$summary = $this->settings->summary();
		if ( is_array( $summary ) && isset( $summary['protected_roles'] ) ) {
			return array_values( $summary['protected_roles'] );
		}
		return array_keys( array_filter( wp_roles()->roles, static fn( $role ) => ! empty( $role['capabilities']['manage_options'] ) ) );
	}

	/**
	 * Whether a user is protected: a protected role, a super admin or someone who manages options.
	 *
	 * @param \WP_User $user User.
	 * @param string[] $roles Protected roles.
	 * @return bool
	 */
	public function user( \WP_User $user, array $roles ) {
		return is_super_admin( $user->ID ) || user_can( $user, 'manage_options' ) || array_intersect( $user->roles, $roles );
	}
}
