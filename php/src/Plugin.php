<?php
/**
 * The composition root: builds TagBridge's services and registers every hook in one place.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Admin\ConnectionPage;
use TagBridge\Admin\Notices;
use TagBridge\Admin\RolesPage;
use TagBridge\Engine\Engine;
use TagBridge\Integrations\Members;
use TagBridge\Integrations\WpUserManager\Deferral;
use TagBridge\Integrations\WpUserManager\Registration;
use TagBridge\Integrations\WpUserManager\RegistrationForms;
use TagBridge\Integrations\WpUserManager\SettingsPage as WpUserManagerPage;
use TagBridge\Integrations\UltimateMember\UltimateMember;
use TagBridge\Jobs\ReconcileJob;
use TagBridge\Rest\ReconcileController;
use TagBridge\Rest\ConnectionController;
use TagBridge\Fields\ContactFieldsPage;
use TagBridge\Fields\Discovery;
use TagBridge\Fields\FieldPull;
use TagBridge\Fields\FieldPush;
use TagBridge\Fields\UserFields;
use TagBridge\Rest\SettingsController;
use TagBridge\Roles\BulkRoleWriter;
use TagBridge\Roles\DeletedRoles;
use TagBridge\Roles\FactsBatch;
use TagBridge\Roles\LinkChanges;
use TagBridge\Roles\PlanApplier;
use TagBridge\Roles\RoleTagSync;
use TagBridge\Roles\RoleWatcher;
use TagBridge\Tags\TagStore;
use TagBridge\Settings\SettingsStore;
use TagBridge\Admin\LogScreen;
use TagBridge\Admin\OutboxScreen;
use TagBridge\Crm\Crm;
use TagBridge\Crm\Connection;
use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Deliverer;
use TagBridge\Outbox\Outbox;
use TagBridge\Outbox\Runner;
use TagBridge\Outbox\TagListener;
use TagBridge\Admin\WebhooksPage;
use TagBridge\Webhook\Authenticator;
use TagBridge\Webhook\Endpoint;
use TagBridge\Webhook\Kicker;
use TagBridge\Webhook\Processor;
use TagBridge\Webhook\Queue;
use TagBridge\Webhook\UserImporter;
use TagBridge\Webhook\WebhookRunner;
use TagBridge\Sites\Sites;

defined( 'ABSPATH' ) || exit;

/**
 * Wires the plugin together.
 */
final class Plugin {

	/**
	 * The running instance.
	 *
	 * @var Plugin|null
	 */
	private static $instance = null;

	/**
	 * Extension wrapper.
	 *
	 * @var Engine
	 */
	public $engine;

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	public $settings;

	/**
	 * Tag store.
	 *
	 * @var TagStore
	 */
	public $tags;

	/**
	 * Role hook watcher.
	 *
	 * @var RoleWatcher
	 */
	public $roles;

	/**
	 * Roles ↔ tags flow.
	 *
	 * @var RoleTagSync
	 */
	public $sync;

	/**
	 * Reconcile-all-users job.
	 *
	 * @var ReconcileJob
	 */
	public $reconcile;

	/**
	 * Role links waiting for a reconcile.
	 *
	 * @var LinkChanges
	 */
	public $link_changes;

	/**
	 * Admin notices.
	 *
	 * @var Notices
	 */
	public $notices;

	/**
	 * Activity log.
	 *
	 * @var Logger
	 */
	public $log;

	/**
	 * The embedded CRM (the default connection; Connection::crm() hands it out).
	 *
	 * @var EmbeddedCrm
	 */
	public $embedded_crm;

	/**
	 * Outbox of outgoing CRM changes.
	 *
	 * @var Outbox
	 */
	public $outbox;

	/**
	 * Outbox runner.
	 *
	 * @var Runner
	 */
	public $runner;

	/**
	 * Field push points.
	 *
	 * @var FieldPush
	 */
	public $fields;

	/**
	 * Inbound webhook queue.
	 *
	 * @var Queue
	 */
	public $webhooks;

	/**
	 * Inbound webhook runner.
	 *
	 * @var WebhookRunner
	 */
	public $webhook_runner;

	/**
	 * Starts the webhook runner after requests that stored webhooks.
	 *
	 * @var Kicker
	 */
	public $webhook_kicker;

	/**
	 * Inbound webhook endpoint.
	 *
	 * @var Endpoint
	 */
	public $webhook_endpoint;

	/**
	 * Pull applier (CRM values → user, through the field core's pull rules).
	 *
	 * @var FieldPull
	 */
	public $pull;

	/**
	 * Ultimate Member integration (registered when UM is active).
	 *
	 * @var UltimateMember
	 */
	public $ultimate_member;

	/**
	 * Linked sites.
	 *
	 * @var Sites
	 */
	public $sites;

