<?php
/**
 * FluentCRM over its REST API (v2), authenticated with a WordPress application password.
 *
 * Built on the recorded behaviour of FluentCRM 2.9.65 (tests/fixtures/fluentcrm/README.md; the
 * exchange numbers below refer to it):
 *
 * - Contacts are looked up exactly by email (`/subscribers/0?get_by_email=`, 29-38), never with the
 *   fuzzy `search=` (39), and `+` travels as `%2B` (a raw `+` arrives as a space, 37).
 * - Not found is 422 on reads (35, 46) and 404 on writes (54); a 404 `rest_no_route` means the API
 *   is not there at all, which is a different problem.
 * - Tags are named by slug. Slugs are resolved to ids from the tag list and attached/detached by
 *   id, because strings make FluentCRM create any unknown tag (27, 60). The tag list and the custom
 *   field definitions are cached in a transient for LIST_TTL seconds, so a registration does not
 *   pay a request for each; a slug or field the cached list lacks makes the adapter fetch the list
 *   again (once per instance) before refusing it.
 *   An unknown slug is a PERMANENT error naming it and nothing is sent; TagBridge never creates
 *   tags in the CRM. Empty tag lists are never sent.
 * - Fields: standard columns at the top level, everything else in `custom_values`; a custom field
 *   unknown to FluentCRM is refused (FluentCRM would store it where nobody sees it, 49). Values are
 *   sent as given; `""` and null (sent as `""`) delete a custom value (50), so callers pass a field
 *   only when they mean to change it. Numbers come back as strings (44).
 * - Create: `POST /subscribers` with the fields and the tags to apply as `tags` ids (19), never
 *   with `__force_update`. Without it an existing email (any letter case) is refused with 422
 *   before anything changes, tags and custom values included (20, 21, 99-100): DUPLICATE, and the
 *   outbox then looks the contact up. With it FluentCRM would overwrite the contact's status, so a
 *   registration would re-subscribe a contact who had unsubscribed (`status` is required, 23;
 *   recorded in 103-104).
 * - Combined updates: one `PUT /subscribers/{id}` takes standard columns, `custom_values`,
 *   `attach_tags` and `detach_tags` together, attaching before detaching, and leaves the status
 *   alone (101-102; 67 for attach with detach).
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The FluentCRM adapter.
 */
final class FluentCrm implements Crm {

	/** Where FluentCRM's API lives below a site's address. */
	const REST_PATH = '/wp-json/fluent-crm/v2';

	/**
	 * Seconds the tag list and custom field definitions are cached across requests: short, since
	 * a tag or field created in FluentCRM must be usable soon (an unknown one refreshes at once).
	 */
	const LIST_TTL = 600;

	/** Transient name prefix of the cached lists (suffixed with the list and the site's hash). */
	const LIST_CACHE = 'tagbridge_fcrm_';

	/** Seconds one HTTP request may take. */
	const TIMEOUT = 10;

	/** Contact statuses FluentCRM knows; it silently turns any other into `subscribed` (25). */
	const STATUSES = array( 'subscribed', 'unsubscribed', 'pending', 'transactional', 'bounced', 'complained', 'spammed' );

	/** FluentCRM's standard contact columns, with TagBridge field types. */
	const STANDARD_FIELDS = array(
		'prefix'         => 'text',
		'first_name'     => 'text',
		'last_name'      => 'text',
		'email'          => 'text',
		'phone'          => 'tel',
		'date_of_birth'  => 'date',
		'address_line_1' => 'text',
		'address_line_2' => 'text',
		'city'           => 'text',
		'state'          => 'state',
		'postal_code'    => 'text',
		'country'        => 'country',
		'timezone'       => 'text',
		'status'         => 'text',
	);

	/** FluentCRM custom field types → TagBridge field types. */
	const CUSTOM_TYPES = array(
		'text'         => 'text',
		'textarea'     => 'textarea',
		'number'       => 'int',
		'date'         => 'date',
		'date_time'    => 'date',
		'select-one'   => 'text',
		'radio'        => 'text',
		'select-multi' => 'multiselect',
		'checkbox'     => 'multiselect',
		'url'          => 'text',
		'email'        => 'text',
	);

