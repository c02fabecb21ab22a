<?php
/**
 * The composition root: registers every hook of TagBridge in one place and hands out its services.
 *
 * Registering a hook builds nothing. Each callback builds its service, and what that service
 * needs, on its first call (Services holds the memoised factories). A request loads only the code
 * it runs: a logged-in front-end page view loads this file and the API functions, not the ~45
 * files of every service (issue 10: class loading was most of what TagBridge added to a request).
 * Admin screens are built in admin requests, background handlers in cron and AJAX requests, REST
 * controllers on rest_api_init, the linked-sites sync only on a site with a link, and the
 * Ultimate Member pieces only when UM is active.
 *
 * @package TagBridge
 */

namespace TagBridge;

use TagBridge\Admin\ConnectionPage;
use TagBridge\Admin\LogScreen;
use TagBridge\Admin\Notices;
use TagBridge\Admin\OutboxScreen;
use TagBridge\Admin\RolesPage;
use TagBridge\Admin\WebhooksPage;
use TagBridge\Crm\Connection;
use TagBridge\Crm\EmbeddedCrm;
use TagBridge\Engine\Engine;
use TagBridge\Fields\ContactFieldsPage;
use TagBridge\Fields\Discovery;
use TagBridge\Fields\FieldPull;
use TagBridge\Fields\FieldPush;
use TagBridge\Hooks\UserMetaWrites;
use TagBridge\Integrations\Members;
use TagBridge\Integrations\UltimateMember\UltimateMember;
use TagBridge\Integrations\WpUserManager\Deferral;
use TagBridge\Integrations\WpUserManager\Registration;
use TagBridge\Integrations\WpUserManager\RegistrationForms;
use TagBridge\Integrations\WpUserManager\SettingsPage as WpUserManagerPage;
use TagBridge\Jobs\ReconcileJob;
use TagBridge\Log\Logger;
use TagBridge\Outbox\Outbox;
use TagBridge\Outbox\Runner;
use TagBridge\Outbox\TagListener;
use TagBridge\Rest\ConnectionController;
use TagBridge\Rest\ReconcileController;
use TagBridge\Rest\SettingsController;
use TagBridge\Roles\DeletedRoles;
use TagBridge\Roles\LinkChanges;
use TagBridge\Roles\RoleTagSync;
use TagBridge\Roles\RoleWatcher;
use TagBridge\Settings\SettingsStore;
use TagBridge\Sites\InitialSync;
use TagBridge\Sites\SiteQueue;
use TagBridge\Sites\Sites;
use TagBridge\Sites\SitesController;
use TagBridge\Sites\SitesPage;
use TagBridge\Tags\TagStore;
use TagBridge\Webhook\Endpoint;
use TagBridge\Webhook\Kicker;
use TagBridge\Webhook\Queue;
use TagBridge\Webhook\UserImporter;
use TagBridge\Webhook\WebhookRunner;

defined( 'ABSPATH' ) || exit;

/**
 * Wires the plugin together. Services are read as properties (`Plugin::instance()->outbox`) and
 * built on first read.
 *
 * @property-read Engine         $engine           Extension wrapper.
 * @property-read SettingsStore  $settings         Settings store.
 * @property-read TagStore       $tags             Tag store.
 * @property-read RoleWatcher    $roles            Role hook watcher.
 * @property-read RoleTagSync    $sync             Roles ↔ tags flow.
 * @property-read ReconcileJob   $reconcile        Reconcile-all-users job.
 * @property-read LinkChanges    $link_changes     Role links waiting for a reconcile.
 * @property-read DeletedRoles   $deleted_roles    Unlinks deleted roles.
 * @property-read Notices        $notices          Admin notices.
 * @property-read Logger         $log              Activity log.
 * @property-read EmbeddedCrm    $embedded_crm     The embedded CRM (the default; Connection::crm() hands it out).
 * @property-read Outbox         $outbox           Outbox of outgoing CRM changes.
 * @property-read Runner         $runner           Outbox runner.
 * @property-read TagListener    $tag_listener     Queues tag changes for an external CRM.
 * @property-read FieldPush      $fields           Field push points.
 * @property-read FieldPull      $pull             Pull applier (CRM values → user, through the field core's pull rules).
 * @property-read Queue          $webhooks         Inbound webhook queue.
 * @property-read UserImporter   $webhook_importer Users created or updated by webhooks.
 * @property-read WebhookRunner  $webhook_runner   Inbound webhook runner.
 * @property-read Kicker         $webhook_kicker   Starts the webhook runner after requests that stored webhooks.
 * @property-read Endpoint       $webhook_endpoint Inbound webhook endpoint.
 * @property-read Members        $members          Members' role screens.
 * @property-read Registration   $wpum             WP User Manager registrations.
 * @property-read Deferral       $wpum_deferral    WP User Manager: tags deferred until activation.
 * @property-read UltimateMember $ultimate_member  Ultimate Member integration (registered when UM is active).
 * @property-read Sites          $sites            Linked sites.
 * @property-read \TagBridge\Sites\SiteSync    $site_sync     Linked sites: outgoing changes (`$sites->sync`).
 * @property-read SiteQueue                    $site_queue    Linked sites: delivery queue (`$sites->queue`).
 * @property-read \TagBridge\Sites\Handover    $site_handover Linked sites: sign-in handover (`$sites->handover`).
 * @property-read InitialSync                  $site_initial  Linked sites: initial sync (`$sites->initial`).
 */
