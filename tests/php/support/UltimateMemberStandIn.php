<?php
/**
 * TEST-ONLY STAND-IN FOR ULTIMATE MEMBER 2.13.0 — not WordPress, not TagBridge.
 *
 * Ultimate Member cannot be installed in CI. This file defines the smallest part of UM's API that
 * TagBridge calls — `UM()->options()->get()`, `UM()->common()->users()` (status methods),
 * `UM()->roles()` (`role_data()`, `set_role()`), `UM()->user()->remove_cache()` — behaving as
 * ../shared/reference/membership-plugin-hooks.md documents (sections 2.1, 2.3, 2.5 and 7):
 * options and meta stored where UM stores them, UM's status hooks fired with UM's arguments in
 * UM's order, UM's activation/approval emails sent only when switched on in `um_options` (UM ships
 * them off). Every call is recorded in UM::$calls so tests can assert on what TagBridge asked.
 *
 * Loaded by the UltimateMember*Test files only (the plugin then registers its UM integration).
 */

// phpcs:disable Generic.Files.OneObjectStructurePerFile

if ( ! class_exists( 'UM' ) ) {

	/** UM's main object (stand-in). */
	final class UM {
		/** @var array<int, array> Calls made through the stand-in: [component.method, args]. */
		public static $calls = array();

		/** @var UM|null */
		private static $instance = null;

		public static function instance(): UM {
			return self::$instance ??= new self();
		}

		public static function record( string $what, array $args ): void {
			self::$calls[] = array( $what, $args );
		}

		public function options(): UM_Stand_In_Options {
			return new UM_Stand_In_Options();
		}

		public function common(): UM_Stand_In_Common {
			return new UM_Stand_In_Common();
		}

		public function roles(): UM_Stand_In_Roles {
			return new UM_Stand_In_Roles();
		}

		public function user(): UM_Stand_In_User {
			return new UM_Stand_In_User();
		}
	}

	/** `UM()->options()`: reads option `um_options`. */
	final class UM_Stand_In_Options {
		public function get( string $key ) {
			$options = get_option( 'um_options', array() );
			return is_array( $options ) && isset( $options[ $key ] ) ? $options[ $key ] : '';
		}
	}

	/** `UM()->common()`. */
	final class UM_Stand_In_Common {
		public function users(): UM_Stand_In_Users {
			return new UM_Stand_In_Users();
		}
	}

	/** `UM()->common()->users()` (includes/common/class-users.php). */
	final class UM_Stand_In_Users {

		public function get_status( $user_id ) {
			return get_user_meta( (int) $user_id, 'account_status', true );
		}

		/** Generic status write: before hook, meta, after hook only if the value changed. */
		public function set_status( $user_id, $status ) {
			UM::record( 'users.set_status', array( $user_id, $status ) );
			$old = $this->get_status( $user_id );
			do_action( 'um_before_user_status_is_set', $status, $user_id, $old );
			update_user_meta( $user_id, 'account_status', $status );
			if ( $old !== $status ) {
				do_action( 'um_after_user_status_is_changed', $status, $user_id, $old );
			}
			return true;
		}

		/** Not for approved or inactive users; the after hook fires even when silent. */
		public function approve( $user_id, $force = false, $silent = false ) {
			UM::record( 'users.approve', array( $user_id, $force, $silent ) );
			if ( in_array( $this->get_status( $user_id ), array( 'approved', 'inactive' ), true ) ) {
				return false;
			}
			do_action( 'um_before_user_is_approved', $user_id );
			$this->set_status( $user_id, 'approved' );
			wp_update_user( array( 'ID' => $user_id ) ); // The mail's password-reset key: profile_update (section 7).
			if ( ! $silent && UM()->options()->get( 'approved_email_on' ) ) {
				wp_mail( get_userdata( $user_id )->user_email, 'Your account is approved', 'Welcome' );
			}
			do_action( 'um_after_user_is_approved', $user_id );
			return true;
		}

		public function send_activation( $user_id, $force = false ) {
			UM::record( 'users.send_activation', array( $user_id, $force ) );
			do_action( 'um_before_user_is_set_as_awaiting_email_confirmation', $user_id );
			$this->set_status( $user_id, 'awaiting_email_confirmation' );
			update_user_meta( $user_id, 'account_secret_hash', wp_generate_password( 40, false ) );
			update_user_meta( $user_id, 'account_secret_hash_expiry', time() + DAY_IN_SECONDS );
			if ( UM()->options()->get( 'checkmail_email_on' ) ) {
				wp_mail( get_userdata( $user_id )->user_email, 'Please activate your account', 'Activation link' );
			}
			do_action( 'um_after_user_is_set_as_awaiting_email_confirmation', $user_id );
			return true;
		}

		public function set_as_pending( $user_id, $force = false ) {
			UM::record( 'users.set_as_pending', array( $user_id, $force ) );
			do_action( 'um_before_user_is_set_as_pending', $user_id );
			$this->set_status( $user_id, 'awaiting_admin_review' );
			if ( UM()->options()->get( 'pending_email_on' ) ) {
				wp_mail( get_userdata( $user_id )->user_email, 'Your account is awaiting review', 'Pending' );
			}
			do_action( 'um_after_user_is_set_as_pending', $user_id );
			return true;
		}

		/** Only from awaiting_admin_review. */
		public function reject( $user_id ) {
			UM::record( 'users.reject', array( $user_id ) );
			if ( 'awaiting_admin_review' !== $this->get_status( $user_id ) ) {
				return false;
			}
			do_action( 'um_before_user_is_rejected', $user_id );
			$this->set_status( $user_id, 'rejected' );
			do_action( 'um_after_user_is_rejected', $user_id );
			return true;
		}

		/** Refused for the current user or an inactive one; logs the user out everywhere. */
		public function deactivate( $user_id ) {
			UM::record( 'users.deactivate', array( $user_id ) );
			if ( get_current_user_id() === (int) $user_id || 'inactive' === $this->get_status( $user_id ) ) {
				return false;
			}
			do_action( 'um_before_user_is_deactivated', $user_id );
			$this->set_status( $user_id, 'inactive' );
			WP_Session_Tokens::get_instance( $user_id )->destroy_all();
			do_action( 'um_after_user_is_inactive', $user_id );
			return true;
		}

		/** inactive → approved; does not fire um_after_user_is_approved. */
		public function reactivate( $user_id ) {
			UM::record( 'users.reactivate', array( $user_id ) );
			if ( 'inactive' !== $this->get_status( $user_id ) ) {
				return false;
			}
			do_action( 'um_before_user_is_reactivated', $user_id );
			$this->set_status( $user_id, 'approved' );
			wp_update_user( array( 'ID' => $user_id ) );
			do_action( 'um_after_user_is_reactivated', $user_id );
			return true;
		}
	}

	/** `UM()->roles()` (class-roles-capabilities.php). */
	final class UM_Stand_In_Roles {

		/** Role meta from `um_role_{key}_meta` (key without `um_` for UM roles), `_um_` stripped from keys. */
		public function role_data( $role ) {
			$key  = 0 === strpos( (string) $role, 'um_' ) ? substr( (string) $role, 3 ) : (string) $role;
			$meta = get_option( "um_role_{$key}_meta" );
			if ( ! is_array( $meta ) ) {
				$meta = get_option( "um_role_{$role}_meta", array() );
			}
			$data = array();
			foreach ( (array) $meta as $k => $v ) {
				$data[ 0 === strpos( $k, '_um_' ) ? substr( $k, 4 ) : $k ] = $v;
			}
			return $data;
		}

		/** Replaces the previous UM custom role with remove_role() + add_role(): no set_user_role. */
		public function set_role( $user_id, $role ) {
			UM::record( 'roles.set_role', array( $user_id, $role ) );
			$user = get_userdata( $user_id );
			if ( in_array( $role, $user->roles, true ) ) {
				return;
			}
			do_action( 'um_when_role_is_set', $user_id );
			$old = '';
			foreach ( $user->roles as $current ) {
				if ( 0 === strpos( $current, 'um_' ) ) {
					$old = $current;
					$user->remove_role( $current );
				}
			}
			$user->add_role( $role );
			do_action( 'um_after_user_role_is_updated', $user_id, $old );
		}
	}

	/** `UM()->user()`. */
	final class UM_Stand_In_User {
		/** Clears the profile cache option `um_cache_userdata_{id}`. */
		public function remove_cache( $user_id ) {
			UM::record( 'user.remove_cache', array( $user_id ) );
			delete_option( "um_cache_userdata_{$user_id}" );
		}
	}

	function UM() { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName
		return UM::instance();
	}
}

// UM registers its forms' post type on init (section 2.1: post type `um_form`).
if ( ! post_type_exists( 'um_form' ) ) {
	register_post_type( 'um_form', array( 'public' => false, 'show_ui' => true, 'capability_type' => 'page' ) );
}

\TagBridge\Plugin::instance()->ultimate_member->register();
