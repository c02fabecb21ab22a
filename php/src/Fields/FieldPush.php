<?php
/**
 * Push points: marks users whose mapped fields may have changed at the points where WordPress,
 * Ultimate Member and WP User Manager have finished saving, and once per request asks the
 * extension which fields changed since the last successful push.
 *
 * Several hooks fire for one save (a UM registration fires user_register, profile_update up to
 * three times and UM's own hooks), so hooks only mark a user dirty; flush() plans each dirty user
 * once. flush() runs at shutdown, which also runs after the plugins' redirect-and-exit.
 *
 * @package TagBridge
 */

namespace TagBridge\Fields;

use TagBridge\Engine\Engine;
use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * Coalesces field changes per request and plans the payloads.
 */
final class FieldPush {

	/** User meta holding the CRM field → value map of the last acknowledged push. */
	const SNAPSHOT_META = '_tagbridge_pushed_fields';

	/**
	 * Extension wrapper.
	 *
	 * @var Engine
	 */
	private $engine;

	/**
	 * Settings.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Field reader.
	 *
	 * @var UserFields
	 */
	private $fields;

	/**
	 * Users marked in this request, as keys.
	 *
	 * @var array<int, true>
	 */
	private $dirty = array();

	/**
	 * Builds the service.
	 *
	 * @param Engine        $engine   Extension wrapper.
	 * @param SettingsStore $settings Settings.
	 * @param UserFields    $fields   Field reader.
	 */
	public function __construct( Engine $engine, SettingsStore $settings, UserFields $fields ) {
		$this->engine   = $engine;
		$this->settings = $settings;
		$this->fields   = $fields;
	}

	/**
	 * Marks a user whose id is the hook's first argument.
	 *
	 * @param int $user_id User.
	 */
	public function mark( $user_id ) {
		if ( (int) $user_id > 0 ) {
			$this->dirty[ (int) $user_id ] = true;
		}
	}

	/**
	 * `um_user_after_updating_profile( $to_update, $user_id )`.
	 *
	 * @param mixed $to_update Changed values (unused: the stored values are read at flush).
	 * @param int   $user_id   User.
	 */
	public function mark_second( $to_update, $user_id ) {
		$this->mark( $user_id );
	}

	/**
	 * `wpum_after_user_update` / `wpum_after_custom_user_update( $form, $values, $user_id )`.
	 *
	 * @param mixed $form    WPUM form (unused).
	 * @param mixed $values  Submitted values (unused: the stored values are read at flush).
	 * @param int   $user_id User.
	 */
	public function mark_third( $form, $values, $user_id ) {
		$this->mark( $user_id );
	}

	/**
	 * Plans every user marked in this request and forgets them.
	 *
	 * @return array<int, array<string, mixed>> User id => CRM field => value, only non-empty payloads.
	 */
	public function flush() {
		$users       = array_keys( $this->dirty );
		$this->dirty = array();
		if ( ! $users ) {
			return array();
		}
		$keys = array();
		foreach ( $this->settings->get()['fields'] as $field ) {
			if ( 'pull' !== ( $field['direction'] ?? 'push' ) ) {
				$keys[] = $field['key'];
			}
		}
		if ( ! $keys ) {
			return array();
		}
		$version = $this->settings->compiled();
		if ( is_wp_error( $version ) ) {
			return array();
		}
		$context  = array( 'site_offset' => UserFields::site_offset() );
		$payloads = array();
		foreach ( $users as $user_id ) {
			$values = $this->fields->read( $user_id, $keys );
			if ( null === $values ) {
				continue;
			}
			try {
				$plan = $this->engine->fields_push( $version, $values, $this->snapshot( $user_id ), $context );
			} catch ( \TagBridge\Ext\Exception $e ) {
				// Runs at shutdown: a refused user (e.g. a corrupt snapshot) must not break the request.
				continue;
			}
			if ( $plan['payload'] ) {
				$payloads[ $user_id ] = $plan['payload'];
			}
			foreach ( $plan['log'] as $entry ) {
				/**
				 * Fires for each mapped field left out of a push, with the reason (never the value).
				 *
				 * @param array $entry   `{key, crm_field, code, message}`.
				 * @param int   $user_id User.
				 */
				do_action( 'tagbridge_field_skipped', $entry, $user_id );
			}
		}
		return $payloads;
	}

	/**
	 * Records fields the CRM accepted, so they are not sent again until they change.
	 *
	 * @param int                  $user_id User.
	 * @param array<string, mixed> $fields  CRM field => value delivered.
	 */
	public function acknowledge( $user_id, array $fields ) {
		update_user_meta( $user_id, self::SNAPSHOT_META, array_merge( $this->snapshot( $user_id ), $fields ) );
	}

	/**
	 * The CRM field → value map of the last acknowledged push.
	 *
	 * @param int $user_id User.
	 * @return array
	 */
	private function snapshot( $user_id ) {
		$snapshot = get_user_meta( $user_id, self::SNAPSHOT_META, true );
		return is_array( $snapshot ) ? $snapshot : array();
	}
}