	/**
	 * Builds the services.
	 */
	private function __construct() {
		$this->engine   = new Engine();
		$this->settings = new SettingsStore( $this->engine );
		$this->tags     = new TagStore();
		$this->roles    = new RoleWatcher();
		$this->sync     = new RoleTagSync( $this->engine, $this->settings, $this->tags, new PlanApplier( $this->tags, $this->roles ) );

		$this->log          = new Logger();
		$this->reconcile    = new ReconcileJob( $this->engine, $this->settings, $this->tags, new FactsBatch( $this->tags ), new BulkRoleWriter( $this->roles ), $this->log );
		$this->link_changes = new LinkChanges();
		$this->notices      = new Notices();

		$this->outbox = new Outbox();
		$this->runner = new Runner( $this->outbox, new Deliverer( array( Connection::class, 'crm' ), $this->outbox, $this->engine, $this->log ), $this->log, array( Connection::class, 'is_site_moved' ) );

		$this->embedded_crm = new EmbeddedCrm( $this->tags, $this->sync );
		$this->fields       = new FieldPush( $this->engine, $this->settings, new UserFields() );

		$this->webhooks         = new Queue();
		$importer               = new UserImporter( $this->settings );
		$processor              = new Processor( array( Connection::class, 'crm' ), $importer, $this->sync, $this->tags, $this->outbox, $this->roles );
		$this->webhook_kicker   = new Kicker( array( $this->runner, 'key' ) );
		$this->webhook_runner   = new WebhookRunner( $this->webhooks, $processor, $this->log, $this->webhook_kicker );
		$this->webhook_endpoint = new Endpoint( $this->engine, new Authenticator(), $this->webhooks, $this->webhook_kicker, $importer, $this->log );
		$this->pull             = new FieldPull( $this->engine, $this->settings, new UserFields(), $this->fields, $this->outbox );

		$this->ultimate_member = new UltimateMember( $this->settings, $this->sync, $this->outbox, $this->pull, $this->notices );
		$this->sites           = new Sites( $this->engine, $this->settings, $this->tags, $this->log );
	}

	/**
	 * The running instance (booted on plugins_loaded).
	 *
	 * @return Plugin
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Registers every hook of the plugin.
	 */
	public static function boot() {
		$plugin = self::instance();

		Installer::maybe_upgrade();
		$plugin->roles->register( array( $plugin->sync, 'roles_changed' ) );

		// Core hooks.
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		add_action( 'deleted_user', array( $plugin->tags, 'forget_user' ) );
		// REST controllers are built on rest_api_init only: other requests never load their files.
		add_action(
			'rest_api_init',
			static function () use ( $plugin ) {
				( new SettingsController( $plugin->settings ) )->register_routes();
				( new ReconcileController( $plugin->reconcile ) )->register_routes();
				( new ConnectionController() )->register_routes();
			}
		);

		$plugin->reconcile->register();
		$plugin->link_changes->register();
		( new DeletedRoles( $plugin->settings ) )->register();
		( new Members( $plugin->settings, $plugin->tags, $plugin->notices ) )->register();
		( new Registration( new Deferral( $plugin->outbox ) ) )->register();
		$plugin->ultimate_member->register();
		// Webhook add/update: mapped, pull-enabled fields of the contact are written through the field core.
		add_action( 'tagbridge_webhook_contact', array( $plugin, 'pull_webhook_contact' ), 10, 2 );
		add_action( 'tagbridge_plan_applied', array( $plugin->log, 'plan_applied' ), 10, 2 );
		$plugin->runner->register();
		if ( Connection::is_embedded() ) {
			add_action( 'deleted_user', array( $plugin->embedded_crm, 'forget_user' ) );
		} else {
			// An external CRM learns the site's tag changes through the outbox.
			( new TagListener( $plugin->outbox ) )->register();
		}
		$plugin->webhook_endpoint->register();
		$plugin->webhook_runner->register();
		$plugin->webhook_kicker->register();
		if ( is_admin() ) {
			$plugin->notices->register();
			( new RolesPage( $plugin->settings, $plugin->link_changes, $plugin->reconcile, $plugin->notices ) )->register();
			( new OutboxScreen( $plugin->outbox ) )->register();
			( new LogScreen( $plugin->log ) )->register();
			( new ConnectionPage() )->register();
			( new ContactFieldsPage( $plugin->settings, new Discovery() ) )->register();
			( new WebhooksPage( $plugin->webhooks ) )->register();
			( new WpUserManagerPage( new RegistrationForms(), $plugin->notices ) )->register();
		}

		// Fields: planned once per user at shutdown (after the role watcher, priority 1), queued in
		// the outbox (which delivers at priority 50), acknowledged when the CRM took them.
		$plugin->fields->register();
		$plugin->sites->register();
		add_action( 'shutdown', array( $plugin, 'push_fields' ), 5 );
		add_action( 'tagbridge_outbox_delivered', array( $plugin, 'fields_delivered' ), 10, 2 );
	}

	/**
	 * A webhook brought a contact: write its mapped, pull-enabled fields (already inside the
	 * from-CRM scope, so nothing echoes back).
	 *
	 * @param int   $user_id User.
	 * @param array $contact `{contact_id, email, first_name, last_name, fields, tags}`.
	 */
	public function pull_webhook_contact( $user_id, $contact ) {
		$this->pull->apply_contact( (int) $user_id, (array) $contact );
	}

	/**
	 * At shutdown: queues the changed mapped fields of every user marked in this request.
	 */
	public function push_fields() {
		foreach ( $this->fields->flush() as $user_id => $payload ) {
			$this->outbox->enqueue( $user_id, array( 'fields' => $payload ) );
		}
	}

	/**
	 * A delivery reached the CRM: its fields become the snapshot the next push is diffed against.
	 *
	 * @param int   $user_id User.
	 * @param array $change  The delivered change (fields, apply_tags, remove_tags).
	 */
	public function fields_delivered( $user_id, $change ) {
		if ( ! empty( $change['fields'] ) ) {
			$this->fields->acknowledge( (int) $user_id, $change['fields'] );
		}
	}

	/**
	 * Loads translations.
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'tagbridge', false, dirname( plugin_basename( TAGBRIDGE_FILE ) ) . '/languages' );
	}
}
