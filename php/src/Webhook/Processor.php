<?php
/**
 * Applies one accepted webhook: resolves the contact (the payload for the embedded CRM, the CRM
 * for an external one), finds or creates the user, sets the contact's tags as a CRM event (nothing
 * echoes back), lets linked roles follow, and hands the contact to the field pull layer.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Crm\Crm;
use TagBridge\Crm\Result;
use TagBridge\Outbox\Outbox;
use TagBridge\Roles\RoleTagSync;
use TagBridge\Roles\RoleWatcher;
use TagBridge\Tags\TagStore;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One webhook → changes on the site.
 */
final class Processor {

	/**
	 * Returns the CRM (Crm|WP_Error).
	 *
	 * @var callable
	 */
	private $crm;

	/**
	 * Contact → user.
	 *
	 * @var UserImporter
	 */
	private $importer;

	/**
	 * Roles ↔ tags.
	 *
	 * @var RoleTagSync
	 */
	private $sync;

	/**
	 * Tag store.
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Outbox (its from-CRM scope).
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Role hook watcher (flushed per webhook, so linked tags follow a new user's role at once).
	 *
	 * @var RoleWatcher
	 */
	private $roles;

	/**
	 * Builds the processor.
	 *
	 * @param callable     $crm      Returns the CRM or a WP_Error.
	 * @param UserImporter $importer Contact → user.
	 * @param RoleTagSync  $sync     Roles ↔ tags.
	 * @param TagStore     $tags     Tag store.
	 * @param Outbox       $outbox   Outbox.
	 * @param RoleWatcher  $roles    Role watcher.
	 */
	public function __construct( callable $crm, UserImporter $importer, RoleTagSync $sync, TagStore $tags, Outbox $outbox, RoleWatcher $roles ) {
		$this->crm      = $crm;
		$this->importer = $importer;
		$this->sync     = $sync;
		$this->tags     = $tags;
		$this->outbox   = $outbox;
		$this->roles    = $roles;
	}

	/**
	 * Processes one request.
	 *
	 * @param array $request Parsed webhook.
	 * @return array{outcome: string, user_id: int, result: array, retry_after?: int|null} `outcome`:
	 *               `done`, `retry` (the CRM could not answer now) or `failed` (will never work).
	 */
	public function process( array $request ) {
		$crm = call_user_func( $this->crm );
		if ( is_wp_error( $crm ) ) {
			return self::outcome( 'retry', 0, array( 'error' => $crm->get_error_code() ) );
		}
		$contact = $this->contact( $crm, $request );
		if ( $contact instanceof Result ) {
			$status = $contact->is_retryable() ? 'retry' : 'failed';
			return self::outcome( $status, 0, array( 'error' => 'crm_' . $contact->status ), $contact->retry_after );
		}
		$user = $this->importer->find( $crm->id(), $contact['contact_id'], $contact['email'] );
		if ( ! $user && 'add' !== $request['action'] ) {
			return self::outcome( 'done', 0, array( 'note' => 'no_matching_user' ) );
		}
		return $this->outbox->from_crm(
			function () use ( $crm, $request, $contact, $user ) {
				$result = array(
					'created' => false,
					'notes'   => array(),
				);
				if ( ! $user ) {
					$user_id = $this->create( $crm, $contact, $request );
					if ( is_wp_error( $user_id ) ) {
						return self::outcome( 'failed', 0, array( 'error' => $user_id->get_error_code() ) );
					}
					$result['created'] = true;
				} else {
					$user_id = $user->ID;
					if ( 'add' === $request['action'] ) {
						$result['notes'] = $this->importer->update_core_fields( $user, $contact );
						if ( null !== $request['role'] ) {
							$result['notes'][] = 'role_ignored_for_existing_user';
						}
					}
				}
				if ( null !== $contact['tags'] ) {
					$current = $this->tags->get( $user_id );
					$changed = $this->sync->change_tags( $user_id, array_values( array_diff( $contact['tags'], $current ) ), array_values( array_diff( $current, $contact['tags'] ) ) );
					if ( is_wp_error( $changed ) ) {
						return self::outcome( 'failed', $user_id, array( 'error' => $changed->get_error_code() ) );
					}
					$result += $changed;
				}
				$this->roles->flush();
				if ( 'update_tags' !== $request['action'] ) {
					/**
					 * Fires with the contact a webhook brought (add and update), inside the from-CRM
					 * scope: the field pull layer writes mapped fields here, and nothing it changes
					 * is sent back to the CRM.
					 *
					 * @param int    $user_id The user.
					 * @param array  $contact `{contact_id, email, first_name, last_name, fields, tags}`.
					 * @param string $action  `add` or `update`.
					 */
					do_action( 'tagbridge_webhook_contact', $user_id, $contact, $request['action'] );
				}
				if ( $result['created'] ) {
					/**
					 * Fires after a webhook created a user, its tags and linked roles applied. Ultimate
					 * Member's integration sends its activation email here unless `send_notification`
					 * is false (null means omitted: WordPress's own email was not sent).
					 *
					 * @param int       $user_id           The new user.
					 * @param array     $request           The parsed webhook.
					 * @param bool|null $send_notification The caller's choice.
					 */
					do_action( 'tagbridge_webhook_user_created', $user_id, $request, $request['send_notification'] );
				}
				return self::outcome( 'done', $user_id, $result );
			}
		);
	}