	/**
	 * The site's address (no trailing slash).
	 *
	 * @var string
	 */
	private $site;

	/**
	 * Application password user.
	 *
	 * @var string
	 */
	private $username;

	/**
	 * Application password.
	 *
	 * @var string
	 */
	private $password;

	/**
	 * Tag slug => [id, title], once fetched.
	 *
	 * @var array<string, array{0: int, 1: string}>|null
	 */
	private $tags = null;

	/**
	 * Custom field slug => [label, FluentCRM type], once fetched.
	 *
	 * @var array<string, array{0: string, 1: string}>|null
	 */
	private $custom_fields = null;

	/**
	 * Which lists this instance fetched from FluentCRM (not the cache): those are not fetched again.
	 *
	 * @var array<string, bool>
	 */
	private $fetched = array();

	/**
	 * Builds the adapter.
	 *
	 * @param string $site     The FluentCRM site's address.
	 * @param string $username WordPress user of the application password.
	 * @param string $password Application password.
	 */
	public function __construct( $site, $username, $password ) {
		$this->site     = untrailingslashit( $site );
		$this->username = $username;
		$this->password = $password;
	}

	/**
	 * Adapter name.
	 *
	 * @return string
	 */
	public function id() {
		return 'fluentcrm';
	}

	/**
	 * Finds a contact by exact email (case-insensitive, as FluentCRM compares).
	 *
	 * @param string $email Email address.
	 * @return Result
	 */
	public function find_contact( $email ) {
		$bad = self::check_email( $email );
		if ( null !== $bad ) {
			return $bad;
		}
		// rawurlencode sends `+` as %2B; a raw `+` would be read as a space (exchange 37).
		$result = $this->request( 'GET', '/subscribers/0?get_by_email=' . rawurlencode( $email ) );
		if ( ! $result->is_ok() ) {
			return $result;
		}
		$subscriber = $result->value['subscriber'] ?? null;
		if ( ! is_array( $subscriber ) || 0 !== strcasecmp( (string) ( $subscriber['email'] ?? '' ), $email ) ) {
			/* translators: %s: email address */
			return Result::error( Result::NOT_FOUND, sprintf( __( 'FluentCRM has no contact with the email %s.', 'tagbridge' ), $email ) );
		}
		return Result::ok( (string) $subscriber['id'] );
	}

	/**
	 * Reads a contact's email, fields (standard columns with a value, then custom values) and tags.
	 *
	 * @param string $contact_id Contact id.
	 * @return Result
	 */
	public function get_contact( $contact_id ) {
		$result = $this->subscriber( $contact_id, true );
		if ( ! $result->is_ok() ) {
			return $result;
		}
		$subscriber = $result->value;
		$fields     = array();
		foreach ( array_keys( self::STANDARD_FIELDS ) as $key ) {
			if ( 'email' !== $key && isset( $subscriber[ $key ] ) && '' !== $subscriber[ $key ] ) {
				$fields[ $key ] = $subscriber[ $key ];
			}
		}
		$custom = isset( $subscriber['custom_values'] ) && is_array( $subscriber['custom_values'] ) ? $subscriber['custom_values'] : array();
		return Result::ok(
			array(
				'email'  => (string) ( $subscriber['email'] ?? '' ),
				'fields' => array_merge( $fields, $custom ),
				'tags'   => self::tag_slugs( $subscriber ),
			)
		);
	}

