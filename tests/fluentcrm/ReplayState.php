<?php
/**
 * State of the FluentCRM replay server (tests/fluentcrm/router.php), shared by the server and the
 * tests: the contacts and tags it holds, the requests it received, and a one-shot fault.
 *
 * Everything lives in files under one directory (TB_FLUENT_STATE) so the server process and the
 * PHPUnit process see the same thing; every read-modify-write holds an exclusive lock.
 *
 * The starting state is built from the recorded exchanges (tests/fixtures/fluentcrm/exchanges):
 * the tags of exchange 08 and the custom fields of exchange 17, as on the recorded site.
 */

namespace TagBridge\Tests\FluentCrm;

final class ReplayState {

	/** Where the recorded exchanges are. */
	const EXCHANGES = __DIR__ . '/../fixtures/fluentcrm/exchanges';

	/**
	 * The replay's WordPress users. The recordings only show placeholders for the passwords, so the
	 * replay fixes its own: `admin` has FluentCRM rights (exchange 08 and on), `viewer` is a
	 * subscriber without them (exchange 05).
	 */
	const USERS = array(
		'admin'  => array(
			'app_password' => 'Repl ayAd minP assw ord0 1234',
			'login_password' => 'admin-login-password',
			'fluentcrm' => true,
		),
		'viewer' => array(
			'app_password' => 'Repl ayVi ewer Pass word 5678',
			'login_password' => 'viewer-login-password',
			'fluentcrm' => false,
		),
	);

	/**
	 * State directory.
	 *
	 * @var string
	 */
	private $dir;

	/**
	 * Lock handle while locked.
	 *
	 * @var resource|null
	 */
	private $lock = null;

	public function __construct( string $dir ) {
		$this->dir = rtrim( $dir, '/' );
		if ( ! is_dir( $this->dir ) ) {
			mkdir( $this->dir, 0700, true );
		}
	}

	/** The state directory named by TB_FLUENT_STATE (run.sh and replay.sh set it). */
	public static function from_env(): self {
		$dir = getenv( 'TB_FLUENT_STATE' );
		if ( ! $dir ) {
			$root = getenv( 'TB_ROOT' ) ? getenv( 'TB_ROOT' ) : '/tmp/tagbridge-testbed';
			$dir  = $root . '/fluentcrm';
		}
		return new self( $dir );
	}

	/**
	 * One recorded exchange by its file name without `.json`.
	 */
	public static function exchange( string $name ): array {
		$data = json_decode( (string) file_get_contents( self::EXCHANGES . '/' . $name . '.json' ), true );
		if ( ! is_array( $data ) ) {
			throw new \RuntimeException( "no recorded exchange $name" );
		}
		return $data;
	}

	/**
	 * Runs $change on the state under the lock and saves what it returns as the new state.
	 *
	 * @param callable $change function( array $state ): array{0: array, 1: mixed} — new state, result.
	 * @return mixed The result.
	 */
	public function transact( callable $change ) {
		$this->lock();
		try {
			list( $state, $result ) = $change( $this->read() );
			$this->write( 'state.json', json_encode( $state, JSON_PRETTY_PRINT ) );
			return $result;
		} finally {
			$this->unlock();
		}
	}

	/** The current state (reset first when there is none). */
	public function read(): array {
		$file = $this->dir . '/state.json';
		$data = is_file( $file ) ? json_decode( (string) file_get_contents( $file ), true ) : null;
		return is_array( $data ) ? $data : self::seed();
	}

	/** Back to the recorded site's starting point; forgets requests and faults. */
	public function reset(): void {
		$this->lock();
		try {
			$this->write( 'state.json', json_encode( self::seed(), JSON_PRETTY_PRINT ) );
			$this->write( 'requests.jsonl', '' );
			@unlink( $this->dir . '/fault.json' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- absent is fine.
		} finally {
			$this->unlock();
		}
	}

	/** Appends one received request to the log. */
	public function log_request( array $entry ): void {
		file_put_contents( $this->dir . '/requests.jsonl', json_encode( $entry, JSON_UNESCAPED_SLASHES ) . "\n", FILE_APPEND | LOCK_EX );
	}

	/**
	 * The requests received since the last reset, oldest first.
	 *
	 * @return list<array{method: string, path: string, query: string, authorization: string|null, content_type: string|null, body: string, status: int}>
	 */
	public function requests(): array {
		$file = $this->dir . '/requests.jsonl';
		if ( ! is_file( $file ) ) {
			return array();
		}
		$out = array();
		foreach ( file( $file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) as $line ) {
			$out[] = json_decode( $line, true );
		}
		return $out;
	}

	/**
	 * Makes the next request fail with this answer instead (for failures FluentCRM itself does not
	 * produce on demand: a 429 from a proxy in front of it, a 5xx).
	 */
	public function fail_next( int $status, array $headers, $json ): void {
		$this->write( 'fault.json', json_encode( compact( 'status', 'headers', 'json' ) ) );
	}

	/** Takes the pending fault, if any. */
	public function take_fault(): ?array {
		$this->lock();
		try {
			$file = $this->dir . '/fault.json';
			if ( ! is_file( $file ) ) {
				return null;
			}
			$fault = json_decode( (string) file_get_contents( $file ), true );
			unlink( $file );
			return $fault;
		} finally {
			$this->unlock();
		}
	}

	/**
	 * The recorded site's starting state: tags of exchange 08, custom fields of exchange 17, no
	 * contacts.
	 */
	public static function seed(): array {
		$tags = array();
		foreach ( self::exchange( '08-tags-list' )['response']['json']['tags']['data'] as $tag ) {
			unset( $tag['subscribersCount'] );
			$tags[ (string) $tag['id'] ] = $tag;
		}
		ksort( $tags, SORT_NUMERIC );
		return array(
			'tags'        => $tags,
			'fields'      => self::exchange( '17-custom-fields-list' )['response']['json']['fields'],
			'subscribers' => new \stdClass(),
			'next_id'     => array(
				'subscriber' => 1,
				'tag'        => 1 + max( array_map( 'intval', array_keys( $tags ) ) ),
			),
		);
	}

	private function write( string $name, string $content ): void {
		file_put_contents( $this->dir . '/' . $name, $content );
	}

	private function lock(): void {
		$this->lock = fopen( $this->dir . '/lock', 'c' );
		flock( $this->lock, LOCK_EX );
	}

	private function unlock(): void {
		flock( $this->lock, LOCK_UN );
		fclose( $this->lock );
		$this->lock = null;
	}
}
