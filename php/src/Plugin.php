<?php
/**
 * The composition root: builds TagBridge's services and registers every hook in one place.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Engine\Engine;
use TagBridge\Fields\ContactFieldsPage;
use TagBridge\Fields\Discovery;
use TagBridge\Fields\FieldPush;
use TagBridge\Fields\UserFields;
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
	 * Field push points.
	 *
	 * @var FieldPush
	 */
	public $fields;

	/**
	 * Builds the services.
	 */
	private function __construct() {
		$this->engine   = new Engine();
		$this->settings = new SettingsStore( $this->engine );
		$this->tags     = new TagStore();
		$this->roles    = new RoleWatcher();
		$this->sync     = new RoleTagSync( $this->engine, $this->settings, $this->tags, new PlanApplier( $this->tags, $this->roles ) );
		$this->fields   = new FieldPush( $this->engine, $this->settings, new UserFields() );
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
		$plugin->fields->register();
		add_action( 'shutdown', array( $plugin, 'push_fields' ), 5 );
		if ( is_admin() ) {
			( new ContactFieldsPage( $plugin->settings, new Discovery() ) )->register();
		}
	}

	/**
	 * At shutdown: plans the field changes of every user marked in this request.
	 */
	public function push_fields() {
		// Outbox (issue 7): enqueue each user's payload from flush() here, and call
		// $this->fields->acknowledge( $user_id, $payload ) once the CRM accepted it.
		$this->fields->flush();
	}

	/**
	 * Loads translations.
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'tagbridge', false, dirname( plugin_basename( TAGBRIDGE_FILE ) ) . '/languages' );
	}
}