	/**
	 * Creates a contact with its tags in one request (19): status `subscribed` unless the fields
	 * say otherwise, tags as ids. An existing email is DUPLICATE with nothing changed (99, 100).
	 *
	 * @param string               $email      Email address.
	 * @param array<string, mixed> $fields     CRM field => value.
	 * @param string[]             $apply_tags Tag slugs the contact is created with.
	 * @return Result Value: the new contact id.
	 */
	public function create_contact( $email, array $fields, array $apply_tags = array() ) {
		$body = $this->new_contact_body( $email, $fields );
		if ( $body instanceof Result ) {
			return $body;
		}
		$ids = array();
		if ( array() !== $apply_tags ) {
			$ids = $this->tag_ids( $apply_tags );
			if ( $ids instanceof Result ) {
				return $ids;
			}
			$body['tags'] = array_values( $ids );
		}
		$result = $this->request( 'POST', '/subscribers', $body );
		if ( ! $result->is_ok() ) {
			return $result;
		}
		if ( ! isset( $result->value['contact']['id'] ) ) {
			return self::unexpected();
		}
		$wrong = self::tags_not_changed( $result->value['contact'], array_keys( $ids ), array() );
		return null === $wrong ? Result::ok( (string) $result->value['contact']['id'] ) : $wrong;
	}

	/**
	 * The body that creates a contact: checked email, `status` (required on create, 23), fields.
	 *
	 * @param mixed $email  Email address.
	 * @param array $fields CRM field => value.
	 * @return array|Result The body, or why not.
	 */
	private function new_contact_body( $email, array $fields ) {
		$bad = self::check_email( $email );
		if ( null !== $bad ) {
			return $bad;
		}
		if ( isset( $fields['email'] ) && 0 !== strcasecmp( (string) $fields['email'], $email ) ) {
			return Result::error( Result::PERMANENT, __( 'The fields name another email address than the contact being created.', 'tagbridge' ) );
		}
		$body = $this->contact_body( array_merge( array( 'status' => 'subscribed' ), $fields ) );
		if ( $body instanceof Result ) {
			return $body;
		}
		$body['email'] = $email;
		return $body;
	}

	/**
	 * Updates the given fields (FluentCRM merges: fields not given keep their values).
	 *
	 * @param string               $contact_id Contact id.
	 * @param array<string, mixed> $fields     CRM field => value.
	 * @return Result
	 */
	public function update_contact( $contact_id, array $fields ) {
		return $this->update_combined( $contact_id, $fields, array(), array() );
	}

	/**
	 * A contact's tag slugs.
	 *
	 * @param string $contact_id Contact id.
	 * @return Result
	 */
	public function get_tags( $contact_id ) {
		$result = $this->subscriber( $contact_id, false );
		return $result->is_ok() ? Result::ok( self::tag_slugs( $result->value ) ) : $result;
	}

	/**
	 * Attaches tags by id; an empty list sends nothing.
	 *
	 * @param string   $contact_id Contact id.
	 * @param string[] $tags       Tag slugs.
	 * @return Result
	 */
	public function apply_tags( $contact_id, array $tags ) {
		return $this->update_combined( $contact_id, array(), $tags, array() );
	}

	/**
	 * Detaches tags by id; an empty list sends nothing.
	 *
	 * @param string   $contact_id Contact id.
	 * @param string[] $tags       Tag slugs.
	 * @return Result
	 */
	public function remove_tags( $contact_id, array $tags ) {
		return $this->update_combined( $contact_id, array(), array(), $tags );
	}

	/**
	 * Fields, attached and detached tags in one `PUT /subscribers/{id}` (101, 102): standard
	 * columns at the top level, the rest in `custom_values`, tags as ids in `attach_tags` and
	 * `detach_tags`. Empty parts are left out, and nothing at all sends nothing. The answer's tags
	 * (the new state, 56, 57) are checked when tags were sent.
	 *
	 * @param string               $contact_id Contact id.
	 * @param array<string, mixed> $fields     CRM field => value (may be empty).
	 * @param string[]             $apply      Tag slugs to attach (may be empty).
	 * @param string[]             $remove     Tag slugs to detach (may be empty).
	 * @return Result
	 */
	public function update_combined( $contact_id, array $fields, array $apply, array $remove ) {
		$id = self::check_id( $contact_id );
		if ( $id instanceof Result ) {
			return $id;
		}
		$body = array() === $fields ? array() : $this->contact_body( $fields );
		if ( $body instanceof Result ) {
			return $body;
		}
		$ids = array();
		foreach ( array( 'attach_tags' => $apply, 'detach_tags' => $remove ) as $key => $tags ) {
			if ( array() === $tags ) {
				continue;
			}
			$ids[ $key ] = $this->tag_ids( $tags );
			if ( $ids[ $key ] instanceof Result ) {
				return $ids[ $key ];
			}
			$body[ $key ] = array_values( $ids[ $key ] );
		}
		if ( array() === $body ) {
			return Result::ok();
		}
		$result = $this->request( 'PUT', '/subscribers/' . $id, array( 'subscriber' => $body ) );
		if ( ! $result->is_ok() || array() === $ids ) {
			return $result->is_ok() ? Result::ok() : $result;
		}
		$wrong = self::tags_not_changed( $result->value['contact'] ?? array(), array_keys( $ids['attach_tags'] ?? array() ), array_keys( $ids['detach_tags'] ?? array() ) );
		return null === $wrong ? Result::ok() : $wrong;
	}

