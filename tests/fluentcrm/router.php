<?php
/**
 * A replay of FluentCRM 2.9.65's REST API for tests, run by PHP's built-in web server
 * (tests/fluentcrm/replay.sh). FluentCRM itself cannot be installed in CI, so this stands in for it.
 *
 * Every answer is a recorded one: bodies, status codes and messages are read from the real
 * exchanges in tests/fixtures/fluentcrm/exchanges (recorded against a real FluentCRM), and where a
 * test needs state (create, then read) the state changes follow the observed-behaviour table in
 * tests/fixtures/fluentcrm/README.md (the exchange numbers are cited at each rule). What the
 * recordings do not cover answers 501 "not modelled by the replay", so a test that strays outside
 * the recorded behaviour fails instead of passing on invented behaviour.
 *
 * Every request is appended to requests.jsonl in the state directory (with its raw query string
 * and body) so tests can count calls and check what was sent.
 */

require __DIR__ . '/ReplayState.php';

use TagBridge\Tests\FluentCrm\ReplayState;

const TB_REPLAY_BASE = '/wp-json/fluent-crm/v2';

/**
 * One request's handling. Methods answer array{0: int status, 1: mixed json}.
 */
final class TagBridgeFluentCrmReplay {

	/** @var ReplayState */
	private $state;

	/** @var string */
	private $method;

	/** @var string Path below the FluentCRM base. */
	private $path;

	/** @var array Decoded query (PHP decodes `+` as a space, as WordPress does: exchange 37). */
	private $query;

	/** @var string */
	private $body;

	public function __construct( ReplayState $state ) {
		$this->state  = $state;
		$this->method = $_SERVER['REQUEST_METHOD'];
		$this->query  = $_GET;
		$this->body   = (string) file_get_contents( 'php://input' );
	}

	public function run(): void {
		$uri  = $_SERVER['REQUEST_URI'];
		$path = rawurldecode( explode( '?', $uri, 2 )[0] );
		list( $status, $json, $headers ) = $this->answer( $path );

		$this->state->log_request(
			array(
				'method'        => $this->method,
				'path'          => $path,
				'query'         => (string) ( $_SERVER['QUERY_STRING'] ?? '' ),
				'authorization' => $_SERVER['HTTP_AUTHORIZATION'] ?? null,
				'content_type'  => $_SERVER['CONTENT_TYPE'] ?? ( $_SERVER['HTTP_CONTENT_TYPE'] ?? null ),
				'body'          => $this->body,
				'status'        => $status,
			)
		);

		http_response_code( $status );
		foreach ( $headers as $name => $value ) {
			header( $name . ': ' . $value );
		}
		if ( is_string( $json ) ) {
			header( 'Content-Type: text/html; charset=UTF-8' );
			echo $json;
			return;
		}
		header( 'Content-Type: application/json; charset=UTF-8' );
		echo json_encode( $json, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION );
	}

	/**
	 * @return array{0: int, 1: mixed, 2: array<string, string>}
	 */
	private function answer( string $path ): array {
		if ( 0 !== strpos( $path, '/wp-json/' ) && '/wp-json' !== $path ) {
			// Not a WordPress REST request: answer like a plain web server, not like WordPress.
			return array( 404, "<!doctype html><title>Not Found</title><h1>Not Found</h1>\n", array() );
		}
		$fault = $this->state->take_fault();
		if ( null !== $fault ) {
			return array( (int) $fault['status'], $fault['json'], (array) $fault['headers'] );
		}
		if ( 0 !== strpos( $path . '/', TB_REPLAY_BASE . '/' ) ) {
			return $this->recorded( '94-unknown-route' );
		}
		$auth = $this->authenticate();
		if ( 'none' === $auth ) {
			return $this->recorded( '01-auth-wrong-app-password' ); // 01-04: one answer for all.
		}
		if ( 'no_rights' === $auth ) {
			return $this->recorded( '05-auth-no-permission' );
		}
		$this->path = substr( $path, strlen( TB_REPLAY_BASE ) );
		return $this->route() + array( 2 => array() );
	}

