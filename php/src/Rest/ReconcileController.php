<?php
/**
 * REST routes of the reconcile-all-users job.
 *
 * @package TagBridge
 */

namespace TagBridge\Rest;

use TagBridge\Jobs\ReconcileJob;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * GET/POST/DELETE /tagbridge/v1/reconcile and POST /tagbridge/v1/reconcile/step.
 */
final class ReconcileController {

	/**
	 * The job.
	 *
	 * @var ReconcileJob
	 */
	private $job;

	/**
	 * Builds the controller.
	 *
	 * @param ReconcileJob $job The job.
	 */
	public function __construct( ReconcileJob $job ) {
		$this->job = $job;
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$allowed = array( SettingsController::class, 'allowed' );
		register_rest_route(
			SettingsController::NAMESPACE,
			'/reconcile',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'read' ),
					'permission_callback' => $allowed,
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'start' ),
					'permission_callback' => $allowed,
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'cancel' ),
					'permission_callback' => $allowed,
				),
			)
		);
		register_rest_route(
			SettingsController::NAMESPACE,
			'/reconcile/step',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'step' ),
				'permission_callback' => $allowed,
			)
		);
	}

	/**
	 * GET: the current or last job.
	 *
	 * @return WP_REST_Response
	 */
	public function read() {
		return new WP_REST_Response( array( 'job' => $this->job->state() ), 200 );
	}

	/**
	 * POST {truth: 'roles'|'tags', dry_run: bool, roles?: string[]|null, dry_run_id?: string}.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|\WP_Error
	 */
	public function start( WP_REST_Request $request ) {
		$body = $request->get_json_params();
		if ( ! is_array( $body ) ) {
			return new \WP_Error( 'tagbridge_invalid_request', __( 'Send a JSON object: {"truth": "roles"|"tags", "dry_run": true|false}.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$job = $this->job->start( $body['truth'] ?? null, $body['dry_run'] ?? null, $body['roles'] ?? null, $body['dry_run_id'] ?? null );
		return is_wp_error( $job ) ? $job : new WP_REST_Response( array( 'job' => $job ), 201 );
	}

	/**
	 * POST: carries the job on for a few seconds and reports progress.
	 *
	 * @return WP_REST_Response|\WP_Error
	 */
	public function step() {
		$job = $this->job->step( 3.0 );
		return is_wp_error( $job ) ? $job : new WP_REST_Response( array( 'job' => $job ), 200 );
	}

	/**
	 * DELETE: cancels the running job.
	 *
	 * @return WP_REST_Response|\WP_Error
	 */
	public function cancel() {
		$job = $this->job->cancel();
		return is_wp_error( $job ) ? $job : new WP_REST_Response( array( 'job' => $job ), 200 );
	}
}
