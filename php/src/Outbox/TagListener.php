<?php
/**
 * Sends the site's tag changes to an external CRM through the outbox.
 *
 * @package TagBridge
 */

namespace TagBridge\Outbox;

defined( 'ABSPATH' ) || exit;

/**
 * Queues `tagbridge_tags_applied` / `tagbridge_tags_removed`. With the embedded CRM the tag store
 * is the CRM, so there is nothing to send. Changes made inside Outbox::from_crm() (a webhook) are
 * not queued: Outbox::enqueue() drops them, so they never echo back to the CRM.
 */
final class TagListener {

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Builds the listener.
	 *
	 * @param Outbox $outbox Outbox.
	 */
	public function __construct( Outbox $outbox ) {
		$this->outbox = $outbox;
	}

	/**
	 * Tags were applied on the site.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags.
	 */
	public function applied( $user_id, $tags ) {
		$this->outbox->enqueue( (int) $user_id, array( 'apply_tags' => (array) $tags ) );
	}

	/**
	 * Tags were removed on the site.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags.
	 */
	public function removed( $user_id, $tags ) {
		$this->outbox->enqueue( (int) $user_id, array( 'remove_tags' => (array) $tags ) );
	}
}
