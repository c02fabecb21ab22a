<?php
/**
 * Defer until activation: nothing of a user who registers through a UM form reaches the CRM
 * (contact, fields, tags, registration-form tags) until UM approves the account — by email
 * confirmation, by an administrator, or automatically for roles that need neither.
 *
 * The user's outbox rows are held (Outbox::hold(), user meta, so the hold survives the days an
 * email confirmation may take) and the registration-form tags wait in user meta. Approval lifts
 * the hold once: the held rows are coalesced into one delivery, and the waiting tags are applied.
 * A rejected or deleted user's rows and waiting tags are dropped.
 *
 * `um_after_user_is_approved` also fires for auto-approved registrations and for UM's hourly job
 * approving users created outside UM (pitfall 14): for users who were never held it does nothing.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use TagBridge\Outbox\Outbox;
use TagBridge\Roles\RoleTagSync;

defined( 'ABSPATH' ) || exit;

/**
 * Holds a new UM registration's CRM work until approval.
 */
final class Deferral {

	/** User meta: tags waiting for approval. */
	const TAGS_META = '_tagbridge_um_deferred_tags';

	/**
	 * Settings.
	 *
	 * @var Options
	 */
	private $options;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Roles ↔ tags flow (applies the waiting tags).
	 *
	 * @var RoleTagSync
	 */
	private $sync;

	/**
	 * Whether a UM registration form is being processed in this request.
	 *
	 * @var bool
	 */
	private $registering = false;

	/**
	 * Builds the service.
	 *
	 * @param Options     $options Settings.
	 * @param Outbox      $outbox  Outbox.
	 * @param RoleTagSync $sync    Roles ↔ tags flow.
	 */
	public function __construct( Options $options, Outbox $outbox, RoleTagSync $sync ) {
		$this->options = $options;
		$this->outbox  = $outbox;
		$this->sync    = $sync;
	}

	/**
	 * A UM registration form was submitted (frontend only: wp-admin creations never fire this).
	 */
	public function registering() {
		$this->registering = $this->options->get()['defer'];
	}

	/**
	 * The user of a deferred registration exists: hold their outbox rows.
	 *
	 * @param int $user_id User.
	 */
	public function user_created( $user_id ) {
		if ( $this->registering ) {
			$this->registering = false;
			$this->outbox->hold( (int) $user_id );
		}
	}

	/**
	 * Whether a user's CRM work is waiting for approval.
	 *
	 * @param int $user_id User.
	 * @return bool
	 */
	public function is_deferred( $user_id ) {
		return $this->outbox->is_held( $user_id );
	}

	/**
	 * Keeps tags until the user is approved.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags.
	 */
	public function defer_tags( $user_id, array $tags ) {
		update_user_meta( $user_id, self::TAGS_META, array_values( array_unique( array_merge( $this->waiting_tags( $user_id ), $tags ) ) ) );
	}

	/**
	 * The account was approved: send what was deferred, once.
	 *
	 * @param int $user_id User.
	 */
	public function approved( $user_id ) {
		$user_id = (int) $user_id;
		if ( ! $this->is_deferred( $user_id ) ) {
			return;
		}
		$tags = $this->waiting_tags( $user_id );
		delete_user_meta( $user_id, self::TAGS_META );
		$this->outbox->release( $user_id );
		if ( $tags ) {
			$this->sync->change_tags( $user_id, $tags, array() );
		}
	}

	/**
	 * Rejected or deleted: what was deferred is never sent.
	 *
	 * @param int $user_id User.
	 */
	public function drop( $user_id ) {
		$user_id = (int) $user_id;
		if ( $this->is_deferred( $user_id ) ) {
			delete_user_meta( $user_id, self::TAGS_META );
			$this->outbox->discard( $user_id );
		}
	}

	/**
	 * Tags waiting for approval.
	 *
	 * @param int $user_id User.
	 * @return string[]
	 */
	private function waiting_tags( $user_id ) {
		$tags = get_user_meta( $user_id, self::TAGS_META, true );
		return is_array( $tags ) ? $tags : array();
	}
}
