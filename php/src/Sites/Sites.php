<?php
/**
 * The linked-sites feature, built once and registered from the composition root.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Engine\Engine;
use TagBridge\Log\Logger;
use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagStore;

defined( 'ABSPATH' ) || exit;

/**
 * Holds the linked-sites services.
 */
final class Sites {

	/** @var Links */
	public $links;

	/** @var Signer */
	public $signer;

	/** @var Pairing */
	public $pairing;

	/** @var SiteQueue */
	public $queue;

	/** @var SiteSync */
	public $sync;

	/** @var Receiver */
	public $receiver;

	/** @var Handover */
	public $handover;

	/** @var InitialSync */
	public $initial;

	/**
	 * Builds the services.
	 *
	 * @param Engine        $engine   Extension wrapper.
	 * @param SettingsStore $settings Settings.
	 * @param TagStore      $tags     Tags.
	 * @param Logger        $log      Log.
	 */
	public function __construct( Engine $engine, SettingsStore $settings, TagStore $tags, Logger $log ) {
		$protection     = new Protection( $settings );
		$this->links    = new Links();
		$this->signer   = new Signer( $this->links );
		$this->pairing  = new Pairing( $this->links );
		$this->queue    = new SiteQueue( $this->links, $engine, $log );
		$this->sync     = new SiteSync( $this->links, $this->queue, $tags, $protection );
		$this->receiver = new Receiver( $this->sync, $protection );
		$this->handover = new Handover( $this->links, $this->signer, $protection );
		$this->initial  = new InitialSync( $this->links, $this->sync );
	}

	/**
	 * CREATE TABLE statements.
	 *
	 * @return string[]
	 */
	public static function schema() {
		return array( SiteQueue::schema() );
	}
}
