<?php
/**
 * Finds the WordPress user behind a CRM contact, and creates one for `add`: username per the
 * setting, a random password that never leaves the site, a role that is registered and not
 * protected. Never changes an administrator's or protected user's email, names or roles.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Settings\SettingsStore;
use WP_Error;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Contact → user.
 */
final class UserImporter {

	/** Option: `{username: email|local|first_last}`. */
	const OPTION = 'tagbridge_webhook_options';

	/** Username strategies and their labels' keys. */
	const USERNAMES = array( 'email', 'local', 'first_last' );

	/**
	 * Settings (their compiled form names the protected roles).
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Builds the importer.
	 *
	 * @param SettingsStore $settings Settings.
	 */
	public function __construct( SettingsStore $settings ) {
		$this->settings = $settings;
	}

	/**
	 * The username strategy.
	 *
	 * @return string One of USERNAMES.
	 */
	public static function username_strategy() {
		$options = get_option( self::OPTION );
		$value   = is_array( $options ) ? ( $options['username'] ?? '' ) : '';
		return in_array( $value, self::USERNAMES, true ) ? $value : 'email';
	}

	/**
	 * The user a contact belongs to: by stored contact id, then by email.
	 *
	 * @param string      $crm_id     CRM adapter id.
	 * @param string|null $contact_id Contact id.
	 * @param string|null $email      Email.
	 * @return WP_User|null
	 */
	public function find( $crm_id, $contact_id, $email ) {
		if ( null !== $contact_id && '' !== $contact_id ) {
			// The embedded CRM's contact id is the user id; others are stored in user meta by the outbox.
			if ( 'embedded' === $crm_id ) {
				$user = ctype_digit( $contact_id ) ? get_userdata( (int) $contact_id ) : false;
				if ( $user ) {
					return $user;
				}
			} else {
				$ids = get_users(
					array(
						'meta_key'   => 'tagbridge_contact_id_' . $crm_id, // phpcs:ignore WordPress.DB.SlowDBQuery
						'meta_value' => $contact_id, // phpcs:ignore WordPress.DB.SlowDBQuery
						'fields'     => 'ID',
						'number'     => 1,
					)
				);
				if ( $ids ) {
					return get_userdata( (int) $ids[0] ) ?: null;
				}
			}
		}
		if ( null !== $email && '' !== $email ) {
			return get_user_by( 'email', $email ) ?: null;
		}
		return null;
	}

