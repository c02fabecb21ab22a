<?php
/**
 * What TagBridge adds to an ordinary logged-in page view (issue 10, item 2), in the terms that
 * can be asserted exactly: which of its classes the request loads, the queries it makes, and PHP
 * errors from its files. Time is measured by bench/run.sh overhead, not here.
 */

use TagBridge\Tests\TestCase;

final class PageViewTest extends TestCase {

	/**
	 * A user's front-end view of the home page, in a PHP process of its own (the theme renders,
	 * the page is discarded): the user and the classes the request ended with, the queries whose
	 * caller stack names TagBridge, and PHP errors raised in the plugin's files, read after every
	 * shutdown callback ran.
	 */
	private function view_as( int $user_id ): array {
		$cookies = $this->login_cookies( $user_id );
		$report  = tempnam( sys_get_temp_dir(), 'tbview' );
		$url     = wp_parse_url( (string) getenv( 'TB_SITE_URL' ) );
		$code    = sprintf(
			'
			$_SERVER["HTTP_HOST"]       = %1$s;
			$_SERVER["SERVER_NAME"]     = %2$s;
			$_SERVER["REQUEST_METHOD"]  = "GET";
			$_SERVER["REQUEST_URI"]     = "/";
			$_SERVER["SCRIPT_NAME"]     = "/index.php";
			$_SERVER["PHP_SELF"]        = "/index.php";
			$_SERVER["SERVER_PROTOCOL"] = "HTTP/1.1";
			$_COOKIE[ %3$s ]            = %4$s;
			define( "SAVEQUERIES", true );
			define( "WP_USE_THEMES", true );
			$errors = array();
			set_error_handler(
				static function ( $level, $message, $file, $line ) use ( &$errors ) {
					if ( defined( "TAGBRIDGE_DIR" ) && 0 === strpos( $file, TAGBRIDGE_DIR ) ) {
						$errors[] = "$message ($file:$line)";
					}
					return false;
				}
			);
			// Registered from a shutdown function, so it runs after WordPress\'s shutdown hook.
			register_shutdown_function(
				static function () use ( &$errors ) {
					register_shutdown_function(
						static function () use ( &$errors ) {
							global $wpdb;
							$ours = array();
							foreach ( (array) $wpdb->queries as $query ) {
								if ( false !== stripos( $query[2], "tagbridge" ) ) {
									$ours[] = $query[0] . " <- " . $query[2];
								}
							}
							$report = array(
								"user"    => get_current_user_id(),
								"footer"  => did_action( "wp_footer" ),
								"classes" => get_declared_classes(),
								"queries" => $ours,
								"errors"  => $errors,
								"hooks"   => array_values( array_filter( array( "members_role_updated", "members_load_role_edit", "wpum_after_registration", "wpum_after_user_update", "um_after_user_updated" ), "has_action" ) ),
							);
							file_put_contents( %5$s, json_encode( $report ) );
						}
					);
				}
			);
			ob_start( static fn() => "" );
			require %6$s;
			',
			var_export( $url['host'] . ( isset( $url['port'] ) ? ':' . $url['port'] : '' ), true ),
			var_export( $url['host'], true ),
			var_export( LOGGED_IN_COOKIE, true ),
			var_export( $cookies[ LOGGED_IN_COOKIE ], true ),
			var_export( $report, true ),
			var_export( getenv( 'TB_SITE_DIR' ) . '/wp-blog-header.php', true )
		);
		list( $exit, $out ) = $this->run_php( $code );
		$json = (string) file_get_contents( $report );
		unlink( $report );
		$this->assertSame( 0, $exit, $out );
		$view = json_decode( $json, true );
		$this->assertIsArray( $view, $out );
		// The plugin's classes (the extension's own, TagBridge\Ext\, are always declared).
		$view['classes'] = array_values( preg_grep( '/^TagBridge\\\\(?!Ext\\\\)/', $view['classes'] ) );
		return $view;
	}

	public function test_a_logged_in_page_view_builds_no_service_and_makes_no_query(): void {
		$id   = $this->create_user( 'subscriber' );
		$view = $this->view_as( $id );

		$this->assertSame( $id, $view['user'], 'the view is logged in' );
		$this->assertSame( 1, $view['footer'], 'the theme rendered the page' );
		// The bootstrap only: no service (roles, outbox, webhooks, linked sites, reconcile, admin
		// screens, CRM connection, installer) is built when none of its hooks fires.
		$this->assertSame( array( 'TagBridge\Requirements', 'TagBridge\Plugin' ), $view['classes'] );
		$this->assertSame( array(), $view['queries'], 'TagBridge reads autoloaded options only' );
		$this->assertSame( array(), $view['errors'] );
		// Members, WP User Manager and Ultimate Member are not active on the served site: none of
		// their hooks is registered (this PHPUnit process stands in for them, and has them).
		$this->assertSame( array(), $view['hooks'] );
		$this->assertNotFalse( has_action( 'members_role_updated' ) );
		$this->assertNotFalse( has_action( 'wpum_after_user_update' ) );
	}
}
