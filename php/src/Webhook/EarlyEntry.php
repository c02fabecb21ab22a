<?php
/**
 * Answers webhooks at plugins_loaded, before WordPress's init (post types, blocks, REST routes)
 * and before TagBridge's composition root (Plugin) is built: a full REST request costs about ten
 * times as much as getting here, and a burst of webhooks needs only acceptance — authenticate,
 * validate, store, answer — with processing left to the runner. The answer is Endpoint::handle()'s,
 * the same as the REST route gives.
 *
 * Only the front controller (index.php, which sets WP_USE_THEMES) is looked at: wp-admin,
 * admin-ajax, wp-login, wp-cron, xmlrpc and the command line never are. There, a request is a
 * webhook in the three forms WordPress itself would route to the endpoint:
 *
 * - the query form, `?tagbridge_action=…` on any front-end URL;
 * - `?rest_route=/tagbridge/v1/webhook` (WordPress routes by it whatever the path);
 * - with pretty permalinks, `{home path}/{REST prefix}/tagbridge/v1/webhook`, trailing slash or
 *   not, also behind `index.php/`.
 *
 * Anything else — another spelling, another method, the REST server's own parameters — goes on
 * to WordPress, where the REST route answers it the slow way.
 *
 * Hooked (earliest priority) from the bootstrap, php/tagbridge.php.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Background\Loopback;
use TagBridge\Engine\Engine;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Runner;
use TagBridge\Plugin;
use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * The webhook front door of the front controller.
 */
final class EarlyEntry {

	/**
	 * Query parameters by which WordPress's REST server changes its answer (envelope, JSONP,
	 * method override, field selection, embedding): such requests are left to it.
	 */
	const REST_META = array( '_envelope', '_jsonp', '_method', '_fields', '_embed' );

	/**
	 * At plugins_loaded: answers the request and ends it when it is a webhook; otherwise returns
	 * and WordPress goes on as usual.
	 */
	public static function answer() {
		if ( 'cli' === PHP_SAPI || ! defined( 'WP_USE_THEMES' ) || ! WP_USE_THEMES || ! self::is_webhook() ) {
			return;
		}
		Plugin::maybe_upgrade();
		self::prime_options();
		// The refusal messages are translated; Plugin loads the text domain on init, which never comes here.
		Plugin::load_textdomain();
		$kicker = new Kicker( array( self::class, 'loopback_key' ) );
		$kicker->register();
		$engine   = new Engine();
		$endpoint = new Endpoint( $engine, new Authenticator(), new Queue(), $kicker, new UserImporter( new SettingsStore( $engine ) ), new Logger() );

		list( $status, $data ) = $endpoint->handle_globals();
		self::send( $status, $data );
		// PHP's shutdown runs WordPress's `shutdown` action: the kicker starts a runner there.
		exit;
	}

	/**
	 * Reads in one query the options a webhook needs that are not autoloaded — the secret, the
	 * runner's heartbeat (read again at shutdown; a few milliseconds old is fresh enough) and
	 * core's WPLANG, which loading the text domain reads and which is stored only on sites with
	 * a language set — into WordPress's option cache, where get_option() finds them (or finds
	 * them absent). A persistent object cache has them already.
	 */
	private static function prime_options() {
		global $wpdb;
		if ( wp_using_ext_object_cache() ) {
			return;
		}
		$names = array( Secret::OPTION, Kicker::HEARTBEAT_OPTION, 'WPLANG' );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- primes WordPress's own option cache.
		$rows       = $wpdb->get_results( $wpdb->prepare( "SELECT option_name, option_value FROM {$wpdb->options} WHERE option_name IN (%s, %s, %s)", $names ), ARRAY_A );
		$notoptions = wp_cache_get( 'notoptions', 'options' );
		$notoptions = is_array( $notoptions ) ? $notoptions : array();
		foreach ( $names as $name ) {
			$notoptions[ $name ] = true;
		}
		foreach ( $rows as $row ) {
			unset( $notoptions[ $row['option_name'] ] );
			wp_cache_add( $row['option_name'], $row['option_value'], 'options' );
		}
		wp_cache_set( 'notoptions', $notoptions, 'options' );
	}

