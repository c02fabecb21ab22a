<?php
/**
 * REST: GET/POST /wp-json/tagbridge/v1/connection and POST /connection/test (administrators only).
 * The application password can be sent, never read back.
 *
 * @package TagBridge
 */

namespace TagBridge\Rest;

use TagBridge\Crm\Connection;
use TagBridge\Crm\ConnectionTest;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Reads, saves and tests the CRM connection over REST.
 */
final class ConnectionController {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			SettingsController::NAMESPACE,
			'/connection',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'read' ),
					'permission_callback' => array( SettingsController::class, 'allowed' ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'write' ),
					'permission_callback' => array( SettingsController::class, 'allowed' ),
				),
			)
		);
		register_rest_route(
			SettingsController::NAMESPACE,
			'/connection/test',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'test' ),
				'permission_callback' => array( SettingsController::class, 'allowed' ),
			)
		);
	}

	/**
	 * GET: the connection without its password, and whether the site moved.
	 *
	 * @return WP_REST_Response
	 */
	public function read() {
		$settings = Connection::get();
		return new WP_REST_Response(
			array(
				'type'           => $settings['type'],
				'url'            => $settings['url'],
				'username'       => $settings['username'],
				'password_saved' => $settings['password_saved'],
				'site_moved'     => Connection::is_site_moved(),
			),
			200
		);
	}

	/**
	 * POST: saves `{type, url, username, password?}` (an absent or empty password keeps the saved one).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function write( WP_REST_Request $request ) {
		$result = Connection::save( self::body( $request ) );
		return is_wp_error( $result ) ? $result : $this->read();
	}

	/**
	 * POST /test: tests the body's settings, or the saved ones when the body is empty.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function test( WP_REST_Request $request ) {
		$body = self::body( $request );
		if ( array() === $body ) {
			$body = Connection::get();
		}
		return new WP_REST_Response( ConnectionTest::run( $body ), 200 );
	}

	/**
	 * The JSON object sent, or [] (Connection::check explains anything else).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array
	 */
	private static function body( WP_REST_Request $request ) {
		$body = $request->get_json_params();
		return is_array( $body ) ? $body : array();
	}
}
