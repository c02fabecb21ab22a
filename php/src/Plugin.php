<?php
/**
 * The composition root: builds TagBridge's services and registers every hook in one place.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Admin\ConnectionPage;
use TagBridge\Engine\Engine;
use TagBridge\Rest\ConnectionController;
use TagBridge\Rest\SettingsController;
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
	 * Builds the services.
	 */
	private function __construct() {
		$this->engine   = new Engine();
		$this->settings = new SettingsStore( $this->engine );
		$this->tags     = new TagStore();
		$this->roles    = new RoleWatcher();
		$this->sync     = new RoleTagSync( $this->engine, $this->settings, $this->tags, new PlanApplier( $this->tags, $this->roles ) );
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
		add_action( 'rest_api_init', array( new ConnectionController(), 'register_routes' ) );
		( new ConnectionPage() )->register();
	}

	/**
	 * Loads translations.
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'tagbridge', false, dirname( plugin_basename( TAGBRIDGE_FILE ) ) . '/languages' );
	}
}