final class Plugin {

	/** Version of the stored data layout (Installer creates it); bump when tables or options change shape. */
	const DB_VERSION = 8;

	/**
	 * Option (autoloaded) holding the installed data layout version. This class compares it, so
	 * that a request with nothing to upgrade never loads the installer.
	 */
	const DB_VERSION_OPTION = 'tagbridge_db_version';

	/**
	 * Option (autoloaded) with the CRM connection, kept by Crm\Connection. Read at boot: which CRM
	 * the hooks serve is decided by what is stored when the request begins.
	 */
	const CONNECTION_OPTION = 'tagbridge_connection';

	/**
	 * Option (autoloaded): how many sites are linked, kept by Sites\Links. Read at boot, so that a
	 * site without links registers no linked-sites sync and never reads the links option (autoload
	 * off: it holds the secrets).
	 */
	const SITES_LINKED_OPTION = 'tagbridge_sites_linked';

	/**
	 * The running instance.
	 *
	 * @var Plugin|null
	 */
	private static $instance = null;

	/**
	 * The service container, created when a service is first needed.
	 *
	 * @var Services|null
	 */
	private $services = null;

	/**
	 * Whether the linked-sites sync hooks are registered.
	 *
	 * @var bool
	 */
	private $site_sync_hooked = false;

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
	 * A service, built on first use.
	 *
	 * @param string $name Service name (see the class's property list).
	 * @return object
	 */
	public function __get( $name ) {
		if ( null === $this->services ) {
			$this->services = new Services();
		}
		$service = $this->services->$name;
		// A site linked while this request runs (a pairing) has its changes synced from then on.
		if ( ! $this->site_sync_hooked && $this->services->has( 'sites' ) ) {
			$this->hook_site_sync();
		}
		return $service;
	}

	/**
	 * Whether a service was built in this request.
	 *
	 * @param string $name Service name.
	 * @return bool
	 */
	private function built( $name ) {
		return null !== $this->services && $this->services->has( $name );
	}

	/**
	 * Registers a hook whose callback is a method of a service read from $owner (Plugin, or an
	 * integration holding its own pieces) when the hook fires, so the service is built on the
	 * hook's first call and not before.
	 *
	 * @param string $hook     Action or filter.
	 * @param object $owner    Hands out the service as a property, built on first read.
	 * @param string $service  Service name.
	 * @param string $method   Method of the service.
	 * @param int    $priority Priority.
	 * @param int    $args     Arguments the callback takes.
	 */
	public static function lazy_hook( $hook, $owner, $service, $method, $priority = 10, $args = 1 ) {
		add_filter( $hook, self::lazy_callback( $owner, $service, $method ), $priority, $args );
	}

	/**
	 * A callback that calls a method of a service read from $owner on first use. Services are
	 * built once per request, so it keeps the one it got: hooks such as profile updates fire
	 * many times in a registration.
	 *
	 * @param object $owner   Hands out the service as a property, built on first read.
	 * @param string $service Service name.
	 * @param string $method  Method of the service.
	 * @return \Closure
	 */
	public static function lazy_callback( $owner, $service, $method ) {
		$target = null;
		return static function ( ...$hook_args ) use ( $owner, $service, $method, &$target ) {
			$target = $target ?? $owner->$service;
			return $target->$method( ...$hook_args );
		};
	}

	/**
	 * Calls $callback when one of $hooks (generic user meta hooks) fires for a write of $meta_key,
	 * without a callback on every user meta write (Hooks\UserMetaWrites, built on the key's first
	 * write).
	 *
	 * @param string   $meta_key Meta key.
	 * @param string[] $hooks    Generic hooks (see UserMetaWrites).
	 * @param callable $callback Gets the hook's arguments.
	 * @param int      $priority Priority on the generic hooks.
	 * @param int      $args     Arguments taken (at least 3).
	 */
	public static function watch_user_meta( $meta_key, array $hooks, callable $callback, $priority, $args ) {
		$watch = null;
		add_filter(
			'sanitize_user_meta_' . $meta_key,
			static function ( $value ) use ( &$watch, $meta_key, $hooks, $callback, $priority, $args ) {
				$watch = $watch ?? new UserMetaWrites( $meta_key, $hooks, $callback, $priority, $args );
				$watch->arm();
				return $value;
			},
			PHP_INT_MAX
		);
	}

	/**
	 * Registers a hook whose callback is a method of one of this plugin's services (lazy_hook()).
	 *
	 * @param string $hook     Action or filter.
	 * @param string $service  Service name.
	 * @param string $method   Method of the service.
	 * @param int    $priority Priority.
	 * @param int    $args     Arguments the callback takes.
	 */
	private function on( $hook, $service, $method, $priority = 10, $args = 1 ) {
		self::lazy_hook( $hook, $this, $service, $method, $priority, $args );
	}

	/**
	 * A shutdown callback that runs $work only when $service was built in this request: what
	 * end-of-request work flushes or delivers is state the service gathered in memory, so a
	 * request that never built it has nothing to do.
	 *
	 * @param string   $service Service name.
	 * @param callable $work    Work.
	 * @return \Closure
	 */
	private function when_built( $service, callable $work ) {
		return function () use ( $service, $work ) {
			if ( $this->built( $service ) ) {
				$work();
			}
		};
	}

	/**
	 * Registers every hook of the plugin.
	 */
	public static function boot() {
		self::maybe_upgrade();
		self::instance()->register_hooks();
	}

	/**
	 * Upgrades the stored layout when it is older than this code's (an autoloaded option read).
	 */
	public static function maybe_upgrade() {
		if ( (int) get_option( self::DB_VERSION_OPTION, 0 ) < self::DB_VERSION ) {
			Installer::upgrade();
		}
	}

	/**
	 * Registers every hook; builds only what admin, background and REST requests need at once.
	 */
	private function register_hooks() {
		global $wpdb;
		$background = wp_doing_cron() || ( defined( 'WP_CLI' ) && WP_CLI ); // WP-Cron, or WP-CLI's `wp cron event run`.

		# Roles → tags: role changes are recorded, and each user's net change is planned at shutdown
		// Before a write of the capabilities key only (not on every user meta write); deletes of it
		// (rare, and not sanitized) are watched on the generic filter.
		$watched     = array();
		$watch_roles = function () use ( &$watched, $wpdb ) {
			$key = $wpdb->get_blog_prefix() . 'capabilities';
			if ( ! isset( $watched[ $key ] ) ) {
				$watched[ $key ] = true;
				self::watch_user_meta( $key, array( 'update_user_metadata', 'add_user_metadata' ), self::lazy_callback( $this, 'roles', 'before_meta_write' ), 1, 3 );
			}
		};
		$watch_roles();
		if ( is_multisite() ) {
			add_action( 'switch_blog', $watch_roles, 10, 0 );
		}
		$this->on( 'delete_user_metadata', 'roles', 'before_meta_write', 1, 3 );
		$this->on( 'add_user_role', 'roles', 'added', 10, 2 );
		$this->on( 'remove_user_role', 'roles', 'removed', 10, 2 );
		$this->on( 'set_user_role', 'roles', 'set', 10, 3 );
		add_action( 'shutdown', $this->when_built( 'roles', fn() => $this->roles->flush() ), 1 );

		# Core
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		add_filter( 'pre_get_table_charset', array( __CLASS__, 'table_charset' ), 10, 2 );
		$this->on( 'deleted_user', 'tags', 'forget_user' );
		// REST controllers are built on rest_api_init only: other requests never load their files.
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
		$this->on( 'tagbridge_settings_updated', 'link_changes', 'settings_updated', 10, 2 );
		$this->on( 'tagbridge_reconcile_done', 'link_changes', 'reconciled' );
		// WP_Roles::$role_key, without building WP_Roles this early (wp_roles_init listeners).
		$this->on( 'update_option_' . $wpdb->get_blog_prefix() . 'user_roles', 'deleted_roles', 'roles_saved', 10, 2 );

		// A membership plugin's hooks only where it is active (its main class is loaded by
		// plugins_loaded): each hook registered costs every request ~5k instructions.
		# Members: the TagBridge box on its role screens
		if ( class_exists( 'Members_Plugin', false ) ) {
			$this->on( 'members_role_updated', 'members', 'save' );
			$this->on( 'members_role_added', 'members', 'save' );
			$this->on( 'members_load_role_edit', 'members', 'on_screen' );
			$this->on( 'members_load_role_new', 'members', 'on_screen' );
		}

		# WP User Manager: registration form tags, its User Verification add-on's deferral, and the
		# fields it saves (custom fields at priority 20 of its update hook)
		if ( class_exists( 'WPUM', false ) ) {
			$this->on( 'wpum_after_registration', 'wpum', 'registered', 10, 3 );
			$this->on( 'wpumuv_after_user_verification', 'wpum_deferral', 'activate' );
			$this->on( 'wpumuv_after_user_approval', 'wpum_deferral', 'activate' );
			$this->on( 'wpumuv_before_user_rejection', 'wpum_deferral', 'reject' );
			$this->on( 'delete_user', 'wpum_deferral', 'reject' );
			$this->on( 'wpum_after_registration', 'fields', 'mark' );
			$this->on( 'wpum_after_user_update', 'fields', 'mark_third', 30, 3 );
			$this->on( 'wpum_after_custom_user_update', 'fields', 'mark_third', 10, 3 );
		}

		// Ultimate Member defines UM() when it is active; the integration checks the rest.
		if ( function_exists( 'UM' ) ) {
			$this->ultimate_member->register();
		}
		// Webhook add/update: mapped, pull-enabled fields of the contact are written through the field core.
		add_action( 'tagbridge_webhook_contact', array( $this, 'pull_webhook_contact' ), 10, 2 );
		$this->on( 'tagbridge_plan_applied', 'log', 'plan_applied', 10, 2 );

		# Outbox: delivered at the end of the request that queued changes (after the role watcher)
		add_action( 'shutdown', array( $this, 'deliver_outbox' ), 50 );
		// Nothing or "embedded" stored is the embedded CRM without asking Connection, whose file a
		// page view would otherwise load; any other type is Connection's to judge.
		$crm = get_option( self::CONNECTION_OPTION );
		if ( 'embedded' === ( $crm['type'] ?? 'embedded' ) || Connection::is_embedded() ) {
			$this->on( 'deleted_user', 'embedded_crm', 'forget_user' );
		} else {
			// An external CRM learns the site's tag changes through the outbox.
			$this->on( 'tagbridge_tags_applied', 'tag_listener', 'applied', 10, 2 );
			$this->on( 'tagbridge_tags_removed', 'tag_listener', 'removed', 10, 2 );
		}

		# Webhooks: answered by Webhook\EarlyEntry before this boot; the REST route stays for
		// discovery and internal requests. Priority 0: the endpoint adds its own rest_api_init callback.
		add_action( 'rest_api_init', array( $this, 'register_webhooks' ), 0 );
		if ( $background || wp_doing_ajax() ) {
			$this->webhook_runner->register();
		}

		if ( is_admin() ) {
			$this->notices->register();
			( new RolesPage( $this->settings, $this->link_changes, $this->reconcile, $this->notices ) )->register();
			( new OutboxScreen( $this->outbox ) )->register();
			( new LogScreen( $this->log ) )->register();
			( new ConnectionPage() )->register();
			( new ContactFieldsPage( $this->settings, new Discovery() ) )->register();
			( new WebhooksPage( $this->webhooks ) )->register();
			( new WpUserManagerPage( new RegistrationForms(), $this->notices ) )->register();
			( new SitesPage( $this->sites ) )->register();
		}

		# Fields: users are marked where WordPress finished saving (UM and WPUM: their own
		# sections), planned at shutdown
		$this->on( 'user_register', 'fields', 'mark' );
		$this->on( 'profile_update', 'fields', 'mark' );

		# Linked sites: `[tagbridge_site_link site="ID" path="/"]text[/tagbridge_site_link]`, and the sync once a site is linked
		add_shortcode( 'tagbridge_site_link', fn( ...$args ) => $this->site_handover->shortcode( ...$args ) );
		if ( (int) get_option( self::SITES_LINKED_OPTION, 0 ) > 0 ) {
			$this->hook_site_sync();
		}

		# Background: WP-Cron events and the loopback requests that start a run at once
		if ( $background ) {
			$this->on( Runner::CRON_HOOK, 'runner', 'run_background' );
			$this->on( ReconcileJob::CRON_HOOK, 'reconcile', 'continue_in_background' );
			$this->on( SiteQueue::CRON_HOOK, 'site_queue', 'run_background' );
			$this->on( InitialSync::CRON_HOOK, 'site_initial', 'step_all' );
		}
		if ( wp_doing_ajax() ) {
			$this->on( 'wp_ajax_nopriv_' . Runner::AJAX_ACTION, 'runner', 'loopback' );
			$this->on( 'wp_ajax_' . Runner::AJAX_ACTION, 'runner', 'loopback' );
			$this->on( 'wp_ajax_nopriv_' . SiteQueue::AJAX_ACTION, 'site_queue', 'loopback' );
			$this->on( 'wp_ajax_' . SiteQueue::AJAX_ACTION, 'site_queue', 'loopback' );
		}

		// Fields: planned once per user (after the role watcher, priority 1), queued in the outbox
		// (which delivers at priority 50), acknowledged when the CRM took them.
		add_action( 'shutdown', $this->when_built( 'fields', array( $this, 'push_fields' ) ), 5 );
		add_action( 'tagbridge_outbox_delivered', array( $this, 'fields_delivered' ), 10, 2 );
	}

	/**
	 * Registers the linked-sites sync: its hooks only note which users changed; at shutdown the
	 * notes become queued site changes, delivered after the response.
	 */
	private function hook_site_sync() {
		if ( $this->site_sync_hooked ) {
			return;
		}
		$this->site_sync_hooked = true;
		$this->on( 'user_register', 'site_sync', 'created' );
		$this->on( 'profile_update', 'site_sync', 'updated', 10, 2 );
		$this->on( 'add_user_role', 'site_sync', 'note' );
		$this->on( 'remove_user_role', 'site_sync', 'note' );
		$this->on( 'set_user_role', 'site_sync', 'note' );
		$this->on( 'tagbridge_tags_applied', 'site_sync', 'tags_applied', 10, 2 );
		$this->on( 'tagbridge_tags_removed', 'site_sync', 'tags_removed', 10, 2 );
		$this->on( 'delete_user', 'site_sync', 'deleting' );
		add_action( 'shutdown', $this->when_built( 'sites', fn() => $this->site_sync->flush() ), 6 );
		add_action( 'shutdown', $this->when_built( 'sites', fn() => $this->site_queue->end_of_request() ), 60 );
	}

	/**
	 * `rest_api_init`: the REST routes of the settings, reconcile, connection and linked sites.
	 */
	public function register_routes() {
		( new SettingsController( $this->settings ) )->register_routes();
		( new ReconcileController( $this->reconcile ) )->register_routes();
		( new ConnectionController() )->register_routes();
		( new SitesController( $this->sites ) )->register_routes();
	}

	/**
	 * Registers the webhook endpoint and the runner that processes what it accepts.
	 */
	public function register_webhooks() {
		$this->webhook_endpoint->register();
		$this->webhook_runner->register();
		$this->webhook_kicker->register();
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
	 * At shutdown: delivers what this request queued. A method of its own rather than a closure so
	 * that it can be removed (bench/overhead.php measures a request without the delivery).
	 */
	public function deliver_outbox() {
		if ( $this->built( 'outbox' ) ) {
			$this->runner->end_of_request();
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
	 * `pre_get_table_charset`: the charset of TagBridge's tables, which are created with the
	 * site's (get_charset_collate()). wpdb checks every statement carrying non-ASCII text (a tag
	 * such as "Mitglied Ö") against its table's charset, and would otherwise ask the server with
	 * a SHOW FULL COLUMNS query per table per request. (TagBridge writes its tables with plain
	 * statements, never wpdb::insert(), so column charsets are never asked.)
	 *
	 * @param string|null $charset Charset found so far.
	 * @param string      $table   Table.
	 * @return string|null
	 */
	public static function table_charset( $charset, $table ) {
		global $wpdb;
		if ( null !== $charset || '' === (string) $wpdb->charset || 0 !== strpos( (string) $table, $wpdb->prefix . 'tagbridge_' ) ) {
			return $charset;
		}
		return $wpdb->charset;
	}

	/**
	 * Loads translations.
	 */
	public static function load_textdomain() {
		// The strings are written in US English, and WordPress loads a translation it installed
		// itself (wp-content/languages/plugins) on first use: only another locale looks for one in
		// the plugin's folder (two file checks, ~40k instructions, on every request).
		if ( 'en_US' !== determine_locale() ) {
			load_plugin_textdomain( 'tagbridge', false, dirname( plugin_basename( TAGBRIDGE_FILE ) ) . '/languages' );
		}
	}
}
