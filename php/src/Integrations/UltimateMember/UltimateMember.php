<?php
/**
 * Ultimate Member (2.13): builds the UM pieces and registers them when UM is active.
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

use TagBridge\Admin\Notices;
use TagBridge\Fields\FieldPull;
use TagBridge\Outbox\Outbox;
use TagBridge\Roles\RoleTagSync;
use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * The UM integration.
 */
final class UltimateMember {

	/**
	 * UM settings (built by register() when UM is active, like every piece below).
	 *
	 * @var Options|null
	 */
	public $options;

	/**
	 * Defer until activation.
	 *
	 * @var Deferral|null
	 */
	public $deferral;

	/**
	 * Profile pull.
	 *
	 * @var ProfilePull|null
	 */
	public $pull;

	/**
	 * Webhook users (for the webhook endpoint).
	 *
	 * @var WebhookUsers|null
	 */
	public $webhook_users;

	/**
	 * What the pieces are built from: settings, sync, outbox, pull applier, notices.
	 *
	 * @var array{0: SettingsStore, 1: RoleTagSync, 2: Outbox, 3: FieldPull, 4: Notices}
	 */
	private $services;

	/**
	 * Whether register() ran.
	 *
	 * @var bool
	 */
	private $registered = false;

	/**
	 * Keeps what the pieces need; they are built only when UM is active, so a site without UM
	 * loads none of their files.
	 *
	 * @param SettingsStore $settings Settings store.
	 * @param RoleTagSync   $sync     Roles ↔ tags flow.
	 * @param Outbox        $outbox   Outbox.
	 * @param FieldPull     $pull     Pull applier.
	 * @param Notices       $notices  Admin notices.
	 */
	public function __construct( SettingsStore $settings, RoleTagSync $sync, Outbox $outbox, FieldPull $pull, Notices $notices ) {
		$this->services = array( $settings, $sync, $outbox, $pull, $notices );
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
	 * Registers every piece once, when UM is active.
	 *
	 * @return bool Whether the integration is registered.
	 */
	public function register() {
		if ( ! $this->registered && self::is_active() ) {
			$this->registered = true;
			foreach ( $this->build() as $part ) {
				$part->register();
			}
		}
		return $this->registered;
	}

	/**
	 * Builds the pieces.
	 *
	 * @return object[] The pieces to register with WordPress.
	 */
	private function build() {
		list( $settings, $sync, $outbox, $pull, $notices ) = $this->services;
		$this->options       = new Options();
		$this->deferral      = new Deferral( $this->options, $outbox, $sync );
		$this->pull          = new ProfilePull( $this->options, $pull );
		$this->webhook_users = new WebhookUsers();
		return array(
			$this->deferral,
			$this->pull,
			new RegistrationTags( $this->deferral, $sync, $notices ),
			new DeactivationTag( $this->options ),
			new DefaultRole(),
			new ProfileCompleteness( $this->options, $sync ),
			new RoleBox( $settings, $this->options, $notices ),
			new SettingsPage( $this->options ),
			$this->webhook_users,
		);
	}
}