	/**
	 * Who the Basic credentials name: 'admin' (FluentCRM rights), 'no_rights' or 'none'. Only
	 * application passwords count (exchange 04); WordPress ignores their spaces.
	 */
	private function authenticate(): string {
		$header = $_SERVER['HTTP_AUTHORIZATION'] ?? '';
		if ( ! preg_match( '/^Basic ([A-Za-z0-9+\/=]+)$/', $header, $m ) ) {
			return 'none';
		}
		$pair = explode( ':', (string) base64_decode( $m[1], true ), 2 );
		$user = ReplayState::USERS[ $pair[0] ] ?? null;
		$bare = static fn( $password ) => preg_replace( '/[^a-z\d]/i', '', $password );
		if ( null === $user || ! isset( $pair[1] ) || $bare( $user['app_password'] ) !== $bare( $pair[1] ) ) {
			return 'none';
		}
		return $user['fluentcrm'] ? 'admin' : 'no_rights';
	}

	private function route(): array {
		$m = $this->method;
		$p = $this->path;
		if ( 'GET' === $m && '/tags' === $p ) {
			return $this->list_tags();
		}
		if ( 'GET' === $m && '/custom-fields/contacts' === $p ) {
			return $this->recorded( '17-custom-fields-list' );
		}
		if ( 'POST' === $m && '/subscribers' === $p ) {
			return $this->with_json_body( array( $this, 'create_subscriber' ) );
		}
		if ( preg_match( '#^/subscribers/(\d+)$#', $p, $id ) ) {
			if ( 'GET' === $m ) {
				return $this->get_subscriber( (int) $id[1] );
			}
			if ( 'PUT' === $m ) {
				return $this->with_json_body( fn( $body ) => $this->update_subscriber( (int) $id[1], $body ) );
			}
			if ( 'DELETE' === $m ) {
				return $this->delete_subscriber( (int) $id[1] );
			}
		}
		$known = array( '/tags', '/custom-fields/contacts', '/subscribers', '/subscribers/sync-segments' );
		if ( in_array( $p, $known, true ) || preg_match( '#^/(tags|subscribers)/\d+$#', $p ) ) {
			return array( 501, array( 'message' => "not modelled by the replay: $m $p" ) );
		}
		return $this->recorded( '94-unknown-route' ); // Unknown route, or PATCH (95).
	}

	/** The recorded answer of an exchange. */
	private function recorded( string $name ): array {
		$response = ReplayState::exchange( $name )['response'];
		return array( $response['status'], $response['json'], array() );
	}

	/** Decodes a JSON (or form: 93) body, answering WordPress's 400 for broken JSON (89). */
	private function with_json_body( callable $handler ): array {
		if ( false !== stripos( (string) ( $_SERVER['CONTENT_TYPE'] ?? '' ), 'application/x-www-form-urlencoded' ) ) {
			parse_str( $this->body, $form );
			return $handler( $form );
		}
		$body = '' === $this->body ? array() : json_decode( $this->body, true );
		if ( null === $body && 'null' !== trim( $this->body ) ) {
			return $this->recorded( '89-malformed-json-create' );
		}
		return $handler( is_array( $body ) && ! array_is_list( $body ) ? $body : array() );
	}

	// ---------------------------------------------------------------- tags

