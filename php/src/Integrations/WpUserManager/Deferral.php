<?php
/**
 * Defer until activation: while a new WP User Manager user waits for the User Verification add-on
 * (email verification or admin approval), nothing of theirs reaches the CRM. Their outbox rows
 * (contact, fields, tag changes) are held, and tags that would have been applied are kept in user
 * meta; on verification or approval the tags are applied and the rows released, so everything is
 * delivered once; on rejection they are discarded.
 *
 * The whole mechanism is the outbox's per-user hold (Outbox::hold/release/discard), so it lasts
 * across requests: verification may come days later.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\WpUserManager;

use TagBridge\Outbox\Outbox;

defined( 'ABSPATH' ) || exit;

/**
 * Holds and releases deferred users.
 */
final class Deferral {

	/** User meta: tags to apply when the user is activated. */
	const TAGS_META = '_tagbridge_wpum_deferred_tags';

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Builds the service.
	 *
	 * @param Outbox $outbox Outbox.
	 */
	public function __construct( Outbox $outbox ) {
		$this->outbox = $outbox;
	}

	/**
	 * Starts deferring a user.
	 *
	 * @param int $user_id User.
	 */
	public function start( $user_id ) {
		$this->outbox->hold( (int) $user_id );
	}

	/**
	 * Whether a user is being deferred.
	 *
	 * @param int $user_id User.
	 * @return bool
	 */
	public function is_deferred( $user_id ) {
		return $this->outbox->is_held( (int) $user_id );
	}

	/**
	 * Keeps tags to apply when a deferred user is activated.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Valid tags.
	 */
	public function defer_tags( $user_id, array $tags ) {
		update_user_meta( (int) $user_id, self::TAGS_META, array_values( array_unique( array_merge( $this->deferred_tags( $user_id ), $tags ) ) ) );
	}

	/**
	 * Verification or approval: applies the kept tags (linked roles follow) and releases the
	 * user's rows. A user who was not deferred is left alone (their data was sent already).
	 *
	 * @param int $user_id User.
	 */
	public function activate( $user_id ) {
		$user_id = (int) $user_id;
		if ( ! $this->is_deferred( $user_id ) ) {
			return;
		}
		$tags = $this->deferred_tags( $user_id );
		delete_user_meta( $user_id, self::TAGS_META );
		if ( $tags ) {
			tagbridge_apply_tags( $user_id, $tags );
		}
		$this->outbox->release( $user_id );
	}

	/**
	 * Rejection (or deletion) of a deferred user: nothing deferred is ever sent.
	 *
	 * @param int $user_id User.
	 */
	public function reject( $user_id ) {
		$user_id = (int) $user_id;
		if ( ! $this->is_deferred( $user_id ) ) {
			return;
		}
		delete_user_meta( $user_id, self::TAGS_META );
		$this->outbox->discard( $user_id );
	}

	/**
	 * Tags kept for activation.
	 *
	 * @param int $user_id User.
	 * @return string[]
	 */
	private function deferred_tags( $user_id ) {
		$tags = get_user_meta( (int) $user_id, self::TAGS_META, true );
		return is_array( $tags ) ? $tags : array();
	}
}
