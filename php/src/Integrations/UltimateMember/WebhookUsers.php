<?php
/**
 * Users created from a CRM webhook with a UM role: the role is set and UM's own status flow runs
 * for it, so a role with "Require Email Activation" gets UM's activation email.
 *
 * `send_notification` is tri-state, as WP Fusion documents it:
 *  - null (omitted): UM's emails only (its activation email for a role that requires email
 *    activation) — no WordPress welcome email;
 *  - false: no email at all (UM's status is still set, silently);
 *  - true: WordPress's welcome email and UM's emails.
 *
 * The webhook endpoint calls setup() right after it created the user.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * UM role and emails for webhook users.
 */
final class WebhookUsers {

	/**
	 * A webhook created a user (with its checked role): run UM's status flow for that role. The
	 * endpoint already sent WordPress's welcome email when `send_notification` was true, so only
	 * UM's part is left: its activation email unless the caller said false.
	 *
	 * @param int       $user_id           The new user.
	 * @param array     $request           The parsed webhook.
	 * @param bool|null $send_notification The caller's choice (null: omitted).
	 */
	public function webhook_user_created( $user_id, $request, $send_notification ) {
		$user = get_userdata( (int) $user_id );
		if ( ! $user || ! $user->roles ) {
			return;
		}
		$this->setup( (int) $user_id, (string) reset( $user->roles ), false === $send_notification ? false : null );
	}

	/**
	 * Gives a webhook-created user a role and runs UM's status flow for it.
	 *
	 * @param int       $user_id           The user the webhook created.
	 * @param string    $role              Role slug (a UM role such as `um_custom_role`, or any role).
	 * @param bool|null $send_notification The webhook's `send_notification`: null when omitted.
	 * @return string|WP_Error The UM account status set, or what is wrong (nothing changed).
	 */
	public function setup( $user_id, $role, $send_notification ) {
		$user = is_int( $user_id ) ? get_userdata( $user_id ) : false;
		if ( ! $user ) {
			return new WP_Error( 'tagbridge_unknown_user', __( 'No such user.', 'tagbridge' ), array( 'status' => 404 ) );
		}
		if ( ! is_string( $role ) || ! get_role( $role ) ) {
			return new WP_Error( 'tagbridge_unknown_role', __( 'The role named by the webhook does not exist.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		if ( null !== $send_notification && ! is_bool( $send_notification ) ) {
			return new WP_Error( 'tagbridge_invalid_notification', __( 'send_notification must be true, false or omitted.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$user->set_role( $role );
		if ( true === $send_notification ) {
			wp_new_user_notification( $user->ID, null, 'user' );
		}
		if ( false === $send_notification ) {
			// No email at all: UM's status flow runs with wp_mail() switched off for its duration.
			$silence = static fn() => false;
			add_filter( 'pre_wp_mail', $silence, 1000 );
			try {
				return $this->run_status_flow( $user->ID, $role );
			} finally {
				remove_filter( 'pre_wp_mail', $silence, 1000 );
			}
		}
		return $this->run_status_flow( $user->ID, $role );
	}

	/**
	 * UM's registration status flow for a role (`_um_status`: approved, checkmail or pending), as
	 * UM's `um_post_registration_{status}_hook` callbacks run it.
	 *
	 * @param int    $user_id User.
	 * @param string $role    Role slug.
	 * @return string The account status.
	 */
	private function run_status_flow( $user_id, $role ) {
		$data   = UM()->roles()->role_data( $role );
		$status = is_array( $data ) && isset( $data['status'] ) ? (string) $data['status'] : 'approved';
		$users  = UM()->common()->users();
		if ( 'checkmail' === $status ) {
			$users->send_activation( $user_id, true );
		} elseif ( 'pending' === $status ) {
			$users->set_as_pending( $user_id, true );
		} else {
			$users->approve( $user_id, true );
		}
		return (string) $users->get_status( $user_id );
	}
}