	/**
	 * Creates the user for `add` and sends WordPress's notification when asked.
	 *
	 * @param Crm   $crm     CRM.
	 * @param array $contact Contact.
	 * @param array $request Request.
	 * @return int|WP_Error
	 */
	private function create( Crm $crm, array $contact, array $request ) {
		if ( null === $contact['email'] ) {
			return new WP_Error( 'tagbridge_no_email', __( 'The contact has no email address.', 'tagbridge' ) );
		}
		$user_id = $this->importer->create( $contact, $request );
		if ( is_wp_error( $user_id ) ) {
			return $user_id;
		}
		if ( null !== $contact['contact_id'] && 'embedded' !== $crm->id() ) {
			update_user_meta( $user_id, 'tagbridge_contact_id_' . $crm->id(), $contact['contact_id'] );
		}
		if ( true === $request['send_notification'] ) {
			// A set-password link; WordPress never mails a password.
			wp_new_user_notification( $user_id, null, 'user' );
		}
		return $user_id;
	}

	/**
	 * The contact: the payload itself for the embedded CRM; for an external CRM the CRM's record
	 * (tags from the payload win when it carries them).
	 *
	 * @param Crm   $crm     CRM.
	 * @param array $request Request.
	 * @return array|Result The contact, or the CRM's failure.
	 */
	private function contact( Crm $crm, array $request ) {
		$contact = array(
			'contact_id' => $request['contact_id'],
			'email'      => $request['email'],
			'first_name' => $request['first_name'],
			'last_name'  => $request['last_name'],
			'fields'     => (array) $request['fields'],
			'tags'       => $request['tags'],
		);
		if ( 'embedded' === $crm->id() ) {
			return $contact;
		}
		if ( null === $contact['contact_id'] ) {
			$found = $crm->find_contact( (string) $contact['email'] );
			if ( ! $found->is_ok() ) {
				return $found;
			}
			$contact['contact_id'] = (string) $found->value;
		}
		$record = $crm->get_contact( $contact['contact_id'] );
		if ( ! $record->is_ok() ) {
			return $record;
		}
		$contact['email']  = $contact['email'] ?? $record->value['email'];
		$contact['fields'] = $contact['fields'] + (array) $record->value['fields'];
		$contact['tags']   = $contact['tags'] ?? array_values( (array) $record->value['tags'] );
		return $contact;
	}

	/**
	 * An outcome.
	 *
	 * @param string   $outcome     done|retry|failed.
	 * @param int      $user_id     User.
	 * @param array    $result      Details.
	 * @param int|null $retry_after Seconds the CRM asked to wait.
	 * @return array
	 */
	private static function outcome( $outcome, $user_id, array $result, $retry_after = null ) {
		return array(
			'outcome'     => $outcome,
			'user_id'     => (int) $user_id,
			'result'      => $result,
			'retry_after' => $retry_after,
		);
	}
}
