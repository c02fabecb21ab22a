<?php
/**
 * Applies a change received from a linked site: facts about the user (found by email, else by the
 * address they had before an email change) → the extension filters the change with this site's
 * `receive` rules → WordPress APIs apply what passed, as a change from that site (nothing is sent
 * back to it). Tags go through the tag API, so linked roles follow; a password hash is stored as
 * is (never a password).
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Applies received changes.
 */
final class Receiver {

	/** User fields written with wp_update_user(); other keys are user meta. */
	const USER_FIELDS = array( 'first_name', 'last_name', 'display_name', 'nickname', 'description', 'user_url' );

	/**
	 * Sync (origin scope).
	 *
	 * @var SiteSync
	 */
	private $sync;

	/**
	 * Protection.
	 *
	 * @var Protection
	 */
	private $protection;

	/**
	 * Builds the receiver.
	 *
	 * @param SiteSync   $sync       Sync.
	 * @param Protection $protection Protection.
	 */
	public function __construct( SiteSync $sync, Protection $protection ) {
		$this->sync       = $sync;
		$this->protection = $protection;
	}

	/**
	 * Applies one change from a link.
	 *
	 * @param array $link   Link.
	 * @param mixed $change The received change.
	 * @return array|WP_Error `{result, user_id, skipped}`, or a 400 refusal (nothing changed).
	 */
	public function apply( array $link, $change ) {
		if ( ! is_array( $change ) || ! isset( $change['email'] ) || ! is_string( $change['email'] ) || ! is_email( $change['email'] ) ) {
			return new WP_Error( 'tagbridge_invalid_change', __( 'The change must name a valid email.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$user     = get_user_by( 'email', $change['email'] );
		$previous = false;
		if ( ! $user && isset( $change['previous_email'] ) && is_string( $change['previous_email'] ) && is_email( $change['previous_email'] ) ) {
			$user     = get_user_by( 'email', $change['previous_email'] );
			$previous = (bool) $user;
		}
		$protected = $this->protection->roles();
		unset( $change['origin'] );
		try {
			$out = tagbridge_site_filter(
				$link['receive'],
				$change,
				array(
					'peer'                => $link['id'],
					'protected_roles'     => $protected,
					'user_exists'         => (bool) $user,
					'user_protected'      => $user ? (bool) $this->protection->user( $user, $protected ) : false,
					'current_roles'       => $user ? array_values( $user->roles ) : array(),
					'matched_by_previous' => $previous,
				)
			);
		} catch ( \TagBridge\Ext\Exception $e ) {
			return new WP_Error( 'tagbridge_invalid_change', $e->getMessage(), array( 'status' => 400 ) );
		}
		$result = array(
			'result'  => 'ignored',
			'user_id' => $user ? $user->ID : 0,
			'skipped' => $out['skipped'],
		);
		if ( null === $out['change'] ) {
			return $result;
		}
		return $this->sync->from_site(
			$link['id'],
			function () use ( $out, $user, $result ) {
				return $this->write( $out, $user, $result );
			}
		);
	}

	/**
	 * Writes what passed.
	 *
	 * @param array          $out    Filter outcome.
	 * @param \WP_User|false $user   Existing user.
	 * @param array          $result Answer so far.
	 * @return array|WP_Error
	 */
	private function write( array $out, $user, array $result ) {
		global $wpdb;
		$change = $out['change'];
		if ( 'delete' === $change['op'] ) {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $user->ID );
			$result['result'] = 'deleted';
			return $result;
		}
		if ( ! $user ) {
			$id = wp_insert_user(
				array(
					'user_login' => self::login_for( $change['email'] ),
					'user_email' => $change['email'],
					'user_pass'  => wp_generate_password( 32, true, true ),
					'role'       => $out['add_roles'] ? $out['add_roles'][0] : get_option( 'default_role' ),
				)
			);
			if ( is_wp_error( $id ) ) {
				$id->add_data( array( 'status' => 400 ) );
				return $id;
			}
			$user             = get_userdata( $id );
			$result['result'] = 'created';
		} else {
			$result['result'] = 'updated';
			if ( null !== $change['previous_email'] ) {
				// The filter let the move through: the user found by the old address takes the new one.
				$moved = wp_update_user(
					array(
						'ID'         => $user->ID,
						'user_email' => $change['email'],
					)
				);
				if ( is_wp_error( $moved ) ) {
					$moved->add_data( array( 'status' => 400 ) );
					return $moved;
				}
				$user = get_userdata( $user->ID );
			}
		}
		$result['user_id'] = $user->ID;
		$this->write_fields( $user, $change['fields'] );
		foreach ( $out['add_roles'] as $role ) {
			$user->add_role( $role );
		}
		foreach ( $out['remove_roles'] as $role ) {
			$user->remove_role( $role );
		}
		if ( null !== $change['pass_hash'] && ! hash_equals( $user->user_pass, $change['pass_hash'] ) ) {
			$wpdb->update( $wpdb->users, array( 'user_pass' => $change['pass_hash'] ), array( 'ID' => $user->ID ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			clean_user_cache( $user );
		}
		if ( $change['apply_tags'] ) {
			tagbridge_apply_tags( $user->ID, $change['apply_tags'] );
		}
		if ( $change['remove_tags'] ) {
			tagbridge_remove_tags( $user->ID, $change['remove_tags'] );
		}
		return $result;
	}

	/**
	 * Writes profile fields: only scalar values.
	 *
	 * @param \WP_User $user   User.
	 * @param array    $fields Key => value.
	 */
	private function write_fields( \WP_User $user, array $fields ) {
		$core = array();
		foreach ( $fields as $key => $value ) {
			if ( ! is_scalar( $value ) ) {
				continue;
			}
			$value = sanitize_text_field( (string) $value );
			if ( in_array( $key, self::USER_FIELDS, true ) ) {
				$core[ $key ] = $value;
			} else {
				update_user_meta( $user->ID, $key, $value );
			}
		}
		if ( $core ) {
			wp_update_user( array_merge( array( 'ID' => $user->ID ), $core ) );
		}
	}

	/**
	 * A free user name from an email (users are matched by email; the login is local).
	 *
	 * @param string $email Email.
	 * @return string
	 */
	private static function login_for( $email ) {
		$base  = sanitize_user( strstr( $email, '@', true ), true );
		$base  = '' === $base ? 'user' : substr( $base, 0, 50 );
		$login = $base;
		for ( $i = 2; username_exists( $login ); ++$i ) {
			$login = $base . $i;
		}
		return $login;
	}
}