	/**
	 * True: one PUT takes fields, attach_tags and detach_tags together (recorded in 101-102).
	 *
	 * @return bool
	 */
	public function supports_combined_update() {
		return true;
	}

	/**
	 * Every tag: slug => title.
	 *
	 * @return Result
	 */
	public function list_tags() {
		// Settings screens show what FluentCRM has now (and refresh the cache on the way).
		$loaded = $this->load_list( 'tags', true );
		if ( ! $loaded->is_ok() ) {
			return $loaded;
		}
		return Result::ok( array_map( static fn( $tag ) => $tag[1], $this->tags ) );
	}

	/**
	 * Standard contact columns, then the custom fields of `/custom-fields/contacts`.
	 *
	 * @return Result
	 */
	public function list_fields() {
		$loaded = $this->load_list( 'custom_fields', true );
		if ( ! $loaded->is_ok() ) {
			return $loaded;
		}
		$fields = array();
		foreach ( self::STANDARD_FIELDS as $key => $type ) {
			$fields[ $key ] = array(
				'label'    => ucwords( str_replace( '_', ' ', $key ) ),
				'type'     => $type,
				'crm_type' => $key,
				'group'    => 'standard',
			);
		}
		foreach ( $this->custom_fields as $slug => list( $label, $crm_type ) ) {
			$fields[ $slug ] = array(
				'label'    => $label,
				'type'     => self::CUSTOM_TYPES[ $crm_type ] ?? 'raw',
				'crm_type' => $crm_type,
				'group'    => 'custom',
			);
		}
		return Result::ok( $fields );
	}

	/**
	 * GET /subscribers/{id}, optionally with custom values.
	 *
	 * @param mixed $contact_id Contact id.
	 * @param bool  $custom     Whether to ask for custom values.
	 * @return Result Value: the subscriber object.
	 */
	private function subscriber( $contact_id, $custom ) {
		$id = self::check_id( $contact_id );
		if ( $id instanceof Result ) {
			return $id;
		}
		$result = $this->request( 'GET', '/subscribers/' . $id . ( $custom ? '?with%5B%5D=subscriber.custom_values' : '' ) );
		if ( ! $result->is_ok() ) {
			return $result;
		}
		return is_array( $result->value['subscriber'] ?? null ) ? Result::ok( $result->value['subscriber'] ) : self::unexpected();
	}

	/**
	 * Checks a contact in FluentCRM's answer against the tags just attached and detached (attach
	 * runs before detach, 67).
	 *
	 * @param mixed    $contact  Contact object of the answer.
	 * @param string[] $attached Slugs that must now be there.
	 * @param string[] $detached Slugs that must now be gone.
	 * @return Result|null PERMANENT naming the tags that did not change, or null.
	 */
	private static function tags_not_changed( $contact, array $attached, array $detached ) {
		$now   = self::tag_slugs( is_array( $contact ) ? $contact : array() );
		$wrong = array_merge( array_diff( $attached, $detached, $now ), array_intersect( $detached, $now ) );
		if ( array() === $wrong ) {
			return null;
		}
		/* translators: %s: tag slugs */
		return Result::error( Result::PERMANENT, sprintf( __( 'FluentCRM answered OK but the contact\'s tags do not show the change for: %s.', 'tagbridge' ), implode( ', ', $wrong ) ) );
	}