	/**
	 * The loopback key of the runners (the outbox runner's; built here without building the outbox).
	 *
	 * @return string
	 */
	public static function loopback_key() {
		return Loopback::key( Runner::KEY_OPTION );
	}

	/**
	 * Whether this request is a webhook in one of the three forms.
	 *
	 * @return bool
	 */
	private static function is_webhook() {
		// phpcs:disable WordPress.Security.NonceVerification,WordPress.Security.ValidatedSanitizedInput -- only compared here; Endpoint authenticates.
		if ( isset( $_GET['tagbridge_action'] ) ) {
			return true;
		}
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? (string) $_SERVER['REQUEST_METHOD'] : '';
		if ( ! in_array( $method, array( 'GET', 'POST' ), true ) || isset( $_SERVER['HTTP_X_HTTP_METHOD_OVERRIDE'] ) || array_intersect_key( $_GET, array_flip( self::REST_META ) ) ) {
			return false;
		}
		if ( isset( $_GET['rest_route'] ) || isset( $_POST['rest_route'] ) ) {
			// A rest_route in the body too is WordPress's to reconcile with the query (or refuse).
			return ! isset( $_POST['rest_route'] ) && is_string( $_GET['rest_route'] ) && self::route() === untrailingslashit( $_GET['rest_route'] );
		}
		$uri = isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : '';
		// phpcs:enable
		// Without pretty permalinks WordPress has no REST paths: such a path shows the front page.
		return '' !== (string) get_option( 'permalink_structure' ) && self::is_rest_path( $uri, home_url(), rest_get_url_prefix() );
	}

	/**
	 * Whether a request URI is the endpoint's REST path under a home URL.
	 *
	 * @param string $uri    Request URI (path and query).
	 * @param string $home   Home URL (its path is the site's).
	 * @param string $prefix REST URL prefix (`wp-json`).
	 * @return bool
	 */
	public static function is_rest_path( $uri, $home, $prefix ) {
		$path = trim( explode( '?', $uri, 2 )[0], '/' );
		$base = trim( (string) wp_parse_url( $home, PHP_URL_PATH ), '/' );
		if ( '' !== $base ) {
			if ( 0 !== strpos( $path . '/', $base . '/' ) ) {
				return false;
			}
			$path = ltrim( substr( $path, strlen( $base ) ), '/' );
		}
		$route = trim( $prefix, '/' ) . self::route();
		return $path === $route || 'index.php/' . $route === $path;
	}

	/**
	 * The endpoint's REST route.
	 *
	 * @return string `/tagbridge/v1/webhook`
	 */
	private static function route() {
		return '/' . Endpoint::ROUTE_NAMESPACE . Endpoint::ROUTE;
	}

	/**
	 * Sends the answer and hands the connection back before the shutdown work: with PHP-FPM
	 * through fastcgi_finish_request(); elsewhere a Content-Length lets the caller stop reading
	 * once the body is flushed (not when an output buffer of someone else's may rewrite the body).
	 *
	 * @param int   $status HTTP status.
	 * @param array $data   JSON data.
	 */
	private static function send( $status, array $data ) {
		$json = (string) wp_json_encode( $data );
		status_header( $status );
		header( 'Content-Type: application/json; charset=' . get_option( 'blog_charset' ) );
		header( 'X-Content-Type-Options: nosniff' );
		if ( ! array_diff( ob_list_handlers(), array( 'default output handler' ) ) ) {
			header( 'Content-Length: ' . strlen( $json ) );
		}
		echo $json; // phpcs:ignore WordPress.Security.EscapeOutput -- JSON.
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
			return;
		}
		while ( ob_get_level() > 0 ) {
			ob_end_flush();
		}
		flush();
	}
}
