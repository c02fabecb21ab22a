<?php
/**
 * REST routes of linked sites, under /wp-json/tagbridge/v1/sites.
 *
 * Between sites (no WordPress login; each authenticates itself):
 * `POST /sites/pair` (pairing handshake, signed with the code), `POST /sites/receive` (a change,
 * HMAC-signed and timestamped), `GET /sites/login?token=` (sign-on handover).
 * Administrators (`manage_options`): `GET /sites`, `POST /sites/pairing-code`, `POST /sites/connect`,
 * `POST|DELETE /sites/{id}`, `GET|POST /sites/{id}/sync`, `POST /sites/{id}/sync/step`.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Rest\SettingsController;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * The routes.
 */
final class SitesController {

	/** Route pattern of a link id. */
	const ID = '/sites/(?P<id>[0-9a-f]{16})';

	/**
	 * Services.
	 *
	 * @var Sites
	 */
	private $sites;

	/**
	 * Builds the controller.
	 *
	 * @param Sites $sites Services.
	 */
	public function __construct( Sites $sites ) {
		$this->sites = $sites;
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$public = '__return_true';
		$admin  = array( SettingsController::class, 'allowed' );
		$routes = array(
			'/sites/pair'         => array( array( WP_REST_Server::CREATABLE, 'pair', $public ) ),
			'/sites/receive'      => array( array( WP_REST_Server::CREATABLE, 'receive', $public ) ),
			'/sites/login'        => array( array( WP_REST_Server::READABLE, 'login', $public ) ),
			'/sites'              => array( array( WP_REST_Server::READABLE, 'index', $admin ) ),
			'/sites/pairing-code' => array( array( WP_REST_Server::CREATABLE, 'code', $admin ) ),
			'/sites/connect'      => array( array( WP_REST_Server::CREATABLE, 'connect', $admin ) ),
			self::ID              => array( array( WP_REST_Server::CREATABLE, 'rules', $admin ), array( WP_REST_Server::DELETABLE, 'unlink', $admin ) ),
			self::ID . '/sync'    => array( array( WP_REST_Server::READABLE, 'sync_status', $admin ), array( WP_REST_Server::CREATABLE, 'sync_start', $admin ) ),
			self::ID . '/sync/step' => array( array( WP_REST_Server::CREATABLE, 'sync_step', $admin ) ),
		);
		foreach ( $routes as $route => $endpoints ) {
			$args = array();
			foreach ( $endpoints as $endpoint ) {
				$args[] = array(
					'methods'             => $endpoint[0],
					'callback'            => array( $this, $endpoint[1] ),
					'permission_callback' => $endpoint[2],
				);
			}
			register_rest_route( SettingsController::NAMESPACE, $route, $args );
		}
	}

	/**
	 * A result or error as a response.
	 *
	 * @param mixed $result Result.
	 * @param int   $status Status on success.
	 * @return WP_REST_Response|WP_Error
	 */
	private static function answer( $result, $status = 200 ) {
		return is_wp_error( $result ) ? $result : new WP_REST_Response( $result, $status );
	}

	/**
	 * Pairing handshake (site A side).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function pair( WP_REST_Request $request ) {
		return self::answer( $this->sites->pairing->accept( $request->get_body(), (string) $request->get_header( 'X-TagBridge-Signature' ), time() ) );
	}

	/**
	 * A signed change from a linked site.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function receive( WP_REST_Request $request ) {
		$link = $this->sites->signer->verify( $request, time() );
		if ( is_wp_error( $link ) ) {
			return $link;
		}
		$body = json_decode( $request->get_body(), true );
		if ( ! is_array( $body ) || ! isset( $body['change'] ) ) {
			return new WP_Error( 'tagbridge_invalid_change', __( 'The body must be {"change": {...}}.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		return self::answer( $this->sites->receiver->apply( $link, $body['change'] ) );
	}

	/**
	 * Sign-on handover: sets the auth cookie and redirects.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function login( WP_REST_Request $request ) {
		$result = $this->sites->handover->consume( (string) $request->get_param( 'token' ), time() );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		wp_set_current_user( $result['user']->ID );
		wp_set_auth_cookie( $result['user']->ID, false );
		$response = new WP_REST_Response( array( 'user_id' => $result['user']->ID ), 302 );
		$response->header( 'Location', wp_validate_redirect( home_url( $result['path'] ), home_url( '/' ) ) );
		return $response;
	}

	/**
	 * The links (never their secrets).
	 *
	 * @return WP_REST_Response
	 */
	public function index() {
		return new WP_REST_Response( array( 'sites' => $this->sites->links->public_view() ) );
	}

	/**
	 * A new pairing code.
	 *
	 * @return WP_REST_Response
	 */
	public function code() {
		return new WP_REST_Response( $this->sites->pairing->create_code( time() ), 201 );
	}

	/**
	 * Links to another site with its address and code.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function connect( WP_REST_Request $request ) {
		return self::answer( $this->sites->pairing->connect( $request->get_param( 'url' ), $request->get_param( 'code' ), time() ), 201 );
	}

	/**
	 * Sets the rules of one or both directions.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function rules( WP_REST_Request $request ) {
		$id   = (string) $request['id'];
		$seen = false;
		foreach ( array( 'send', 'receive' ) as $direction ) {
			if ( null !== $request->get_param( $direction ) ) {
				$seen   = true;
				$result = $this->sites->links->set_rules( $id, $direction, $request->get_param( $direction ) );
				if ( is_wp_error( $result ) ) {
					return $result;
				}
			}
		}
		if ( ! $seen ) {
			return new WP_Error( 'tagbridge_invalid_rules', __( 'Send "send" and/or "receive" rules.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$link = $this->sites->links->get( $id );
		unset( $link['secret'] );
		return new WP_REST_Response( $link );
	}

	/**
	 * Unlinks a site.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function unlink( WP_REST_Request $request ) {
		if ( ! $this->sites->links->remove( (string) $request['id'] ) ) {
			return new WP_Error( 'tagbridge_unknown_site', __( 'No such linked site.', 'tagbridge' ), array( 'status' => 404 ) );
		}
		return new WP_REST_Response( array( 'deleted' => true ) );
	}

	/**
	 * Initial sync progress.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function sync_status( WP_REST_Request $request ) {
		$job = $this->sites->initial->get( (string) $request['id'] );
		return null === $job ? new WP_Error( 'tagbridge_no_sync', __( 'No initial sync was started for this site.', 'tagbridge' ), array( 'status' => 404 ) ) : new WP_REST_Response( array( 'job' => $job ) );
	}

	/**
	 * Starts an initial sync.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function sync_start( WP_REST_Request $request ) {
		$job = $this->sites->initial->start( (string) $request['id'] );
		return is_wp_error( $job ) ? $job : new WP_REST_Response( array( 'job' => $job ), 201 );
	}

	/**
	 * One step of an initial sync.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function sync_step( WP_REST_Request $request ) {
		$job = $this->sites->initial->step( (string) $request['id'] );
		return is_wp_error( $job ) ? $job : new WP_REST_Response( array( 'job' => $job ) );
	}
}
