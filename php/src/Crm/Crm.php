<?php
/**
 * The contract every CRM adapter implements.
 *
 * Tags are named by the strings site owners use in settings (the embedded CRM's tag names,
 * FluentCRM's tag slugs); an adapter resolves them to the CRM's own ids. Contact ids are strings
 * (FluentCRM's numeric ids travel as strings). Every method answers a Result and never emits a
 * PHP warning; all HTTP goes through the WordPress HTTP API with a timeout.
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

defined( 'ABSPATH' ) || exit;

/**
 * One CRM connection.
 */
interface Crm {

	/**
	 * Short machine name of the adapter (`embedded`, `fluentcrm`).
	 *
	 * @return string
	 */
	public function id();

	/**
	 * Finds a contact by exact email address.
	 *
	 * @param string $email Email address.
	 * @return Result Value: contact id (string); NOT_FOUND when there is none.
	 */
	public function find_contact( $email );

	/**
	 * Reads one contact's fields and tags (for pulling into WordPress).
	 *
	 * @param string $contact_id Contact id.
	 * @return Result Value: array{ email: string, fields: array<string, mixed>, tags: string[] }.
	 */
	public function get_contact( $contact_id );

	/**
	 * Creates a contact with these fields and these tags, in one request where the CRM allows it.
	 *
	 * Never touches an existing contact: when the email already exists (in any letter case) the
	 * answer is DUPLICATE and nothing is changed, so a contact's subscription status is never
	 * overwritten. The outbox sends a contact whose id it does not know this way first, with no
	 * lookup before it, and looks the contact up only on DUPLICATE.
	 *
	 * @param string               $email      Email address.
	 * @param array<string, mixed> $fields     CRM field => value (already formatted by the core).
	 * @param string[]             $apply_tags Tags the contact is created with (may be empty).
	 * @return Result Value: the new contact id; DUPLICATE when the email already exists.
	 */
	public function create_contact( $email, array $fields, array $apply_tags = array() );

	/**
	 * Updates a contact's fields (only the ones given).
	 *
	 * @param string               $contact_id Contact id.
	 * @param array<string, mixed> $fields     CRM field => value.
	 * @return Result
	 */
	public function update_contact( $contact_id, array $fields );

	/**
	 * A contact's tags.
	 *
	 * @param string $contact_id Contact id.
	 * @return Result Value: string[].
	 */
	public function get_tags( $contact_id );

	/**
	 * Applies tags (a non-empty list).
	 *
	 * @param string   $contact_id Contact id.
	 * @param string[] $tags       Tags.
	 * @return Result
	 */
	public function apply_tags( $contact_id, array $tags );

	/**
	 * Removes tags (a non-empty list).
	 *
	 * @param string   $contact_id Contact id.
	 * @param string[] $tags       Tags.
	 * @return Result
	 */
	public function remove_tags( $contact_id, array $tags );

	/**
	 * Fields, applied and removed tags in one request, where the CRM allows it.
	 *
	 * @param string               $contact_id Contact id.
	 * @param array<string, mixed> $fields     CRM field => value (may be empty).
	 * @param string[]             $apply      Tags to apply (may be empty).
	 * @param string[]             $remove     Tags to remove (may be empty).
	 * @return Result PERMANENT with "unsupported" when supports_combined_update() is false.
	 */
	public function update_combined( $contact_id, array $fields, array $apply, array $remove );

	/**
	 * True when update_combined() sends one request.
	 *
	 * @return bool
	 */
	public function supports_combined_update();

	/**
	 * Every tag the CRM knows (for settings screens).
	 *
	 * @return Result Value: array<string, string> tag => label.
	 */
	public function list_tags();

	/**
	 * Every contact field the CRM knows (for the Contact Fields screen).
	 *
	 * @return Result Value: array<string, array{label: string, type: string}> field => description.
	 */
	public function list_fields();
}