	/**
	 * Resolves tag slugs to FluentCRM ids.
	 *
	 * @param array $tags Tag slugs.
	 * @return array<string, int>|Result Slug => id, or why not.
	 */
	private function tag_ids( array $tags ) {
		foreach ( $tags as $tag ) {
			if ( ! is_string( $tag ) || '' === trim( $tag ) ) {
				return Result::error( Result::PERMANENT, __( 'Tags must be non-empty strings.', 'tagbridge' ) );
			}
		}
		$loaded = $this->load_list( 'tags' );
		if ( $loaded->is_ok() && array() !== array_diff( $tags, array_keys( $this->tags ) ) ) {
			// A slug the cached list lacks may be a tag created since: ask FluentCRM before refusing.
			$loaded = $this->load_list( 'tags', true );
		}
		if ( ! $loaded->is_ok() ) {
			return $loaded;
		}
		$ids     = array();
		$unknown = array();
		foreach ( $tags as $tag ) {
			if ( isset( $this->tags[ $tag ] ) ) {
				$ids[ $tag ] = $this->tags[ $tag ][0];
			} else {
				$unknown[] = '"' . $tag . '"';
			}
		}
		if ( array() !== $unknown ) {
			return Result::error(
				Result::PERMANENT,
				/* translators: %s: quoted tag names */
				sprintf( __( 'FluentCRM has no tag with the slug %s. TagBridge matches tags by slug and does not create tags: create the tag in FluentCRM or use an existing slug.', 'tagbridge' ), implode( ', ', $unknown ) )
			);
		}
		return $ids;
	}

	/**
	 * Loads the tag list (`tags`) or the custom field definitions (`custom_fields`): kept by this
	 * instance, else from the transient, else fetched from FluentCRM and cached for LIST_TTL.
	 *
	 * @param string $list    `tags` or `custom_fields`.
	 * @param bool   $refresh Fetch from FluentCRM unless this instance already did.
	 * @return Result
	 */
	private function load_list( $list, $refresh = false ) {
		if ( null !== $this->{$list} && ( ! $refresh || ! empty( $this->fetched[ $list ] ) ) ) {
			return Result::ok();
		}
		$cache = self::LIST_CACHE . $list . '_' . md5( $this->site );
		if ( ! $refresh ) {
			$cached = get_transient( $cache );
			if ( is_array( $cached ) ) {
				$this->{$list} = $cached;
				return Result::ok();
			}
		}
		$fetched = 'tags' === $list ? $this->fetch_tags() : $this->fetch_custom_fields();
		if ( $fetched instanceof Result ) {
			return $fetched;
		}
		$this->{$list}          = $fetched;
		$this->fetched[ $list ] = true;
		set_transient( $cache, $fetched, self::LIST_TTL );
		return Result::ok();
	}

	/**
	 * Every tag in one answer: `all_tags=1` lists them all (09), whatever the page.
	 *
	 * @return array<string, array{0: int, 1: string}>|Result Slug => [id, title], or why not.
	 */
	private function fetch_tags() {
		$result = $this->request( 'GET', '/tags?all_tags=1&exclude_counts=1&per_page=1' );
		if ( ! $result->is_ok() ) {
			return $result;
		}
		if ( ! isset( $result->value['all_tags'] ) || ! is_array( $result->value['all_tags'] ) ) {
			return self::unexpected();
		}
		$tags = array();
		foreach ( $result->value['all_tags'] as $tag ) {
			if ( isset( $tag['id'], $tag['slug'] ) ) {
				// Ids are strings in all_tags (09) and integers everywhere else; send integers (56).
				$tags[ (string) $tag['slug'] ] = array( (int) $tag['id'], (string) ( $tag['title'] ?? $tag['slug'] ) );
			}
		}
		return $tags;
	}

