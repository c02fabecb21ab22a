<?php
/**
 * The composition root: builds TagBridge's services and registers every hook in one place.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Admin\Notices;
use TagBridge\Admin\RolesPage;
use TagBridge\Engine\Engine;
use TagBridge\Integrations\Members;
use TagBridge\Jobs\ReconcileJob;
use TagBridge\Rest\ReconcileController;
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
	 * Builds the services.
	 */
	private function __construct() {
		$this->engine   = new Engine();
		$this->settings = new SettingsStore( $this->engine );
		$this->tags     = new TagStore();
		$this->roles    = new RoleWatcher();
		$this->sync     = new RoleTagSync( $this->engine, $this->settings, $this->tags, new PlanApplier( $this->tags, $this->roles ) );

		$this->reconcile    = new ReconcileJob( $this->engine, $this->settings, $this->tags, new FactsBatch( $this->tags ), new BulkRoleWriter( $this->roles ) );
		$this->link_changes = new LinkChanges();
		$this->notices      = new Notices();
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

		# Actions
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		add_action( 'deleted_user', array( $plugin->tags, 'forget_user' ) );
		add_action( 'rest_api_init', array( new SettingsController( $plugin->settings ), 'register_routes' ) );
		add_action( 'rest_api_init', array( new ReconcileController( $plugin->reconcile ), 'register_routes' ) );

		$plugin->reconcile->register();
		$plugin->link_changes->register();
		( new DeletedRoles( $plugin->settings ) )->register();
		( new Members( $plugin->settings, $plugin->tags, $plugin->notices ) )->register();
		if ( is_admin() ) {
			$plugin->notices->register();
			( new RolesPage( $plugin->settings, $plugin->link_changes, $plugin->reconcile, $plugin->notices ) )->register();
		}
	}

	/**
	 * Loads translations.
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'tagbridge', false, dirname( plugin_basename( TAGBRIDGE_FILE ) ) . '/languages' );
	}
}
