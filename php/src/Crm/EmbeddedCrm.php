<?php
/**
 * The embedded CRM: no external service. The site keeps a contact record per user and the tags in
 * the tag store, so every feature works out of the box and every test runs without a network.
 *
 * Contacts live in `{prefix}tagbridge_contacts` (contact id = user id, email with a unique key) and
 * their fields in `{prefix}tagbridge_contact_fields` (one row per field). Tables rather than user
 * meta because: the unique email key makes a create atomic, so two deliveries racing can never make
 * two contacts (the second gets DUPLICATE); find-by-email is an indexed lookup; and one row per
 * field makes each field write a single statement, so concurrent updates cannot overwrite each
 * other's fields (a serialized meta array would).
 *
 * A fault switch (option `tagbridge_embedded_fault`) makes calls fail on purpose, for outage drills
 * and tests: `{mode: "down"|"rate_limited"|"auth_failed"|"timeout_after", retry_after?: int}`. `timeout_after`
 * does the work and then reports a timeout, like a CRM that answered too late.
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

use TagBridge\Roles\RoleTagSync;
use TagBridge\Tags\TagStore;

defined( 'ABSPATH' ) || exit;

/**
 * The default CRM.
 */
final class EmbeddedCrm implements Crm {

	/** Option holding the fault switch. */
	const FAULT_OPTION = 'tagbridge_embedded_fault';

	/**
	 * Tag store (the embedded CRM's tags).
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Roles ↔ tags flow: tags applied here are a CRM event, so linked roles follow.
	 *
	 * @var RoleTagSync
	 */
	private $sync;

	/**
	 * Builds the CRM.
	 *
	 * @param TagStore    $tags Tag store.
	 * @param RoleTagSync $sync Roles ↔ tags flow.
	 */
	public function __construct( TagStore $tags, RoleTagSync $sync ) {
		$this->tags = $tags;
		$this->sync = $sync;
	}

