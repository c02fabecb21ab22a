<?php
/**
 * Records FluentCRM exchanges against a REAL FluentCRM site, in the format of
 * tests/fixtures/fluentcrm/exchanges (the replay server answers with them): what TagBridge's
 * create-first delivery and combined update rely on, and why the force-update upsert was dropped.
 *
 *   php tests/fluentcrm/record-exchanges.php --url=http://127.0.0.1:8150 --user=admin \
 *       --password-file=FILE [--out=tests/fixtures/fluentcrm/exchanges] [--first=98]
 *
 * Plain PHP with curl, no WordPress needed on this side. The site needs FluentCRM's tags `member`,
 * `vip` and `newsletter` and the custom contact fields `plan` (text) and `seats` (number). The
 * script creates its own contact (an address under example.test that no one else uses), records
 * one request after another on it, and deletes it at the end; the set-up reads, the GETs that fill
 * each exchange's `effect` and the delete are not recorded. Exchange numbers start at --first.
 *
 * Recorded, in order, on one contact created subscribed with the tags member and newsletter and
 * two custom values:
 *
 * 1. PUT status `unsubscribed` (the contact unsubscribes);
 * 2. POST /subscribers without `__force_update`, with status `subscribed`, other fields, tags and
 *    custom values (a registration's create for an email FluentCRM has) — and the GET after it;
 * 3. PUT with a standard column, custom values, attach_tags and detach_tags in ONE request — and
 *    the GET after it;
 * 4. POST /subscribers with `__force_update: "yes"` and status `subscribed` (the upsert) — and the
 *    GET after it.
 */

$tb_opts = getopt( '', array( 'url:', 'user:', 'password-file:', 'out:', 'first:' ) );
if ( empty( $tb_opts['url'] ) || empty( $tb_opts['user'] ) || empty( $tb_opts['password-file'] ) ) {
	fwrite( STDERR, "usage: record-exchanges.php --url=URL --user=USER --password-file=FILE [--out=DIR] [--first=98]\n" );
	exit( 2 );
}
if ( ! function_exists( 'curl_init' ) ) {
	fwrite( STDERR, "record-exchanges.php needs PHP's curl extension (php8.2-curl)\n" );
	exit( 2 );
}

/**
 * Talks to one FluentCRM site and writes what it records.
 */
final class TagBridgeExchangeRecorder {

	/** FluentCRM's REST base below the site's address. */
	const BASE = '/wp-json/fluent-crm/v2';

	/** @var string Site address without a trailing slash. */
	private $site;

	/** @var string Application password user. */
	private $user;

	/** @var string Application password. */
	private $password;

	/** @var string Where the exchange files go. */
	private $out;

	/** @var int Number of the next exchange. */
	private $next;

	/** @var array<string, string> The recorded_with block. */
	private $recorded_with = array();

	/** @var string[] Files written. */
	public $written = array();

	public function __construct( string $site, string $user, string $password, string $out, int $first ) {
		$this->site     = rtrim( $site, '/' );
		$this->user     = $user;
		$this->password = $password;
		$this->out      = rtrim( $out, '/' );
		$this->next     = $first;
	}

