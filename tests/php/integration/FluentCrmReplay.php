<?php
/**
 * Test helper for the FluentCRM replay server (tests/fluentcrm/): starts it on first use (and
 * stops it when this PHPUnit process ends, if it started it), resets its state, and reads what it
 * received.
 *
 * FluentCRM cannot be installed in CI; the replay server answers with the real exchanges
 * recorded against FluentCRM 2.9.65 (tests/fixtures/fluentcrm).
 */

namespace TagBridge\Tests;

require_once dirname( __DIR__, 2 ) . '/fluentcrm/ReplayState.php';

use TagBridge\Tests\FluentCrm\ReplayState;

final class FluentCrmReplay {

	/** @var bool */
	private static $started = false;

	/** The replay site's address (FluentCRM's API is below it). */
	public static function url(): string {
		return 'http://127.0.0.1:' . ( getenv( 'TB_FLUENT_PORT' ) ? getenv( 'TB_FLUENT_PORT' ) : '8133' );
	}

	/**
	 * Makes sure the server runs and starts from the recorded site's state; the adapter's cached
	 * lists of it go too, so each test sees its own tag and field fetches.
	 */
	public static function reset(): ReplayState {
		self::start();
		$state = ReplayState::from_env();
		$state->reset();
		\TagBridge\Crm\FluentCrm::forget_lists( self::url() );
		return $state;
	}

	/** Connection input for the replay's admin (with FluentCRM rights) or viewer (without). */
	public static function credentials( string $user = 'admin' ): array {
		return array(
			'type'     => 'fluentcrm',
			'url'      => self::url(),
			'username' => $user,
			'password' => ReplayState::USERS[ $user ]['app_password'],
		);
	}

	private static function start(): void {
		if ( self::$started ) {
			return;
		}
		$script = escapeshellarg( dirname( __DIR__, 2 ) . '/fluentcrm/replay.sh' );
		exec( $script . ' start 2>&1', $out, $code ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
		if ( 0 !== $code ) {
			throw new \RuntimeException( "FluentCRM replay server did not start:\n" . implode( "\n", $out ) );
		}
		self::$started = true;
		register_shutdown_function(
			static function () use ( $script ) {
				exec( $script . ' stop' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
			}
		);
	}
}
