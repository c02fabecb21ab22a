<?php
/**
 * REST: GET and POST /wp-json/tagbridge/v1/settings (administrators only).
 *
 * @package TagBridge
 */

namespace TagBridge\Rest;

use TagBridge\Settings\SettingsStore;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * Reads and replaces the settings over REST.
 */
final class SettingsController {

	/** REST namespace of TagBridge. */
	const NAMESPACE = 'tagbridge/v1';

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	private $store;

	/**
	 * Builds the controller.
	 *
	 * @param SettingsStore $store Settings store.
	 */
	public function __construct( SettingsStore $store ) {
		$this->store = $store;
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			self::NAMESPACE,
			'/settings',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'read' ),
					'permission_callback' => array( $this, 'allowed' ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'write' ),
					'permission_callback' => array( $this, 'allowed' ),
				),
			)
		);
	}

	/**
	 * Only administrators may read or change settings.
	 *
	 * @return bool
	 */
	public static function allowed() {
		return current_user_can( 'manage_options' );
	}

	/**
	 * GET: the stored settings and what the extension made of them.
	 *
	 * @return WP_REST_Response
	 */
	public function read() {
		$summary = $this->store->summary();
		return new WP_REST_Response(
			array(
				'settings' => $this->store->get(),
				'compiled' => is_wp_error( $summary ) ? null : $summary,
				'error'    => is_wp_error( $summary ) ? $summary->get_error_message() : null,
			),
			200
		);
	}

	/**
	 * POST: replaces the settings with the JSON object in the body.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function write( WP_REST_Request $request ) {
		$body = $request->get_json_params();
		if ( ! is_array( $body ) || ( array() !== $body && wp_is_numeric_array( $body ) ) ) {
			return new WP_Error( 'tagbridge_invalid_settings', __( 'Send the settings as a JSON object.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$result = $this->store->update( $body );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return $this->read();
	}
}