	/**
	 * One HTTP request.
	 *
	 * @param string     $method HTTP method.
	 * @param string     $url    Full address.
	 * @param array|null $json   JSON body.
	 * @param bool       $auth   Send the application password.
	 * @return array{status: int, headers: array<string, string>, body: string}
	 */
	private function http( string $method, string $url, ?array $json, bool $auth = true ): array {
		$headers = array( 'Accept: application/json' );
		if ( null !== $json ) {
			$headers[] = 'Content-Type: application/json';
		}
		$curl = curl_init( $url );
		curl_setopt_array(
			$curl,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HEADER         => true,
				CURLOPT_TIMEOUT        => 30,
				CURLOPT_HTTPHEADER     => $headers,
			)
		);
		if ( $auth ) {
			curl_setopt( $curl, CURLOPT_USERPWD, $this->user . ':' . $this->password );
		}
		if ( null !== $json ) {
			curl_setopt( $curl, CURLOPT_POSTFIELDS, json_encode( $json, JSON_UNESCAPED_SLASHES ) );
		}
		$raw = curl_exec( $curl );
		if ( false === $raw ) {
			throw new RuntimeException( "$method $url: " . curl_error( $curl ) );
		}
		$size   = curl_getinfo( $curl, CURLINFO_HEADER_SIZE );
		$status = (int) curl_getinfo( $curl, CURLINFO_RESPONSE_CODE );
		curl_close( $curl );
		$parsed = array();
		foreach ( explode( "\r\n", substr( $raw, 0, $size ) ) as $line ) {
			if ( false !== strpos( $line, ':' ) ) {
				list( $name, $value )          = explode( ':', $line, 2 );
				$parsed[ strtolower( $name ) ] = trim( $value );
			}
		}
		return array(
			'status'  => $status,
			'headers' => $parsed,
			'body'    => (string) substr( $raw, $size ),
		);
	}

	/**
	 * An unrecorded API call (set-up, reads for `effect`, clean-up); fails loudly on an error.
	 *
	 * @return array Decoded answer.
	 */
	public function api( string $method, string $path, ?array $json = null, int $expect = 200 ): array {
		$answer = $this->http( $method, $this->site . self::BASE . $path, $json );
		if ( $expect !== $answer['status'] ) {
			throw new RuntimeException( "$method $path: HTTP {$answer['status']} {$answer['body']}" );
		}
		return (array) json_decode( $answer['body'], true );
	}

	/** FluentCRM, WordPress and the site's PHP version, for every exchange's `recorded_with`. */
	public function read_versions(): void {
		$plugins = $this->http( 'GET', $this->site . '/wp-json/wp/v2/plugins?search=fluent-crm', null );
		$version = 'unknown';
		foreach ( (array) json_decode( $plugins['body'], true ) as $plugin ) {
			if ( 'fluent-crm/fluent-crm' === ( $plugin['plugin'] ?? '' ) ) {
				$version = (string) $plugin['version'];
			}
		}
		$feed = $this->http( 'GET', $this->site . '/?feed=rss2', null, false );
		$wp   = preg_match( '#<generator>https://wordpress\.org/\?v=([^<]+)</generator>#', $feed['body'], $m ) ? $m[1] : 'unknown';
		$php  = preg_match( '#^PHP/(\S+)#', $plugins['headers']['x-powered-by'] ?? '', $p ) ? $p[1] : 'unknown';

		$this->recorded_with = array(
			'fluentcrm_version' => $version,
			'wordpress_version' => $wp,
			'php_version'       => $php,
			'rest_base'         => self::BASE,
		);
	}

	/** What an exchange's `effect` shows of a contact: status, first name, tags, custom values. */
	public function snapshot( int $id ): array {
		$sub = $this->api( 'GET', '/subscribers/' . $id . '?with%5B%5D=subscriber.custom_values' )['subscriber'];
		return array(
			'status'        => $sub['status'],
			'first_name'    => $sub['first_name'],
			'tags'          => self::slugs( $sub ),
			'custom_values' => (object) $sub['custom_values'],
		);
	}

	/** Tag slugs of a contact object, sorted. */
	public static function slugs( array $contact ): array {
		$slugs = array_map( static fn( $t ) => $t['slug'], (array) ( $contact['tags'] ?? array() ) );
		sort( $slugs );
		return $slugs;
	}

	/**
	 * Makes one request and writes it as the next exchange.
	 *
	 * @param string     $name     File name after the number.
	 * @param string     $purpose  What the exchange shows.
	 * @param string     $method   HTTP method.
	 * @param string     $path     Path below the REST base, with its query.
	 * @param array|null $json     JSON body.
	 * @param callable   $observed fn( array $status_and_json ): string, the `observed` sentence.
	 * @param int|null   $contact  Contact whose before/after goes into `effect`.
	 * @return array{status: int, json: mixed} The answer, decoded as arrays.
	 */
	public function record( string $name, string $purpose, string $method, string $path, ?array $json, callable $observed, ?int $contact = null ): array {
		$before = null === $contact ? null : $this->snapshot( $contact );
		$answer = $this->http( $method, $this->site . self::BASE . $path, $json );
		$after  = null === $contact ? null : $this->snapshot( $contact );

		$query_string = (string) parse_url( $path, PHP_URL_QUERY );
		parse_str( $query_string, $query );
		$request_headers = array( 'Accept' => 'application/json' );
		if ( null !== $json ) {
			$request_headers['Content-Type'] = 'application/json';
		}
		$request_headers['Authorization'] = 'Basic base64(' . $this->user . ':<application password>)';
		$response_headers                 = array( 'Content-Type' => $answer['headers']['content-type'] ?? '' );
		if ( isset( $answer['headers']['allow'] ) ) {
			$response_headers['Allow'] = $answer['headers']['allow'];
		}
		$decoded  = json_decode( $answer['body'], true );
		$exchange = array(
			'name'     => $name,
			'purpose'  => $purpose,
			'request'  => array(
				'method'  => $method,
				'path'    => (string) parse_url( $path, PHP_URL_PATH ),
				'query'   => '' === $query_string ? null : self::query_shape( $query ),
				'url'     => '{site}' . self::BASE . $path,
				'headers' => $request_headers,
				'json'    => $json,
			),
			'response' => array(
				'status'  => $answer['status'],
				'headers' => $response_headers,
				// Decoded as objects, so `{}` stays `{}`.
				'json'    => json_decode( $answer['body'] ),
			),
		);
		if ( null !== $contact ) {
			$exchange['effect'] = array(
				'before' => $before,
				'after'  => $after,
			);
		}
		$exchange['observed']      = $observed(
			array(
				'status' => $answer['status'],
				'json'   => $decoded,
				'before' => $before,
				'after'  => $after,
			)
		);
		$exchange['recorded_with'] = $this->recorded_with;

		$file = sprintf( '%s/%02d-%s.json', $this->out, $this->next++, $name );
		$text = json_encode( $exchange, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION );
		// Two-space indentation, as the earlier recordings.
		$text = preg_replace_callback( '/^( +)/m', static fn( $m ) => str_repeat( ' ', intdiv( strlen( $m[1] ), 2 ) ), $text );
		file_put_contents( $file, $text . "\n" );
		$this->written[] = basename( $file );
		printf( "  %s: HTTP %d\n", basename( $file ), $answer['status'] );
		return array(
			'status' => $answer['status'],
			'json'   => $decoded,
		);
	}

	/** The query as the earlier recordings show it: `with[]` kept as a key with a list. */
	private static function query_shape( array $query ): array {
		$shaped = array();
		foreach ( $query as $key => $value ) {
			$shaped[ is_array( $value ) ? $key . '[]' : $key ] = $value;
		}
		return $shaped;
	}
}