	/**
	 * The custom field definitions (17).
	 *
	 * @return array<string, array{0: string, 1: string}>|Result Slug => [label, type], or why not.
	 */
	private function fetch_custom_fields() {
		$result = $this->request( 'GET', '/custom-fields/contacts' );
		if ( ! $result->is_ok() ) {
			return $result;
		}
		if ( ! isset( $result->value['fields'] ) || ! is_array( $result->value['fields'] ) ) {
			return self::unexpected();
		}
		$fields = array();
		foreach ( $result->value['fields'] as $field ) {
			if ( isset( $field['slug'] ) ) {
				$fields[ (string) $field['slug'] ] = array( (string) ( $field['label'] ?? $field['slug'] ), (string) ( $field['type'] ?? '' ) );
			}
		}
		return $fields;
	}

	/**
	 * Forgets the cached lists of a FluentCRM site (its tags or fields were replaced wholesale).
	 *
	 * @param string $site The FluentCRM site's address.
	 */
	public static function forget_lists( $site ) {
		foreach ( array( 'tags', 'custom_fields' ) as $list ) {
			delete_transient( self::LIST_CACHE . $list . '_' . md5( untrailingslashit( $site ) ) );
		}
	}

	/**
	 * Splits fields into standard columns and `custom_values`, refusing what FluentCRM would take
	 * silently but wrongly (unknown status, unknown custom field, nested values).
	 *
	 * @param array $fields CRM field => value.
	 * @return array|Result The body, or why not.
	 */
	private function contact_body( array $fields ) {
		$body   = array();
		$custom = array();
		foreach ( $fields as $key => $value ) {
			if ( ! is_string( $key ) || '' === $key || ! self::is_plain_value( $value ) ) {
				/* translators: %s: field name */
				return Result::error( Result::PERMANENT, sprintf( __( 'Field %s must have a text, number, true/false or list value.', 'tagbridge' ), (string) $key ) );
			}
			if ( isset( self::STANDARD_FIELDS[ $key ] ) ) {
				$body[ $key ] = $value;
				continue;
			}
			$loaded = $this->load_list( 'custom_fields' );
			if ( $loaded->is_ok() && ! isset( $this->custom_fields[ $key ] ) ) {
				// A field the cached definitions lack may be new: ask FluentCRM before refusing.
				$loaded = $this->load_list( 'custom_fields', true );
			}
			if ( ! $loaded->is_ok() ) {
				return $loaded;
			}
			if ( ! isset( $this->custom_fields[ $key ] ) ) {
				/* translators: %s: field name */
				return Result::error( Result::PERMANENT, sprintf( __( 'FluentCRM has no contact field "%s".', 'tagbridge' ), $key ) );
			}
			// "" deletes a custom value (exchange 50); null means the same here.
			$custom[ $key ] = null === $value ? '' : $value;
		}
		if ( isset( $body['status'] ) && ! in_array( $body['status'], self::STATUSES, true ) ) {
			/* translators: 1: status given, 2: list of statuses */
			return Result::error( Result::PERMANENT, sprintf( __( 'Unknown FluentCRM status "%1$s" (use one of: %2$s).', 'tagbridge' ), (string) $body['status'], implode( ', ', self::STATUSES ) ) );
		}
		if ( array() !== $custom ) {
			$body['custom_values'] = $custom;
		}
		return $body;
	}

