<?php
/**
 * The webhook endpoint: `POST /wp-json/tagbridge/v1/webhook` and the query form
 * `/?tagbridge_action=ACTION&key=…` for CRMs that can only call a fixed URL. Both authenticate,
 * validate through the extension, store the request and answer 202 with its id; `test` answers
 * 200 at once. Nothing is changed before the answer.
 *
 * Requests to the site's front controller are answered by EarlyEntry at plugins_loaded, through
 * handle_globals(); the REST route stays for discovery, rest_do_request() and sites whose
 * index.php does not load the theme.
 *
 * @package TagBridge
 */

namespace TagBridge\Webhook;

use TagBridge\Engine\Engine;
use TagBridge\Log\Logger;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * Request in, status and JSON out.
 */
final class Endpoint {

	/** REST namespace and route. */
	const ROUTE_NAMESPACE = 'tagbridge/v1';
	const ROUTE           = '/webhook';

	/** Headers the credentials come in, spelled as WordPress's REST requests name them. */
	const AUTH_HEADERS = array( 'x_tagbridge_key', 'x_tagbridge_signature', 'x_tagbridge_timestamp' );

	/**
	 * Extension wrapper.
	 *
	 * @var Engine
	 */
	private $engine;

	/**
	 * Credentials check.
	 *
	 * @var Authenticator
	 */
	private $auth;

	/**
	 * Queue.
	 *
	 * @var Queue
	 */
	private $queue;

	/**
	 * Starts a runner after the answer.
	 *
	 * @var Kicker
	 */
	private $kicker;

	/**
	 * Role checks.
	 *
	 * @var UserImporter
	 */
	private $importer;

	/**
	 * Log.
	 *
	 * @var Logger
	 */
	private $log;

	/**
	 * Builds the endpoint.
	 *
	 * @param Engine        $engine   Extension wrapper.
	 * @param Authenticator $auth     Credentials check.
	 * @param Queue         $queue    Queue.
	 * @param Kicker        $kicker   Starts a runner after the answer.
	 * @param UserImporter  $importer Role checks.
	 * @param Logger        $log      Log.
	 */
	public function __construct( Engine $engine, Authenticator $auth, Queue $queue, Kicker $kicker, UserImporter $importer, Logger $log ) {
		$this->engine   = $engine;
		$this->auth     = $auth;
		$this->queue    = $queue;
		$this->kicker   = $kicker;
		$this->importer = $importer;
		$this->log      = $log;
	}

	/**
	 * Registers the hooks.
	 */
	public function register() {
		# Actions
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );

