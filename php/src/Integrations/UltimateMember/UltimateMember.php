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
	 * UM settings.
	 *
	 * @var Options
	 */
	public $options;

	/**
	 * Defer until activation.
	 *
	 * @var Deferral
	 */
	public $deferral;

	/**
	 * Profile pull.
	 *
	 * @var ProfilePull
	 */
	public $pull;

	/**
	 * Webhook users (for the webhook endpoint).
	 *
	 * @var WebhookUsers
	 */
	public $webhook_users;

	/**
	 * Pieces registered with WordPress.
	 *
	 * @var object[]
	 */
	private $parts;

	/**
	 * Whether register() ran.
	 *
	 * @var bool
	 */
	private $registered = false;

	/**
	 * Builds the pieces.
	 *
	 * @param SettingsStore $settings Settings store.
	 * @param RoleTagSync   $sync     Roles ↔ tags flow.
	 * @param Outbox        $outbox   Outbox.
	 * @param FieldPull     $pull     Pull applier.
	 * @param Notices       $notices  Admin notices.
	 */
	public function __construct( SettingsStore $settings, RoleTagSync $sync, Outbox $outbox, FieldPull $pull, Notices $notices ) {
		$this->options       = new Options();
		$this->deferral      = new Deferral( $this->options, $outbox, $sync );
		$this->pull          = new ProfilePull( $this->options, $pull );
		$this->webhook_users = new WebhookUsers();
		$this->parts         = array(
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
			foreach ( $this->parts as $part ) {
				$part->register();
			}
		}
		return $this->registered;
	}
}
