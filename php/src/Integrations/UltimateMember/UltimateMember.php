<?php
/**
 * Ultimate Member (2.13): registers the UM pieces' hooks when UM is active, each piece built when
 * one of its hooks first fires (a registration builds the deferral and the form tags, never the
 * role box or the profile pull).
 *
 * UM is detected by its class `UM` (as field discovery does). Unlike Members, the hooks here are
 * not all UM-named: the deactivation tag listens to TagBridge's tag actions, completeness to
 * user meta writes, the default role to TagBridge's fallback filter — and they call UM's API — so
 * nothing is registered without UM. Plugin::boot() runs on plugins_loaded, after every plugin
 * file (UM's included) is loaded.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use TagBridge\Plugin;
use TagBridge\Services;

defined( 'ABSPATH' ) || exit;

/**
 * The UM integration. Its pieces are read as properties and built on first read.
 *
 * @property-read Options             $options       UM settings.
 * @property-read Deferral            $deferral      Defer until activation.
 * @property-read ProfilePull         $pull          Profile pull.
 * @property-read RegistrationTags    $form_tags     Registration form tags.
 * @property-read DeactivationTag     $deactivation  Deactivation tag.
 * @property-read DefaultRole         $default_role  UM's default role as the fallback role.
 * @property-read ProfileCompleteness $completeness  Profile Completeness tags.
 * @property-read RoleBox             $role_box      The box on UM's role screen.
 * @property-read WebhookUsers        $webhook_users Webhook users (for the webhook endpoint).
 */
final class UltimateMember {

	/**
	 * The plugin's services the pieces are built from.
	 *
	 * @var Services
	 */
	private $services;

	/**
	 * The pieces built so far, by name.
	 *
	 * @var array<string, object>
	 */
	private $pieces = array();

	/**
	 * Whether register() ran.
	 *
	 * @var bool
	 */
	private $registered = false;

	/**
	 * Keeps what the pieces are built from; nothing is built before a hook needs it.
	 *
	 * @param Services $services The plugin's services.
	 */
	public function __construct( Services $services ) {
		$this->services = $services;
	}

	/**
	 * Whether Ultimate Member is active.
	 *
	 * @return bool
	 */
	public static function is_active() {
		return class_exists( 'UM' ) && function_exists( 'UM' );
	}

	/**
	 * A piece, built on first use.
	 *
	 * @param string $name Piece name (see the class's property list).
	 * @return object
	 */
	public function __get( $name ) {
		if ( ! isset( $this->pieces[ $name ] ) ) {
			$s                     = $this->services;
			$this->pieces[ $name ] = match ( $name ) {
				'options'       => new Options(),
				'deferral'      => new Deferral( $this->options, $s->outbox, $s->sync ),
				'pull'          => new ProfilePull( $this->options, $s->pull ),
				'form_tags'     => new RegistrationTags( $this->deferral, $s->sync, $s->notices ),
				'deactivation'  => new DeactivationTag( $this->options ),
				'default_role'  => new DefaultRole(),
				'completeness'  => new ProfileCompleteness( $this->options, $s->sync ),
				'role_box'      => new RoleBox( $s->settings, $this->options, $s->notices ),
				'webhook_users' => new WebhookUsers(),
			};
		}
		return $this->pieces[ $name ];
	}

	/**
	 * Registers every piece's hooks once, when UM is active.
	 *
	 * @return bool Whether the integration is registered.
	 */
	public function register() {
		if ( $this->registered || ! self::is_active() ) {
			return $this->registered;
		}
		$this->registered = true;

		# Actions: defer until activation
		// Before UM's handler at 10 creates the user.
		$this->on( 'um_submit_form_register', 'deferral', 'registering', 5, 0 );
		// Before anything else sees the new user (FieldPush marks at 10).
		$this->on( 'user_register', 'deferral', 'user_created', 1 );
		$this->on( 'um_after_user_is_approved', 'deferral', 'approved' );
		$this->on( 'um_after_user_is_rejected', 'deferral', 'drop' );
		$this->on( 'delete_user', 'deferral', 'drop' );

		# Actions
		$this->on( 'um_access_profile', 'pull', 'profile_opened' );
		$this->on( 'add_meta_boxes_um_form', 'form_tags', 'add_box' );
		$this->on( 'save_post_um_form', 'form_tags', 'save' );
		$this->on( 'um_registration_complete', 'form_tags', 'registered', 20, 3 );
		$this->on( 'tagbridge_tags_applied', 'deactivation', 'applied', 10, 2 );
		$this->on( 'tagbridge_tags_removed', 'deactivation', 'removed', 10, 2 );
		Plugin::watch_user_meta( '_completed', array( 'added_user_meta', 'updated_user_meta' ), Plugin::lazy_callback( $this, 'completeness', 'meta_written' ), 10, 4 );
		$this->on( 'tagbridge_webhook_user_created', 'webhook_users', 'webhook_user_created', 10, 3 );
		// Fields: users are marked where UM finished saving, planned at shutdown (Plugin's field push).
		Plugin::lazy_hook( 'um_after_save_registration_details', Plugin::instance(), 'fields', 'mark' );
		Plugin::lazy_hook( 'um_after_user_updated', Plugin::instance(), 'fields', 'mark' );
		Plugin::lazy_hook( 'um_user_after_updating_profile', Plugin::instance(), 'fields', 'mark_second', 10, 2 );

		# Filters
		$this->on( 'tagbridge_fallback_role', 'default_role', 'fallback' );
		$this->on( 'um_admin_role_metaboxes', 'role_box', 'add_box' );
		$this->on( 'um_role_edit_data', 'role_box', 'save', 10, 3 );

		if ( is_admin() ) {
			( new SettingsPage( $this->options ) )->register();
		}
		return true;
	}

	/**
	 * Registers a hook whose callback is a method of a piece built when the hook first fires.
	 *
	 * @param string $hook     Action or filter.
	 * @param string $piece    Piece name.
	 * @param string $method   Method of the piece.
	 * @param int    $priority Priority.
	 * @param int    $args     Arguments the callback takes.
	 */
	private function on( $hook, $piece, $method, $priority = 10, $args = 1 ) {
		Plugin::lazy_hook( $hook, $this, $piece, $method, $priority, $args );
	}
}