	/**
	 * Contacts table.
	 *
	 * @return string
	 */
	public static function contacts_table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_contacts';
	}

	/**
	 * Contact fields table.
	 *
	 * @return string
	 */
	public static function fields_table() {
		global $wpdb;
		return $wpdb->prefix . 'tagbridge_contact_fields';
	}

	/**
	 * CREATE TABLE statements for dbDelta.
	 *
	 * @return string[]
	 */
	public static function schema() {
		global $wpdb;
		$charset  = $wpdb->get_charset_collate();
		$contacts = self::contacts_table();
		$fields   = self::fields_table();
		return array(
			"CREATE TABLE {$contacts} (
  contact_id bigint(20) unsigned NOT NULL,
  email varchar(191) NOT NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (contact_id),
  UNIQUE KEY email (email)
) {$charset};",
			"CREATE TABLE {$fields} (
  contact_id bigint(20) unsigned NOT NULL,
  field varchar(191) NOT NULL,
  value longtext NOT NULL,
  PRIMARY KEY  (contact_id,field)
) {$charset};",
		);
	}

	/**
	 * {@inheritDoc}
	 */
	public function id() {
		return 'embedded';
	}

	/**
	 * The failure the fault switch asks for, if any.
	 *
	 * @return Result|null
	 */
	private function fault() {
		$fault = get_option( self::FAULT_OPTION );
		if ( ! is_array( $fault ) || empty( $fault['mode'] ) ) {
			return null;
		}
		switch ( $fault['mode'] ) {
			case 'down':
				return Result::error( Result::TRANSIENT, __( 'The embedded CRM is switched off (fault drill).', 'tagbridge' ) );
			case 'rate_limited':
				return Result::error( Result::RATE_LIMITED, __( 'Too many requests (fault drill).', 'tagbridge' ), (int) ( $fault['retry_after'] ?? 60 ) );
			case 'auth_failed':
				return Result::error( Result::AUTH_FAILED, __( 'Credentials refused (fault drill).', 'tagbridge' ) );
		}
		return null;
	}

	/**
	 * Runs a write, honouring the fault switch.
	 *
	 * @param callable $work Returns a Result.
	 * @return Result
	 */
	private function write( callable $work ) {
		$fault = $this->fault();
		if ( $fault ) {
			return $fault;
		}
		$result = $work();
		$mode   = get_option( self::FAULT_OPTION )['mode'] ?? '';
		if ( $result->is_ok() && 'timeout_after' === $mode ) {
			return Result::error( Result::TRANSIENT, __( 'Timed out waiting for the answer (fault drill); the change was made.', 'tagbridge' ) );
		}
		return $result;
	}

	/**
	 * The user behind a contact id, if the contact exists.
	 *
	 * @param string $contact_id Contact id.
	 * @return int
	 */
	private function user_of( $contact_id ) {
		global $wpdb;
		if ( ! is_string( $contact_id ) || ! ctype_digit( $contact_id ) ) {
			return 0;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->get_var( $wpdb->prepare( 'SELECT contact_id FROM ' . self::contacts_table() . ' WHERE contact_id = %d', $contact_id ) );
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string $email Email address.
	 */
	public function find_contact( $email ) {
		global $wpdb;
		$fault = $this->fault();
		if ( $fault ) {
			return $fault;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$id = $wpdb->get_var( $wpdb->prepare( 'SELECT contact_id FROM ' . self::contacts_table() . ' WHERE email = %s', (string) $email ) );
		return null === $id ? Result::error( Result::NOT_FOUND, __( 'No contact with this email.', 'tagbridge' ) ) : Result::ok( (string) $id );
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string $contact_id Contact id.
	 */
	public function get_contact( $contact_id ) {
		global $wpdb;
		$fault = $this->fault();
		if ( $fault ) {
			return $fault;
		}
		$user_id = $this->user_of( $contact_id );
		if ( ! $user_id ) {
			return Result::error( Result::NOT_FOUND, __( 'No such contact.', 'tagbridge' ) );
		}
		// phpcs:disable WordPress.DB.DirectDatabaseQuery
		$email = $wpdb->get_var( $wpdb->prepare( 'SELECT email FROM ' . self::contacts_table() . ' WHERE contact_id = %d', $user_id ) );
		$rows  = $wpdb->get_results( $wpdb->prepare( 'SELECT field, value FROM ' . self::fields_table() . ' WHERE contact_id = %d ORDER BY field', $user_id ), ARRAY_A );
		// phpcs:enable
		$fields = array();
		foreach ( $rows as $row ) {
			$fields[ $row['field'] ] = json_decode( $row['value'], true );
		}
		return Result::ok(
			array(
				'email'  => (string) $email,
				'fields' => $fields,
				'tags'   => $this->tags->get( $user_id ),
			)
		);
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string   $email      Email address.
	 * @param array    $fields     Fields.
	 * @param string[] $apply_tags Tags.
	 */
	public function create_contact( $email, array $fields, array $apply_tags = array() ) {
		return $this->write(
			function () use ( $email, $fields, $apply_tags ) {
				global $wpdb;
				$user = get_user_by( 'email', (string) $email );
				if ( ! $user ) {
					return Result::error( Result::PERMANENT, __( 'The embedded CRM keeps contacts for site users only.', 'tagbridge' ) );
				}
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery
				$rows = $wpdb->query( $wpdb->prepare( 'INSERT IGNORE INTO ' . self::contacts_table() . ' (contact_id, email, created_at) VALUES (%d, %s, %s)', $user->ID, (string) $email, current_time( 'mysql', true ) ) );
				if ( 1 !== $rows ) {
					return Result::error( Result::DUPLICATE, __( 'A contact with this email exists.', 'tagbridge' ) );
				}
				$tagged = $this->store( $user->ID, $fields, $apply_tags, array() );
				return $tagged->is_ok() ? Result::ok( (string) $user->ID ) : $tagged;
			}
		);
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string $contact_id Contact id.
	 * @param array  $fields     Fields.
	 */
	public function update_contact( $contact_id, array $fields ) {
		return $this->write(
			function () use ( $contact_id, $fields ) {
				$user_id = $this->user_of( $contact_id );
				if ( ! $user_id ) {
					return Result::error( Result::NOT_FOUND, __( 'No such contact.', 'tagbridge' ) );
				}
				$this->store_fields( $user_id, $fields );
				return Result::ok();
			}
		);
	}

	/**
	 * One statement per field, so concurrent updates of different fields never collide.
	 *
	 * @param int   $user_id Contact.
	 * @param array $fields  Fields.
	 */
	private function store_fields( $user_id, array $fields ) {
		global $wpdb;
		foreach ( $fields as $field => $value ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->query( $wpdb->prepare( 'INSERT INTO ' . self::fields_table() . ' (contact_id, field, value) VALUES (%d, %s, %s) ON DUPLICATE KEY UPDATE value = VALUES(value)', $user_id, (string) $field, wp_json_encode( $value ) ) );
		}
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string $contact_id Contact id.
	 */
	public function get_tags( $contact_id ) {
		$fault = $this->fault();
		if ( $fault ) {
			return $fault;
		}
		$user_id = $this->user_of( $contact_id );
		return $user_id ? Result::ok( $this->tags->get( $user_id ) ) : Result::error( Result::NOT_FOUND, __( 'No such contact.', 'tagbridge' ) );
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string   $contact_id Contact id.
	 * @param string[] $tags       Tags.
	 */
	public function apply_tags( $contact_id, array $tags ) {
		return $this->update_combined( $contact_id, array(), $tags, array() );
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string   $contact_id Contact id.
	 * @param string[] $tags       Tags.
	 */
	public function remove_tags( $contact_id, array $tags ) {
		return $this->update_combined( $contact_id, array(), array(), $tags );
	}

	/**
	 * {@inheritDoc}
	 *
	 * @param string   $contact_id Contact id.
	 * @param array    $fields     Fields.
	 * @param string[] $apply      Tags to apply.
	 * @param string[] $remove     Tags to remove.
	 */
	public function update_combined( $contact_id, array $fields, array $apply, array $remove ) {
		return $this->write(
			function () use ( $contact_id, $fields, $apply, $remove ) {
				$user_id = $this->user_of( $contact_id );
				if ( ! $user_id ) {
					return Result::error( Result::NOT_FOUND, __( 'No such contact.', 'tagbridge' ) );
				}
				return $this->store( $user_id, $fields, $apply, $remove );
			}
		);
	}

	/**
	 * Stores fields, then changes tags (a CRM event: linked roles follow).
	 *
	 * @param int      $user_id Contact.
	 * @param array    $fields  Fields.
	 * @param string[] $apply   Tags to apply.
	 * @param string[] $remove  Tags to remove.
	 * @return Result
	 */
	private function store( $user_id, array $fields, array $apply, array $remove ) {
		$this->store_fields( $user_id, $fields );
		if ( $apply || $remove ) {
			$changed = $this->sync->change_tags( $user_id, array_values( $apply ), array_values( $remove ) );
			if ( is_wp_error( $changed ) ) {
				return Result::error( Result::PERMANENT, $changed->get_error_message() );
			}
		}
		return Result::ok();
	}

	/**
	 * {@inheritDoc}
	 */
	public function supports_combined_update() {
		return true;
	}

	/**
	 * {@inheritDoc}
	 */
	public function list_tags() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$tags = $wpdb->get_col( 'SELECT DISTINCT tag FROM ' . TagStore::table() . ' ORDER BY tag' );
		foreach ( tagbridge_get_settings()['role_links'] ?? array() as $link ) {
			$tags[] = $link['tag'];
		}
		$tags = array_values( array_unique( $tags ) );
		sort( $tags );
		return Result::ok( array_combine( $tags, $tags ) );
	}

	/**
	 * {@inheritDoc}
	 */
	public function list_fields() {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$names  = $wpdb->get_col( 'SELECT DISTINCT field FROM ' . self::fields_table() . ' ORDER BY field' );
		$fields = array();
		foreach ( $names as $name ) {
			$fields[ $name ] = array(
				'label' => $name,
				'type'  => 'text',
			);
		}
		return Result::ok( $fields );
	}

	/**
	 * Forgets a deleted user's contact.
	 *
	 * @param int $user_id User.
	 */
	public function forget_user( $user_id ) {
		global $wpdb;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::contacts_table() . ' WHERE contact_id = %d', $user_id ) );
		$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . self::fields_table() . ' WHERE contact_id = %d', $user_id ) );
		// phpcs:enable
	}
}