	/** GET /tags: paged, id DESC, per_page default 15; `all_tags=1` adds the flat list (08, 09). */
	private function list_tags(): array {
		$tags     = array_values( $this->state->read()['tags'] );
		$per_page = max( 1, (int) ( $this->query['per_page'] ?? 15 ) );
		$page     = max( 1, (int) ( $this->query['page'] ?? 1 ) );
		$desc     = array_reverse( $tags );
		$slice    = array_slice( $desc, ( $page - 1 ) * $per_page, $per_page );
		if ( empty( $this->query['exclude_counts'] ) ) {
			$slice = array_map( fn( $t ) => $t + array( 'subscribersCount' => $this->count_with_tag( $t['id'] ) ), $slice );
		}
		$total = count( $tags );
		$last  = max( 1, (int) ceil( $total / $per_page ) );
		$json  = array(
			'tags' => array(
				'total'         => $total,
				'per_page'      => $per_page,
				'current_page'  => $page,
				'last_page'     => $last,
				'next_page_url' => $page < $last ? TB_REPLAY_BASE . '/tags?page=' . ( $page + 1 ) : null,
				'prev_page_url' => $page > 1 ? TB_REPLAY_BASE . '/tags?page=' . ( $page - 1 ) : null,
				'from'          => $slice ? ( $page - 1 ) * $per_page + 1 : null,
				'to'            => $slice ? ( $page - 1 ) * $per_page + count( $slice ) : null,
				'data'          => $slice,
			),
		);
		if ( ! empty( $this->query['all_tags'] ) ) {
			// Ids as strings here, integers everywhere else (09).
			$json['all_tags'] = array_map(
				fn( $t ) => array(
					'id'    => (string) $t['id'],
					'title' => $t['title'],
					'slug'  => $t['slug'],
				),
				$tags
			);
		}
		return array( 200, $json + array( '__bench' => 0.02 ) );
	}

	private function count_with_tag( int $tag_id ): int {
		$n = 0;
		foreach ( $this->state->read()['subscribers'] as $s ) {
			$n += in_array( $tag_id, $s['tag_ids'], true ) ? 1 : 0;
		}
		return $n;
	}

	/**
	 * Resolves attach/detach items to tag ids as FluentCRM 2.9.65 does on POST /subscribers and
	 * PUT: ids as given (an unknown id still gets a pivot row: 62; 0 and "" are skipped: 64, 65),
	 * strings by slug or title, an unknown string of 3+ characters creates a tag (27, 58, 60, 61).
	 */
	private static function resolve_tags( array &$state, array $items, bool $create ): array {
		$ids = array();
		foreach ( $items as $item ) {
			if ( is_int( $item ) || ( is_string( $item ) && ctype_digit( $item ) ) ) {
				if ( (int) $item > 0 ) {
					$ids[] = (int) $item;
				}
				continue;
			}
			if ( ! is_string( $item ) || '' === $item ) {
				continue;
			}
			$found = null;
			foreach ( $state['tags'] as $tag ) {
				if ( $tag['slug'] === $item || $tag['title'] === $item ) {
					$found = $tag['id'];
				}
			}
			if ( null === $found && $create && strlen( $item ) >= 3 ) {
				$found = $state['next_id']['tag']++;
				$slug  = trim( preg_replace( '/[^a-z0-9]+/', '-', strtolower( $item ) ), '-' );
				$now   = gmdate( 'Y-m-d H:i:s' );
				$state['tags'][ (string) $found ] = array(
					'id'          => $found,
					'title'       => $item,
					'slug'        => $slug,
					'description' => '',
					'created_at'  => $now,
					'updated_at'  => $now,
				);
			}
			if ( null !== $found ) {
				$ids[] = $found;
			}
		}
		return array_values( array_unique( $ids ) );
	}

	// ---------------------------------------------------------------- subscribers

	/** Standard columns a body may set (the contact object of exchange 19). */
	const COLUMNS = array( 'prefix', 'first_name', 'last_name', 'email', 'timezone', 'address_line_1', 'address_line_2', 'postal_code', 'city', 'state', 'country', 'phone', 'status', 'date_of_birth', 'source', 'avatar', 'contact_type' );

	/** Statuses FluentCRM knows; anything else is stored as `subscribed` (25). */
	const STATUSES = array( 'subscribed', 'unsubscribed', 'pending', 'transactional', 'bounced', 'complained', 'spammed' );

