<?php
/**
 * Pull on profile load: refreshes the viewed user's mapped fields from the CRM when their UM
 * profile is opened — at most once per freshness window per user, with a short timeout on the CRM
 * call (a slow CRM means the page is served from local data), written only through the field
 * core's pull rules, then UM's profile cache of that user is cleared.
 *
 * Hooked on `um_access_profile` (template_redirect, before the profile is rendered) rather than
 * during output, so the pulled values show on this very load (pitfall 23).
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use TagBridge\Crm\Connection;
use TagBridge\Fields\FieldPull;
use TagBridge\Outbox\Deliverer;

defined( 'ABSPATH' ) || exit;

/**
 * Bounded CRM → profile refresh.
 */
final class ProfilePull {

	/** User meta: Unix time of the last pull attempt. */
	const PULLED_META = '_tagbridge_um_pulled_at';

	/** Seconds the CRM may take before the page goes on without it. */
	const TIMEOUT = 2;

	/**
	 * Settings.
	 *
	 * @var Options
	 */
	private $options;

	/**
	 * Pull applier.
	 *
	 * @var FieldPull
	 */
	private $pull;

	/**
	 * Builds the service.
	 *
	 * @param Options   $options Settings.
	 * @param FieldPull $pull    Pull applier.
	 */
	public function __construct( Options $options, FieldPull $pull ) {
		$this->options = $options;
		$this->pull    = $pull;
	}

	/**
	 * A UM profile is being opened.
	 *
	 * @param int $user_id The profile's user (not necessarily the viewer).
	 * @return bool Whether the CRM was asked.
	 */
	public function profile_opened( $user_id ) {
		$settings = $this->options->get();
		$user_id  = (int) $user_id;
		if ( ! $settings['pull'] || ! get_userdata( $user_id ) ) {
			return false;
		}
		$now  = time();
		$last = (int) get_user_meta( $user_id, self::PULLED_META, true );
		if ( $last > 0 && $now - $last < $settings['pull_window'] * MINUTE_IN_SECONDS ) {
			return false;
		}
		// Recorded before asking: a slow or failing CRM is asked again only after the window.
		update_user_meta( $user_id, self::PULLED_META, $now );
		$values = $this->fetch( $user_id );
		if ( null === $values ) {
			return true;
		}
		$written = $this->pull->apply( $user_id, $values );
		if ( ! is_wp_error( $written ) && $written ) {
			UM()->user()->remove_cache( $user_id );
		}
		return true;
	}

	/**
	 * The user's contact fields in the CRM, or null when unknown or the CRM did not answer in time.
	 *
	 * @param int $user_id User.
	 * @return array<string, mixed>|null
	 */
	private function fetch( $user_id ) {
		$crm = Connection::crm();
		if ( is_wp_error( $crm ) ) {
			return null;
		}
		$contact_id = (string) get_user_meta( $user_id, Deliverer::CONTACT_META . $crm->id(), true );
		if ( '' === $contact_id ) {
			return null; // Never delivered: the CRM has nothing newer than the site.
		}
		$cap = static function ( $args ) {
			$args['timeout'] = min( (float) ( $args['timeout'] ?? self::TIMEOUT ), self::TIMEOUT );
			return $args;
		};
		add_filter( 'http_request_args', $cap );
		try {
			$result = $crm->get_contact( $contact_id );
		} finally {
			remove_filter( 'http_request_args', $cap );
		}
		return $result->is_ok() && isset( $result->value['fields'] ) && is_array( $result->value['fields'] ) ? $result->value['fields'] : null;
	}
}
