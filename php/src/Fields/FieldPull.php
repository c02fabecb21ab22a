<?php
/**
 * Pull applier: writes CRM values into a user through the field core's pull plan
 * (tagbridge_fields_pull), so the pull rules (blank never erases, protected keys and users are
 * never written, values equal once formatted are not rewritten) are decided in one place.
 *
 * Used by every pull source (a profile load, a webhook): give it what the CRM holds, it writes
 * only what the plan says.
 *
 * @package TagBridge
 */

namespace TagBridge\Fields;

use TagBridge\Engine\Engine;
use TagBridge\Outbox\Outbox;
use TagBridge\Settings\SettingsStore;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * CRM values → plan → user fields and meta.
 */
final class FieldPull {

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
	 * Field push (its snapshot learns the pulled values, so they are not pushed back).
	 *
	 * @var FieldPush
	 */
	private $push;

	/**
	 * Outbox (writes run as a CRM event).
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Builds the applier.
	 *
	 * @param Engine        $engine   Extension wrapper.
	 * @param SettingsStore $settings Settings.
	 * @param UserFields    $fields   Field reader.
	 * @param FieldPush     $push     Field push.
	 * @param Outbox        $outbox   Outbox.
	 */
	public function __construct( Engine $engine, SettingsStore $settings, UserFields $fields, FieldPush $push, Outbox $outbox ) {
		$this->engine   = $engine;
		$this->settings = $settings;
		$this->fields   = $fields;
		$this->push     = $push;
		$this->outbox   = $outbox;
	}

	/**
	 * Writes the CRM's values into a user, as the pull plan says.
	 *
	 * @param int                  $user_id    User.
	 * @param array<string, mixed> $crm_values CRM field => value as the CRM returned it.
	 * @return array<string, mixed>|WP_Error WordPress key => value written; nothing is written on error.
	 */
	public function apply( $user_id, array $crm_values ) {
		$user = get_userdata( (int) $user_id );
		if ( ! $user ) {
			return new WP_Error( 'tagbridge_unknown_user', __( 'No such user.', 'tagbridge' ) );
		}
		$version = $this->settings->compiled();
		if ( is_wp_error( $version ) ) {
			return $version;
		}
		$keys = array();
		$held = array();
		foreach ( $this->settings->get()['fields'] as $field ) {
			if ( 'push' !== ( $field['direction'] ?? 'push' ) ) {
				$keys[ $field['key'] ] = $field['crm_field'];
			}
			// Whatever the CRM sent is what it holds, pulled or not: the next push is diffed against
			// it, so values the site already agrees with are not sent back.
			if ( array_key_exists( $field['crm_field'], $crm_values ) ) {
				$held[ $field['crm_field'] ] = $crm_values[ $field['crm_field'] ];
			}
		}
		if ( ! $keys ) {
			$this->acknowledge( $user->ID, $held );
			return array();
		}
		$context = array(
			'site_offset' => UserFields::site_offset(),
			'user'        => array(
				'exists' => true,
				'roles'   => array_values( $user->roles ),
				'caps'    => array_keys( array_filter( $user->allcaps ) ),
			),
		);
		try {
			$plan = $this->engine->fields_pull( $version, $crm_values, (array) $this->fields->read( $user->ID, array_keys( $keys ) ), $context );
		} catch ( \TagBridge\Ext\Exception $e ) {
			return new WP_Error( 'tagbridge_invalid_pull', $e->getMessage() );
		}
		$writes = $plan['writes'];
		if ( $writes ) {
			$this->outbox->from_crm( fn() => $this->write( $user->ID, $writes ) );
		}
		$this->acknowledge( $user->ID, $held );
		return $writes;
	}

	/**
	 * A contact a webhook brought: its mapped fields, plus its names and email for the fields mapped
	 * to WordPress's own first_name, last_name and user_email (the CRM sends those at the top level).
	 *
	 * @param int   $user_id User.
	 * @param array $contact `{email, first_name, last_name, fields, ...}`.
	 * @return array<string, mixed>|WP_Error As apply().
	 */
	public function apply_contact( $user_id, array $contact ) {
		$values = is_array( $contact['fields'] ?? null ) ? $contact['fields'] : array();
		$own    = array(
			'first_name' => 'first_name',
			'last_name'  => 'last_name',
			'user_email' => 'email',
		);
		foreach ( $this->settings->get()['fields'] as $field ) {
			$top = $own[ $field['key'] ] ?? null;
			if ( null !== $top && isset( $contact[ $top ] ) && ! array_key_exists( $field['crm_field'], $values ) ) {
				$values[ $field['crm_field'] ] = $contact[ $top ];
			}
		}
		return $values ? $this->apply( $user_id, $values ) : array();
	}

	/**
	 * Records CRM values as acknowledged (see FieldPush::acknowledge()).
	 *
	 * @param int                  $user_id User.
	 * @param array<string, mixed> $held    CRM field => value the CRM holds.
	 */
	private function acknowledge( $user_id, array $held ) {
		if ( $held ) {
			$this->push->acknowledge( $user_id, $held );
		}
	}

	/**
	 * Stores planned writes: user table columns through wp_update_user(), the rest as user meta.
	 *
	 * @param int                  $user_id User.
	 * @param array<string, mixed> $writes  WordPress key => value.
	 */
	private function write( $user_id, array $writes ) {
		$columns = array();
		foreach ( $writes as $key => $value ) {
			if ( in_array( $key, UserFields::USER_COLUMNS, true ) ) {
				$columns[ $key ] = $value;
			} else {
				update_user_meta( $user_id, $key, $value );
			}
		}
		if ( $columns ) {
			wp_update_user( array( 'ID' => $user_id ) + $columns );
		}
	}
}