/** A short JSON rendering for `observed` sentences. */
function tb_rec_json( $value ): string {
	return json_encode( $value, JSON_UNESCAPED_SLASHES );
}

$tb_rec = new TagBridgeExchangeRecorder(
	$tb_opts['url'],
	$tb_opts['user'],
	trim( (string) file_get_contents( $tb_opts['password-file'] ) ),
	$tb_opts['out'] ?? dirname( __DIR__ ) . '/fixtures/fluentcrm/exchanges',
	(int) ( $tb_opts['first'] ?? 98 )
);
$tb_contact = 0;
try {
	$tb_rec->read_versions();
	$tb_tags = array();
	foreach ( $tb_rec->api( 'GET', '/tags?all_tags=1&exclude_counts=1&per_page=1' )['all_tags'] as $tb_tag ) {
		$tb_tags[ $tb_tag['slug'] ] = (int) $tb_tag['id'];
	}
	foreach ( array( 'member', 'vip', 'newsletter' ) as $tb_slug ) {
		if ( ! isset( $tb_tags[ $tb_slug ] ) ) {
			throw new RuntimeException( "the site has no tag with the slug $tb_slug" );
		}
	}
	$tb_email   = 'consent.' . gmdate( 'YmdHis' ) . '@example.test';
	$tb_created = $tb_rec->api(
		'POST',
		'/subscribers',
		array(
			'email'         => $tb_email,
			'status'        => 'subscribed',
			'first_name'    => 'Casey',
			'tags'          => array( $tb_tags['member'], $tb_tags['newsletter'] ),
			'custom_values' => array(
				'plan'  => 'Pro',
				'seats' => 3,
			),
		)
	);
	$tb_contact = (int) $tb_created['contact']['id'];
	echo "Recording on contact {$tb_contact} ({$tb_email}) of {$tb_opts['url']}\n";
	$tb_path = '/subscribers/' . $tb_contact;

	$tb_rec->record(
		'subscriber-update-status-unsubscribed',
		'The contact unsubscribes: PUT status unsubscribed (set-up for the next exchanges, on a contact with tags and custom values).',
		'PUT',
		$tb_path,
		array( 'subscriber' => array( 'status' => 'unsubscribed' ) ),
		static fn( $r ) => sprintf( 'HTTP %d; status %s -> %s; tags %s and custom values kept', $r['status'], $r['before']['status'], $r['after']['status'], tb_rec_json( $r['after']['tags'] ) ),
		$tb_contact
	);

	$tb_rec->record(
		'subscriber-create-existing-unsubscribed-with-tags-no-force',
		'What a registration\'s create sends for an email FluentCRM already has, whose contact unsubscribed: POST /subscribers without __force_update, status subscribed, other fields, tags (ids) and custom_values.',
		'POST',
		'/subscribers',
		array(
			'email'         => $tb_email,
			'status'        => 'subscribed',
			'first_name'    => 'Registered',
			'tags'          => array( $tb_tags['vip'] ),
			'custom_values' => array(
				'plan'  => 'Team',
				'seats' => 5,
			),
		),
		static fn( $r ) => sprintf( 'HTTP %d; %s; %s', $r['status'], tb_rec_json( $r['json'] ), $r['before'] == $r['after'] ? 'nothing changed: status, first name, tags and custom values as before' : 'CHANGED: ' . tb_rec_json( $r['after'] ) ), // phpcs:ignore Universal.Operators.StrictComparisons -- objects compared by value.
		$tb_contact
	);

	$tb_get = static function ( string $name, string $purpose ) use ( $tb_rec, $tb_path ) {
		$tb_rec->record(
			$name,
			$purpose,
			'GET',
			$tb_path . '?with%5B%5D=subscriber.custom_values',
			null,
			static fn( $r ) => sprintf(
				'HTTP %d; status %s, first_name %s, tags %s, custom_values %s',
				$r['status'],
				tb_rec_json( $r['json']['subscriber']['status'] ),
				tb_rec_json( $r['json']['subscriber']['first_name'] ),
				tb_rec_json( TagBridgeExchangeRecorder::slugs( $r['json']['subscriber'] ) ),
				tb_rec_json( $r['json']['subscriber']['custom_values'] )
			)
		);
	};
	$tb_get( 'subscriber-get-after-refused-create', 'The contact after the refused create: read back by id with custom values.' );

	$tb_rec->record(
		'put-fields-custom-values-attach-detach',
		'Fields and tags in ONE PUT: a standard column, custom_values, attach_tags and detach_tags (ids), no status.',
		'PUT',
		$tb_path,
		array(
			'subscriber' => array(
				'first_name'    => 'Registered',
				'custom_values' => array(
					'plan'  => 'Team',
					'seats' => 5,
				),
				'attach_tags'   => array( $tb_tags['vip'] ),
				'detach_tags'   => array( $tb_tags['newsletter'] ),
			),
		),
		static fn( $r ) => sprintf( 'HTTP %d; isDirty %s; answer tags %s; before %s; after %s', $r['status'], tb_rec_json( $r['json']['isDirty'] ?? null ), tb_rec_json( TagBridgeExchangeRecorder::slugs( (array) ( $r['json']['contact'] ?? array() ) ) ), tb_rec_json( $r['before'] ), tb_rec_json( $r['after'] ) ),
		$tb_contact
	);
	$tb_get( 'subscriber-get-after-combined-put', 'The contact after the combined PUT: read back by id with custom values.' );

	$tb_rec->record(
		'subscriber-create-existing-unsubscribed-force-update',
		'The upsert TagBridge used to offer: POST /subscribers with __force_update yes and status subscribed (required, exchange 23) for the contact who unsubscribed. Is the status overwritten?',
		'POST',
		'/subscribers',
		array(
			'email'          => $tb_email,
			'status'         => 'subscribed',
			'first_name'     => 'Forced',
			'__force_update' => 'yes',
			'tags'           => array( $tb_tags['newsletter'] ),
			'custom_values'  => array( 'plan' => 'Pro' ),
		),
		static fn( $r ) => sprintf( 'HTTP %d; action_type %s, %s; status %s -> %s, tags %s -> %s', $r['status'], tb_rec_json( $r['json']['action_type'] ?? null ), ( $r['json']['contact']['id'] ?? null ) === $tb_contact ? 'the same contact' : 'ANOTHER contact', $r['before']['status'], $r['after']['status'], tb_rec_json( $r['before']['tags'] ), tb_rec_json( $r['after']['tags'] ) ),
		$tb_contact
	);
	$tb_get( 'subscriber-get-after-force-update', 'The contact after the forced update: read back by id with custom values.' );
} finally {
	if ( $tb_contact ) {
		$tb_rec->api( 'DELETE', '/subscribers/' . $tb_contact );
		echo "Deleted contact {$tb_contact}\n";
	}
}
echo 'Wrote ' . implode( ', ', $tb_rec->written ) . "\n";