	private function create_subscriber( array $body ): array {
		$errors = array();
		$email  = $body['email'] ?? '';
		if ( ! is_string( $email ) || '' === $email ) {
			$errors['email'] = self::recorded_error( '92-json-array-body', 'email' );
		} elseif ( ! filter_var( $email, FILTER_VALIDATE_EMAIL ) ) {
			$errors['email'] = self::recorded_error( '24-subscriber-create-invalid-email', 'email' );
		}
		$existing = isset( $errors['email'] ) ? null : $this->find_by_email( (string) $email );
		$force    = 'yes' === ( $body['__force_update'] ?? null );
		if ( null !== $existing && ! $force ) {
			// Refused before anything changes, tags and custom values included (20, 21, 99-100).
			$errors['email'] = self::recorded_error( '20-subscriber-create-existing-no-force', 'email' );
		}
		// Only recorded with a status given (22), so a forced update is held to the create rule (23).
		if ( empty( $body['status'] ) ) {
			$errors['status'] = self::recorded_error( '23-subscriber-create-missing-status', 'status' );
		}
		if ( $errors ) {
			return array( 422, $errors );
		}
		if ( isset( $body['__force_update'] ) && ! $force ) {
			return array( 501, array( 'message' => 'not modelled by the replay: __force_update other than "yes"' ) );
		}
		if ( null !== $existing ) {
			return $this->force_update_subscriber( (int) $existing['id'], $body );
		}
		return $this->state->transact(
			function ( array $state ) use ( $body ) {
				$id  = $state['next_id']['subscriber']++;
				$now = gmdate( 'Y-m-d H:i:s' );
				$sub = array(
					'id'            => $id,
					'columns'       => array_intersect_key( $body, array_flip( self::COLUMNS ) ),
					'custom_values' => array(),
					'hidden_values' => array(),
					'tag_ids'       => self::resolve_tags( $state, (array) ( $body['tags'] ?? array() ), true ),
					'created_at'    => $now,
				);
				if ( ! in_array( $sub['columns']['status'], self::STATUSES, true ) ) {
					$sub['columns']['status'] = 'subscribed';
				}
				// Custom field slugs at the top level count only without custom_values (26).
				$custom = isset( $body['custom_values'] ) ? (array) $body['custom_values'] : array_intersect_key( $body, array_flip( array_column( $state['fields'], 'slug' ) ) );
				self::merge_custom_values( $state, $sub, $custom );
				$state['subscribers'][ (string) $id ] = $sub;
				$answer = array(
					'message'     => 'Successfully added the subscriber.',
					'contact'     => self::contact( $state, $sub, true, false ),
					'action_type' => 'created',
					'__bench'     => 0.04,
				);
				return array( $state, array( 200, $answer ) );
			}
		);
	}

	/**
	 * POST /subscribers with `__force_update: "yes"` for an existing email (22): the same contact,
	 * columns given replace theirs, custom values merge, tags given are added (existing ones kept).
	 * The status is a column like the others and is required (23), so a contact who unsubscribed
	 * is re-subscribed by `status: subscribed` (103, 104). TagBridge never sends this; it stays
	 * modelled so that a test sending it sees what FluentCRM does.
	 */
	private function force_update_subscriber( int $id, array $body ): array {
		return $this->state->transact(
			function ( array $state ) use ( $id, $body ) {
				$sub = $state['subscribers'][ (string) $id ];
				// The stored spelling of the email is kept (29); the match was case-insensitive (21).
				$columns = array_intersect_key( $body, array_flip( array_diff( self::COLUMNS, array( 'email' ) ) ) );
				if ( isset( $columns['status'] ) && ! in_array( $columns['status'], self::STATUSES, true ) ) {
					$columns['status'] = 'subscribed';
				}
				$sub['columns'] = array_merge( $sub['columns'], $columns );
				self::merge_custom_values( $state, $sub, isset( $body['custom_values'] ) ? (array) $body['custom_values'] : array() );
				$sub['tag_ids'] = array_values( array_unique( array_merge( $sub['tag_ids'], self::resolve_tags( $state, (array) ( $body['tags'] ?? array() ), true ) ) ) );
				$state['subscribers'][ (string) $id ] = $sub;
				$answer = array(
					'message'     => 'contact has been successfully updated.',
					'contact'     => self::contact( $state, $sub, true, false ),
					'action_type' => 'updated',
					'__bench'     => 0.03,
				);
				return array( $state, array( 200, $answer ) );
			}
		);
	}

