<?php
/**
 * Drops the link of a role that was deleted.
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * WordPress has no "role deleted" action (neither has Members); the one signal is the write of
 * the roles option. The link goes at once, so the settings keep compiling against the site's
 * roles. The role's former holders keep their tags: deleting a role is a change of the site's
 * structure, not members losing access, and must not fire CRM automations for all of them.
 */
final class DeletedRoles {

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Builds the watcher.
	 *
	 * @param SettingsStore $settings Settings store.
	 */
	public function __construct( SettingsStore $settings ) {
		$this->settings = $settings;
	}

	/**
	 * The roles option was written: unlink roles that are gone.
	 *
	 * @param mixed $old Roles before.
	 * @param mixed $new Roles after.
	 */
	public function roles_saved( $old, $new ) {
		if ( ! is_array( $old ) || ! is_array( $new ) ) {
			return;
		}
		foreach ( array_keys( array_diff_key( $old, $new ) ) as $role ) {
			if ( null !== $this->settings->linked_tag( (string) $role ) ) {
				$this->settings->link_role( (string) $role, null );
			}
		}
	}
}
