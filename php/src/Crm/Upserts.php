<?php
/**
 * An optional CRM capability: create-or-update a contact by email, with fields and tags to apply,
 * in one request.
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

defined( 'ABSPATH' ) || exit;

/**
 * Implemented by adapters whose CRM upserts by email. The outbox then delivers a contact whose id
 * it does not know yet (a registration) in one request instead of a lookup, a create and a tag
 * call. It only adds: tags given are added to the contact's others and fields merge, so removing
 * tags still takes a separate call; and a retried upsert leaves the same state (idempotent).
 */
interface Upserts {

	/**
	 * Creates the contact, or updates the one with this email (in any letter case).
	 *
	 * @param string               $email      Email address.
	 * @param array<string, mixed> $fields     CRM field => value (may be empty).
	 * @param string[]             $apply_tags Tags to add (may be empty; an empty list is not sent).
	 * @return Result Value: the contact id.
	 */
	public function upsert_contact( $email, array $fields, array $apply_tags );

	/**
	 * Whether the outbox should upsert with this connection (an adapter may be able to and still
	 * not be allowed to, e.g. when an upsert could change a contact's subscription status).
	 *
	 * @return bool
	 */
	public function may_upsert();
}