	/**
	 * Whether a user must never be changed by a webhook (email, names, roles).
	 *
	 * @param WP_User $user User.
	 * @return bool
	 */
	public function is_protected( WP_User $user ) {
		if ( is_super_admin( $user->ID ) || in_array( 'administrator', $user->roles, true ) ) {
			return true;
		}
		list( $roles, $caps ) = $this->protection();
		if ( array_intersect( $user->roles, $roles ) ) {
			return true;
		}
		foreach ( $caps as $cap ) {
			if ( $user->has_cap( $cap ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Why a role may not be given by a webhook, or null when it may.
	 *
	 * @param string $role Role slug.
	 * @return WP_Error|null
	 */
	public function role_refusal( $role ) {
		if ( ! wp_roles()->is_role( $role ) ) {
			/* translators: %s: role slug */
			return new WP_Error( 'tagbridge_role_refused', sprintf( __( 'Role %s does not exist on this site.', 'tagbridge' ), $role ), array( 'status' => 403 ) );
		}
		list( $roles, $protected_caps ) = $this->protection();
		$caps                           = array_keys( array_filter( (array) get_role( $role )->capabilities ) );
		if ( 'administrator' === $role || in_array( $role, $roles, true ) || array_intersect( $caps, $protected_caps ) ) {
			/* translators: %s: role slug */
			return new WP_Error( 'tagbridge_role_refused', sprintf( __( 'Role %s is protected: a webhook cannot give it.', 'tagbridge' ), $role ), array( 'status' => 403 ) );
		}
		return null;
	}

	/**
	 * The protected roles and capabilities of the compiled settings — the same ones the roles ↔
	 * tags engine uses (`protection.capabilities`, by default the extension's list).
	 *
	 * @return array{0: string[], 1: string[]}
	 */
	private function protection() {
		$summary = $this->settings->summary();
		if ( is_wp_error( $summary ) ) {
			// Settings that cannot compile protect every role: refusing is the safe side.
			return array( array_keys( wp_roles()->roles ), array( 'manage_options', 'promote_users', 'edit_users' ) );
		}
		return array( (array) $summary['protected_roles'], (array) $summary['protected_capabilities'] );
	}

	/**
	 * Creates a user for a contact.
	 *
	 * @param array $contact `{email, first_name, last_name}`.
	 * @param array $request The parsed webhook.
	 * @return int|WP_Error New user id.
	 */
	public function create( array $contact, array $request ) {
		$role = null === $request['role'] ? (string) get_option( 'default_role', 'subscriber' ) : $request['role'];
		$data = array(
			'user_login' => $this->username( $contact ),
			'user_email' => $contact['email'],
			'first_name' => (string) ( $contact['first_name'] ?? '' ),
			'last_name'  => (string) ( $contact['last_name'] ?? '' ),
			'role'       => $role,
		);
		/**
		 * Filters the data of a user a webhook is about to create (for membership plugins: Ultimate
		 * Member sets its own role or status here). The role is checked again afterwards and the
		 * password is always TagBridge's random one.
		 *
		 * @param array $data    wp_insert_user() data without the password.
		 * @param array $request The parsed webhook (`send_notification` null = omitted).
		 */
		$data    = (array) apply_filters( 'tagbridge_webhook_new_user', $data, $request );
		$refusal = $this->role_refusal( (string) ( $data['role'] ?? '' ) );
		if ( $refusal ) {
			return $refusal;
		}
		$data['user_pass'] = wp_generate_password( 32, true, true );
		unset( $data['ID'] );
		return wp_insert_user( wp_slash( $data ) );
	}

	/**
	 * Sets email and names of an existing, unprotected user where the contact differs.
	 *
	 * @param WP_User $user    User.
	 * @param array   $contact `{email?, first_name?, last_name?}`.
	 * @return string[] Notes on what was not done.
	 */
	public function update_core_fields( WP_User $user, array $contact ) {
		$changes = array();
		foreach ( array( 'first_name', 'last_name' ) as $key ) {
			if ( null !== ( $contact[ $key ] ?? null ) && $user->$key !== $contact[ $key ] ) {
				$changes[ $key ] = $contact[ $key ];
			}
		}
		$notes = array();
		$email = $contact['email'] ?? null;
		if ( null !== $email && strtolower( $email ) !== strtolower( $user->user_email ) ) {
			$owner = get_user_by( 'email', $email );
			if ( $owner && $owner->ID !== $user->ID ) {
				$notes[] = 'email_in_use';
			} else {
				$changes['user_email'] = $email;
			}
		}
		if ( ! $changes ) {
			return $notes;
		}
		if ( $this->is_protected( $user ) ) {
			$notes[] = 'protected_user';
			return $notes;
		}
		$changes['ID'] = $user->ID;
		$result        = wp_update_user( wp_slash( $changes ) );
		if ( is_wp_error( $result ) ) {
			$notes[] = $result->get_error_code();
		}
		return $notes;
	}

	/**
	 * A free username from the contact, per the setting.
	 *
	 * @param array $contact `{email, first_name?, last_name?}`.
	 * @return string
	 */
	private function username( array $contact ) {
		$local = strstr( $contact['email'], '@', true );
		switch ( self::username_strategy() ) {
			case 'local':
				$base = $local;
				break;
			case 'first_last':
				$base = trim( ( $contact['first_name'] ?? '' ) . '.' . ( $contact['last_name'] ?? '' ), '.' );
				break;
			default:
				$base = $contact['email'];
		}
		$base = substr( sanitize_user( strtolower( (string) $base ), true ), 0, 50 );
		if ( '' === $base ) {
			$base = substr( sanitize_user( strtolower( $local ), true ), 0, 50 );
		}
		if ( '' === $base ) {
			$base = 'member';
		}
		$login = $base;
		for ( $n = 2; username_exists( $login ) && $n < 100; $n++ ) {
			$login = $base . $n;
		}
		return username_exists( $login ) ? $base . '-' . bin2hex( random_bytes( 3 ) ) : $login;
	}
}