	/**
	 * Sends one request and classifies the answer.
	 *
	 * @param string     $method HTTP method.
	 * @param string     $path   Path below the API base, with its query.
	 * @param array|null $body   JSON body.
	 * @return Result Value: the decoded JSON answer.
	 */
	private function request( $method, $path, $body = null ) {
		$args = array(
			'method'      => $method,
			'timeout'     => self::TIMEOUT,
			// A redirect would turn a PUT into a GET; report it instead of following it.
			'redirection' => 0,
			'headers'     => array(
				'Accept'        => 'application/json',
				'Authorization' => 'Basic ' . base64_encode( $this->username . ':' . $this->password ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- HTTP Basic auth.
			),
		);
		if ( null !== $body ) {
			$json = wp_json_encode( $body );
			if ( false === $json ) {
				return Result::error( Result::PERMANENT, __( 'The values to send are not valid UTF-8.', 'tagbridge' ) );
			}
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = $json;
		}
		return $this->classify( wp_remote_request( $this->site . self::REST_PATH . $path, $args ) );
	}

	/**
	 * Turns an HTTP answer into a Result (see Result for what each failure means to the outbox).
	 *
	 * @param array|WP_Error $response The WordPress HTTP API's answer.
	 * @return Result
	 */
	private function classify( $response ) {
		if ( is_wp_error( $response ) ) {
			return $this->unreachable( $response );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$json   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( $status >= 200 && $status < 300 && is_array( $json ) ) {
			return Result::ok( $json );
		}
		if ( 401 === $status ) {
			return Result::error( Result::AUTH_FAILED, __( 'FluentCRM refused the credentials: wrong username or application password.', 'tagbridge' ) );
		}
		if ( 403 === $status ) {
			return Result::error( Result::AUTH_FAILED, __( 'FluentCRM refused the request: the user lacks FluentCRM permission.', 'tagbridge' ) );
		}
		if ( 429 === $status ) {
			return Result::error( Result::RATE_LIMITED, __( 'FluentCRM\'s site asked TagBridge to slow down (HTTP 429).', 'tagbridge' ), self::retry_after( $response ) );
		}
		if ( $status >= 500 ) {
			/* translators: %d: HTTP status */
			return Result::error( Result::TRANSIENT, sprintf( __( 'FluentCRM\'s site failed with HTTP %d.', 'tagbridge' ), $status ) );
		}
		if ( $status >= 300 && $status < 400 ) {
			/* translators: 1: HTTP status, 2: redirect target */
			return Result::error( Result::PERMANENT, sprintf( __( 'The FluentCRM address redirects (HTTP %1$d to %2$s): enter the address it redirects to.', 'tagbridge' ), $status, esc_url_raw( (string) wp_remote_retrieve_header( $response, 'location' ) ) ) );
		}
		if ( ! is_array( $json ) ) {
			/* translators: 1: site address, 2: HTTP status */
			return Result::error( Result::PERMANENT, sprintf( __( '%1$s did not answer like a WordPress REST API (HTTP %2$d without JSON): check the site address.', 'tagbridge' ), $this->site, $status ) );
		}
		if ( 404 === $status && 'rest_no_route' === ( $json['code'] ?? '' ) ) {
			/* translators: %s: site address */
			return Result::error( Result::PERMANENT, sprintf( __( '%s is a WordPress site but has no FluentCRM REST API (rest_no_route): is FluentCRM installed and active there?', 'tagbridge' ), $this->site ) );
		}
		$message = self::error_text( $json );
		// Not found by meaning: 422 on reads, 404 with a model message on writes (README, surprise 2).
		if ( ( 422 === $status && 'Subscriber not found' === $message ) || ( 404 === $status && 0 === strpos( $message, 'No query results' ) ) ) {
			return Result::error( Result::NOT_FOUND, __( 'FluentCRM has no such contact.', 'tagbridge' ) );
		}
		if ( 422 === $status && isset( $json['email']['unique'] ) ) {
			return Result::error( Result::DUPLICATE, __( 'FluentCRM already has a contact with this email address.', 'tagbridge' ) );
		}
		/* translators: 1: HTTP status, 2: FluentCRM's message */
		return Result::error( Result::PERMANENT, sprintf( __( 'FluentCRM refused the request (HTTP %1$d): %2$s', 'tagbridge' ), $status, $message ) );
	}

	/**
	 * Explains a request that got no HTTP answer.
	 *
	 * @param WP_Error $error From the WordPress HTTP API.
	 * @return Result
	 */
	private function unreachable( WP_Error $error ) {
		$host = (string) wp_parse_url( $this->site, PHP_URL_HOST );
		$text = $error->get_error_message();
		if ( 'http_request_not_executed' === $error->get_error_code() ) {
			/* translators: %s: host name */
			return Result::error( Result::PERMANENT, sprintf( __( 'This site blocks outgoing requests to %s (WP_HTTP_BLOCK_EXTERNAL).', 'tagbridge' ), $host ) );
		}
		if ( false !== stripos( $text, 'resolve host' ) ) {
			/* translators: %s: host name */
			$why = sprintf( __( 'the host name %s could not be resolved (DNS)', 'tagbridge' ), $host );
		} elseif ( false !== stripos( $text, 'refused' ) || false !== stripos( $text, 'connect to' ) ) {
			/* translators: %s: host name */
			$why = sprintf( __( 'the connection to %s was refused (nothing answers at that address and port)', 'tagbridge' ), $host );
		} elseif ( false !== stripos( $text, 'timed out' ) ) {
			/* translators: 1: host name, 2: seconds */
			$why = sprintf( __( '%1$s did not answer within %2$d seconds', 'tagbridge' ), $host, self::TIMEOUT );
		} else {
			$why = $text;
		}
		/* translators: %s: the reason */
		return Result::error( Result::TRANSIENT, sprintf( __( 'Could not reach FluentCRM: %s.', 'tagbridge' ), $why ) );
	}

	/**
	 * Seconds from a Retry-After header (seconds or an HTTP date), or null.
	 *
	 * @param array $response HTTP answer.
	 * @return int|null
	 */
	private static function retry_after( $response ) {
		$value = trim( (string) wp_remote_retrieve_header( $response, 'retry-after' ) );
		if ( ctype_digit( $value ) ) {
			return (int) $value;
		}
		$when = '' === $value ? false : strtotime( $value );
		return false === $when ? null : max( 0, $when - time() );
	}

	/**
	 * One line from any of the three error shapes (README, surprise 3).
	 *
	 * @param array $json Decoded error answer.
	 * @return string
	 */
	private static function error_text( array $json ) {
		if ( isset( $json['message'] ) && is_string( $json['message'] ) ) {
			return wp_strip_all_tags( $json['message'] ) . ( isset( $json['code'] ) && is_string( $json['code'] ) ? ' (' . $json['code'] . ')' : '' );
		}
		$parts = array();
		foreach ( $json as $field => $rules ) {
			if ( is_array( $rules ) ) {
				$parts[] = $field . ': ' . implode( ' ', array_filter( $rules, 'is_string' ) );
			}
		}
		return implode( '; ', $parts );
	}

	/**
	 * The slugs of a contact's tags.
	 *
	 * @param array $contact Subscriber or contact object.
	 * @return string[]
	 */
	private static function tag_slugs( $contact ) {
		$tags = isset( $contact['tags'] ) && is_array( $contact['tags'] ) ? $contact['tags'] : array();
		return array_values( array_filter( array_map( static fn( $tag ) => is_array( $tag ) ? (string) ( $tag['slug'] ?? '' ) : '', $tags ), 'strlen' ) );
	}

	/**
	 * Values FluentCRM stores: scalars, null, or a list of scalars (checkboxes).
	 *
	 * @param mixed $value Value.
	 * @return bool
	 */
	private static function is_plain_value( $value ) {
		if ( is_array( $value ) ) {
			return array_is_list( $value ) && array() === array_filter( $value, static fn( $v ) => ! is_scalar( $v ) );
		}
		return null === $value || is_scalar( $value );
	}

	/**
	 * Refuses what is not an email address, before any request.
	 *
	 * @param mixed $email Email.
	 * @return Result|null
	 */
	private static function check_email( $email ) {
		if ( is_string( $email ) && is_email( $email ) ) {
			return null;
		}
		return Result::error( Result::PERMANENT, __( 'A contact needs a valid email address.', 'tagbridge' ) );
	}

	/**
	 * A contact id as FluentCRM's positive integer; 0 would hit the email lookup route.
	 *
	 * @param mixed $contact_id Contact id.
	 * @return string|Result
	 */
	private static function check_id( $contact_id ) {
		$id = is_int( $contact_id ) ? (string) $contact_id : $contact_id;
		if ( is_string( $id ) && ctype_digit( $id ) && (int) $id > 0 ) {
			return (string) (int) $id;
		}
		return Result::error( Result::PERMANENT, __( 'A FluentCRM contact id is a positive number.', 'tagbridge' ) );
	}

	/**
	 * An answer of a shape the recordings never showed.
	 *
	 * @return Result
	 */
	private static function unexpected() {
		return Result::error( Result::PERMANENT, __( 'FluentCRM answered in an unexpected shape.', 'tagbridge' ) );
	}
}
