<?php
/**
 * How TagBridge's services are built: one memoised factory per service, with the dependencies
 * wired by hand (typed constructor parameters, no reflection).
 *
 * Plugin hands the services out through this class, which is loaded only when a request first
 * needs a service: a request that needs none (a front-end page view) loads neither this file nor
 * any service class.
 *
 * @package TagBridge
 * @internal
 */

namespace TagBridge;

use TagBridge\Admin\Notices;
use TagBridge\Crm\Connection;
use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Engine\Engine;
use TagBridge\Fields\FieldPull;
use TagBridge\Fields\FieldPush;
use TagBridge\Fields\UserFields;
use TagBridge\Integrations\Members;
use TagBridge\Integrations\UltimateMember\UltimateMember;
use TagBridge\Integrations\WpUserManager\Deferral;
use TagBridge\Integrations\WpUserManager\Registration;
use TagBridge\Jobs\ReconcileJob;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Deliverer;
use TagBridge\Outbox\Outbox;
use TagBridge\Outbox\Runner;
use TagBridge\Outbox\TagListener;
use TagBridge\Roles\BulkRoleWriter;
use TagBridge\Roles\DeletedRoles;
use TagBridge\Roles\FactsBatch;
use TagBridge\Roles\LinkChanges;
use TagBridge\Roles\PlanApplier;
use TagBridge\Roles\RoleTagSync;
use TagBridge\Roles\RoleWatcher;
use TagBridge\Settings\SettingsStore;
use TagBridge\Sites\Sites;
use TagBridge\Tags\TagStore;
use TagBridge\Webhook\Authenticator;
use TagBridge\Webhook\Endpoint;
use TagBridge\Webhook\Kicker;
use TagBridge\Webhook\Processor;
use TagBridge\Webhook\Queue;
use TagBridge\Webhook\UserImporter;
use TagBridge\Webhook\WebhookRunner;

defined( 'ABSPATH' ) || exit;

/**
 * The service container. Services are read as properties and built on first read; the names are
 * Plugin's (see its property list).
 */
final class Services {

	/**
	 * The services built so far, by name.
	 *
	 * @var array<string, object>
	 */
	private $built = array();

	/**
	 * A service, built on first use (and what it needs, in turn).
	 *
	 * @param string $name Service name.
	 * @return object
	 */
	public function __get( $name ) {
		if ( ! isset( $this->built[ $name ] ) ) {
			$this->built[ $name ] = $this->build( $name );
		}
		return $this->built[ $name ];
	}

	/**
	 * Whether a service was built in this request.
	 *
	 * @param string $name Service name.
	 * @return bool
	 */
	public function has( $name ) {
		return isset( $this->built[ $name ] );
	}

	/**
	 * Builds one service.
	 *
	 * @param string $name Service name.
	 * @return object
	 */
	private function build( $name ) {
		return match ( $name ) {
			'engine'           => new Engine(),
			'settings'         => new SettingsStore( $this->engine ),
			'tags'             => new TagStore(),
			'roles'            => new RoleWatcher( fn( ...$change ) => $this->sync->roles_changed( ...$change ) ),
			'sync'             => new RoleTagSync( $this->engine, $this->settings, $this->tags, new PlanApplier( $this->tags, $this->roles ) ),
			'reconcile'        => new ReconcileJob( $this->engine, $this->settings, $this->tags, new FactsBatch( $this->tags ), new BulkRoleWriter( $this->roles ), $this->log ),
			'link_changes'     => new LinkChanges(),
			'deleted_roles'    => new DeletedRoles( $this->settings ),
			'notices'          => new Notices(),
			'log'              => new Logger(),
			'embedded_crm'     => new EmbeddedCrm( $this->tags, $this->sync ),
			'outbox'           => new Outbox(),
			'runner'           => new Runner( $this->outbox, new Deliverer( array( Connection::class, 'crm' ), $this->outbox, $this->engine, $this->log ), $this->log, array( Connection::class, 'is_site_moved' ) ),
			'tag_listener'     => new TagListener( $this->outbox ),
			'fields'           => new FieldPush( $this->engine, $this->settings, new UserFields() ),
			'pull'             => new FieldPull( $this->engine, $this->settings, new UserFields(), $this->fields, $this->outbox ),
			'webhooks'         => new Queue(),
			'webhook_importer' => new UserImporter( $this->settings ),
			// The loopback key is the outbox runner's; asked for only when a loopback starts.
			'webhook_kicker'   => new Kicker( fn() => $this->runner->key() ),
			'webhook_runner'   => new WebhookRunner( $this->webhooks, new Processor( array( Connection::class, 'crm' ), $this->webhook_importer, $this->sync, $this->tags, $this->outbox, $this->roles ), $this->log, $this->webhook_kicker ),
			'webhook_endpoint' => new Endpoint( $this->engine, new Authenticator(), $this->webhooks, $this->webhook_kicker, $this->webhook_importer, $this->log ),
			'members'          => new Members( $this->settings, $this->tags, $this->notices ),
			'wpum'             => new Registration( $this->wpum_deferral ),
			'wpum_deferral'    => new Deferral( $this->outbox ),
			'ultimate_member'  => new UltimateMember( $this ),
			'sites'            => new Sites( $this->engine, $this->settings, $this->tags, $this->log ),
			'site_sync'        => $this->sites->sync,
			'site_queue'       => $this->sites->queue,
			'site_handover'    => $this->sites->handover,
			'site_initial'     => $this->sites->initial,
		};
	}
}