	/** GET /subscribers/{id}; id 0 with get_by_email is the exact lookup (29-38, 43-46). */
	private function get_subscriber( int $id ): array {
		$state = $this->state->read();
		if ( 0 === $id && isset( $this->query['get_by_email'] ) ) {
			$sub = $this->find_by_email( (string) $this->query['get_by_email'] );
		} else {
			$sub = $state['subscribers'][ (string) $id ] ?? null;
		}
		if ( null === $sub ) {
			return $this->recorded( '46-subscriber-get-not-found' );
		}
		$with_custom = in_array( 'subscriber.custom_values', (array) ( $this->query['with'] ?? array() ), true );
		$contact     = self::contact( $state, $sub, true, $with_custom ) + array( 'lists' => array() );
		return array(
			200,
			array(
				'subscriber' => $contact,
				'__bench'    => 0.02,
			),
		);
	}

	/**
	 * PUT /subscribers/{id}: `subscriber` wrapper or flat (52); merges; attach before detach (67).
	 * Columns, custom values, attach_tags and detach_tags in one request all apply, and a status
	 * not given is left as it is (101, 102: TagBridge's combined update).
	 */
	private function update_subscriber( int $id, array $body ): array {
		$data = isset( $body['subscriber'] ) && is_array( $body['subscriber'] ) ? $body['subscriber'] : $body;
		return $this->state->transact(
			function ( array $state ) use ( $id, $data ) {
				$sub = $state['subscribers'][ (string) $id ] ?? null;
				if ( null === $sub ) {
					return array( $state, $this->recorded( '54-subscriber-update-not-found' ) );
				}
				if ( isset( $data['email'] ) ) {
					$other = $this->find_by_email( (string) $data['email'] );
					if ( null !== $other && $other['id'] !== $id ) {
						return array( $state, $this->recorded( '53-subscriber-update-email-taken' ) );
					}
				}
				$columns        = array_intersect_key( $data, array_flip( self::COLUMNS ) );
				$dirty   = false; // isDirty reflects standard columns only (48).
				foreach ( $columns as $key => $value ) {
					$dirty = $dirty || (string) ( $sub['columns'][ $key ] ?? '' ) !== (string) $value;
				}
				$sub['columns'] = array_merge( $sub['columns'], $columns );
				$values         = isset( $data['custom_values'] ) ? (array) $data['custom_values'] : array();
				self::merge_custom_values( $state, $sub, $values );

				$touched_tags = false;
				foreach ( array( 'attach_tags' => true, 'detach_tags' => false ) as $key => $attach ) {
					if ( empty( $data[ $key ] ) || ! is_array( $data[ $key ] ) ) {
						continue;
					}
					$touched_tags = true;
					$ids          = self::resolve_tags( $state, $data[ $key ], $attach );
					$sub['tag_ids'] = $attach
						? array_values( array_unique( array_merge( $sub['tag_ids'], $ids ) ) )
						: array_values( array_diff( $sub['tag_ids'], $ids ) );
				}
				$state['subscribers'][ (string) $id ] = $sub;
				$answer = array(
					'message' => 'Subscriber successfully updated',
					// The answer carries tags only when tags were touched (47 vs 56, 63).
					'contact' => self::contact( $state, $sub, $touched_tags, false ),
					'isDirty' => $dirty,
					'values'  => $values ? $values : array(),
					'__bench' => 0.03,
				);
				return array( $state, array( 200, $answer ) );
			}
		);
	}