		# Filters
		// Before WordPress's own JSON parsing, so a malformed body gets TagBridge's answer, not core's.
		add_filter( 'rest_pre_dispatch', array( $this, 'pre_dispatch' ), 10, 3 );
	}

	/**
	 * Declares the route (for discovery; requests are answered in pre_dispatch).
	 */
	public function register_routes() {
		register_rest_route(
			self::ROUTE_NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => array( 'GET', 'POST' ),
				'callback'            => array( $this, 'rest' ),
				// Authenticated by the webhook key or signature inside the handler, not by a login.
				'permission_callback' => '__return_true',
			)
		);
	}

	/**
	 * Answers the webhook route before WordPress parses its body.
	 *
	 * @param mixed           $result  Earlier result.
	 * @param mixed           $server  REST server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function pre_dispatch( $result, $server, $request ) {
		if ( null !== $result || ! $request instanceof WP_REST_Request || '/' . self::ROUTE_NAMESPACE . self::ROUTE !== untrailingslashit( $request->get_route() ) ) {
			return $result;
		}
		return $this->rest( $request );
	}

	/**
	 * REST handler.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function rest( WP_REST_Request $request ) {
		$headers = array();
		foreach ( self::AUTH_HEADERS as $name ) {
			$headers[ $name ] = (string) $request->get_header( $name );
		}
		$type   = $request->get_content_type();
		$form   = self::is_form( is_array( $type ) ? (string) $type['value'] : '' );
		$params = $request->get_query_params();
		$body   = (string) $request->get_body();
		if ( $form ) {
			$params = array_merge( $params, $request->get_body_params() );
		}
		list( $status, $data ) = $this->handle( $params, $headers, $body, $form );
		return new WP_REST_Response( $data, $status );
	}

	/**
	 * Authenticates, validates and stores the request PHP is serving, read from the superglobals
	 * as PHP filled them: for EarlyEntry, which runs before WordPress adds slashes to them
	 * (wp_magic_quotes() follows plugins_loaded).
	 *
	 * @return array{0: int, 1: array} Status and JSON data.
	 */
	public function handle_globals() {
		// phpcs:disable WordPress.Security.NonceVerification,WordPress.Security.ValidatedSanitizedInput -- authenticated by the webhook key or signature and validated by the extension; not slashed yet.
		$headers = array();
		foreach ( self::AUTH_HEADERS as $name ) {
			$server           = 'HTTP_' . strtoupper( $name );
			$headers[ $name ] = isset( $_SERVER[ $server ] ) ? (string) $_SERVER[ $server ] : '';
		}
		$form   = self::is_form( isset( $_SERVER['CONTENT_TYPE'] ) ? (string) $_SERVER['CONTENT_TYPE'] : '' );
		$params = $form ? array_merge( $_GET, $_POST ) : $_GET;
		// phpcs:enable
		return $this->handle( $params, $headers, (string) file_get_contents( 'php://input' ), $form );
	}

	/**
	 * Whether a content type is an HTML form encoding (its fields are parameters, not a JSON body).
	 *
	 * @param string $type Content-Type.
	 * @return bool
	 */
	private static function is_form( $type ) {
		return (bool) preg_match( '#^(application/x-www-form-urlencoded|multipart/form-data)#i', trim( $type ) );
	}

	/**
	 * Authenticates, validates, stores.
	 *
	 * @param array                 $params  Query (and form) parameters.
	 * @param array<string, string> $headers Auth headers.
	 * @param string                $body    Raw body (signed as sent).
	 * @param bool                  $form    Whether the body is a form (its fields are in $params).
	 * @return array{0: int, 1: array} Status and JSON data.
	 */
	public function handle( array $params, array $headers, $body, $form ) {
		$query_key = isset( $params['key'] ) && is_string( $params['key'] ) ? $params['key'] : '';
		unset( $params['key'] );
		$auth = $this->auth->check( $headers, $query_key, $body, time() );
		if ( is_wp_error( $auth ) ) {
			$this->log->log( 'warning', 'webhook', $auth->get_error_code(), $auth->get_error_message(), 0, array( 'ip' => self::client_ip() ) );
			return self::error( $auth->get_error_code(), $auth->get_error_message(), $auth->get_error_data()['status'] );
		}
		$parsed = $this->engine->webhook_parse( $params, $form ? '' : $body );
		if ( ! $parsed['ok'] ) {
			$e = $parsed['error'];
			$this->log->log( 'warning', 'webhook', 'webhook_' . $e['code'], $e['path'] . ': ' . $e['message'] );
			return self::error( 'tagbridge_' . $e['code'], ( '' === $e['path'] ? '' : $e['path'] . ': ' ) . $e['message'], $e['status'], $e['path'] );
		}
		$request = $parsed['request'];
		if ( 'test' === $request['action'] ) {
			return array(
				200,
				array(
					'ok'      => true,
					'message' => __( 'TagBridge webhooks work and the key is right.', 'tagbridge' ),
				),
			);
		}
		if ( null !== $request['role'] ) {
			$refusal = $this->importer->role_refusal( $request['role'] );
			if ( $refusal ) {
				$this->log->log( 'warning', 'webhook', 'webhook_role_refused', $refusal->get_error_message() );
				return self::error( 'tagbridge_role_refused', $refusal->get_error_message(), 403, 'role' );
			}
		}
		$id = $this->queue->accept( $request );
		if ( is_wp_error( $id ) ) {
			return self::error( $id->get_error_code(), $id->get_error_message(), 503 );
		}
		$this->kicker->accepted();
		return array(
			202,
			array(
				'accepted' => true,
				'id'       => $id,
				'action'   => $request['action'],
			),
		);
	}

	/**
	 * An error answer shaped like WordPress REST errors.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 * @param string $path    Offending parameter.
	 * @return array{0: int, 1: array}
	 */
	private static function error( $code, $message, $status, $path = '' ) {
		return array(
			(int) $status,
			array(
				'code'    => $code,
				'message' => $message,
				'data'    => array(
					'status' => (int) $status,
					'path'   => $path,
				),
			),
		);
	}

	/**
	 * The caller's address, for the log of refused attempts.
	 *
	 * @return string
	 */
	private static function client_ip() {
		return isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
	}
}
