<?php
/**
 * Remembers which role links changed since existing users were last reconciled.
 *
 * @package TagBridge
 */

namespace TagBridge\Roles;

defined( 'ABSPATH' ) || exit;

/**
 * A new or changed link does not touch existing users by itself (a new, still-empty tag must not
 * strip every holder of its role); the administrator is offered a reconcile of those links, and
 * this list is what the offer names.
 */
final class LinkChanges {

	/** Option: role slugs whose link was added or changed and not yet reconciled. */
	const OPTION = 'tagbridge_links_changed';

	/**
	 * Roles whose links are waiting for a reconcile.
	 *
	 * @return string[]
	 */
	public function pending() {
		$roles = get_option( self::OPTION, array() );
		return is_array( $roles ) ? array_values( $roles ) : array();
	}

	/**
	 * Settings saved: remember links added or pointed at another tag; forget removed ones.
	 *
	 * @param array $settings New settings.
	 * @param array $previous Settings before.
	 */
	public function settings_updated( $settings, $previous ) {
		$new     = self::links( $settings );
		$old     = self::links( $previous );
		$pending = array_intersect( $this->pending(), array_keys( $new ) );
		foreach ( $new as $role => $tag ) {
			if ( ( $old[ $role ] ?? null ) !== $tag ) {
				$pending[] = $role;
			}
		}
		$this->save( $pending );
	}

	/**
	 * A reconcile finished: the links it applied are no longer waiting.
	 *
	 * @param array $job Final job state.
	 */
	public function reconciled( $job ) {
		if ( ! empty( $job['dry_run'] ) ) {
			return;
		}
		$this->save( null === $job['roles'] ? array() : array_diff( $this->pending(), $job['roles'] ) );
	}

	/**
	 * Stores the list (absent when empty, so a tidy site carries nothing).
	 *
	 * @param string[] $roles Role slugs.
	 */
	private function save( array $roles ) {
		$roles = array_values( array_unique( $roles ) );
		sort( $roles );
		if ( $roles ) {
			update_option( self::OPTION, $roles, true );
		} else {
			delete_option( self::OPTION );
		}
	}

	/**
	 * Role => tag of a settings array.
	 *
	 * @param mixed $settings Settings.
	 * @return array<string, string>
	 */
	private static function links( $settings ) {
		$out = array();
		foreach ( (array) ( $settings['role_links'] ?? array() ) as $link ) {
			if ( isset( $link['role'], $link['tag'] ) ) {
				$out[ (string) $link['role'] ] = (string) $link['tag'];
			}
		}
		return $out;
	}
}