	private function delete_subscriber( int $id ): array {
		return $this->state->transact(
			function ( array $state ) use ( $id ) {
				if ( ! isset( $state['subscribers'][ (string) $id ] ) ) {
					return array( $state, $this->recorded( '97-subscriber-delete-not-found' ) );
				}
				unset( $state['subscribers'][ (string) $id ] );
				return array( $state, $this->recorded( '96-subscriber-delete' ) );
			}
		);
	}

	/** Custom values merge; "" deletes (50); unknown slugs are kept but never shown (49). */
	private static function merge_custom_values( array $state, array &$sub, array $values ): void {
		$known = array_column( $state['fields'], 'slug' );
		foreach ( $values as $slug => $value ) {
			$bucket = in_array( $slug, $known, true ) ? 'custom_values' : 'hidden_values';
			if ( '' === $value || null === $value ) {
				unset( $sub[ $bucket ][ $slug ] );
				continue;
			}
			// Stored as sent with no validation (51); numbers read back as strings (44).
			$sub[ $bucket ][ $slug ] = is_int( $value ) || is_float( $value ) ? (string) $value : $value;
		}
	}

	/** Exact, case-insensitive email match (29, 33), never a substring (34). */
	private function find_by_email( string $email ): ?array {
		if ( '' === $email ) {
			return null;
		}
		foreach ( $this->state->read()['subscribers'] as $sub ) {
			if ( 0 === strcasecmp( $sub['columns']['email'], $email ) ) {
				return $sub;
			}
		}
		return null;
	}

	/** The contact object, shaped like the recorded one (19, 31, 44). */
	private static function contact( array $state, array $sub, bool $with_tags, bool $with_custom ): array {
		$template = ReplayState::exchange( '19-subscriber-create-new' )['response']['json']['contact'];
		unset( $template['tags'] );
		$contact = array();
		foreach ( $template as $key => $default ) {
			// Columns not given are null, except contact_type, which defaults to "lead" (19).
			$given           = array_key_exists( $key, $sub['columns'] );
			$contact[ $key ] = $given ? $sub['columns'][ $key ] : ( in_array( $key, self::COLUMNS, true ) && 'contact_type' !== $key ? null : $default );
			if ( 'updated_at' === $key && $with_custom ) {
				$contact['custom_values'] = $sub['custom_values'] ? $sub['custom_values'] : new stdClass();
			}
		}
		$contact['id']         = $sub['id'];
		$contact['hash']       = md5( $sub['columns']['email'] );
		$contact['created_at'] = $sub['created_at'];
		$contact['updated_at'] = $sub['created_at'];
		$contact['full_name']  = trim( ( $sub['columns']['first_name'] ?? '' ) . ' ' . ( $sub['columns']['last_name'] ?? '' ) );
		if ( $with_tags ) {
			$contact['tags'] = array();
			foreach ( $sub['tag_ids'] as $tag_id ) {
				$tag = $state['tags'][ (string) $tag_id ] ?? null;
				if ( null === $tag ) {
					continue; // A dangling pivot row is not shown (62).
				}
				$contact['tags'][] = $tag + array(
					'pivot' => array(
						'subscriber_id' => (string) $sub['id'],
						'object_id'     => (string) $tag_id,
						'object_type'   => 'FluentCrm\\App\\Models\\Tag',
						'created_at'    => $sub['created_at'],
						'updated_at'    => $sub['created_at'],
					),
				);
			}
			// FluentCRM orders a contact's tags by slug (27, 56, 58).
			usort( $contact['tags'], fn( $a, $b ) => strcmp( $a['slug'], $b['slug'] ) );
		}
		return $contact;
	}

	/** One field's rule => message from a recorded validation answer. */
	private static function recorded_error( string $exchange, string $field ): array {
		return ReplayState::exchange( $exchange )['response']['json'][ $field ];
	}
}

( new TagBridgeFluentCrmReplay( ReplayState::from_env() ) )->run();
return true;
