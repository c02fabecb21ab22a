<?php
/**
 * Lists the fields a site can map, grouped by where they come from: WordPress, Ultimate Member,
 * WP User Manager. A plugin's heading appears only while that plugin is active.
 *
 * @package TagBridge
 */

namespace TagBridge\Fields;

defined( 'ABSPATH' ) || exit;

/**
 * Reads field definitions from WordPress, UM's options and form meta, and WPUM's field tables.
 *
 * @phpstan-type Field array{label: string, type: string}
 */
final class Discovery {

	/** Headings in display order (the `source` names of the field map). */
	const WORDPRESS       = 'wordpress';
	const ULTIMATE_MEMBER = 'ultimate_member';
	const WP_USER_MANAGER = 'wp_user_manager';

	/** Keys never offered: secrets and what role links manage. */
	const NEVER = array( 'user_pass', 'user_password', 'confirm_user_password', 'session_tokens', 'role', 'roles', 'user_activation_key' );

	/** UM field types that hold no user value (layout) or a secret. */
	const UM_SKIP_TYPES = array( 'row', 'block', 'shortcode', 'spacing', 'divider', 'group', 'password' );

	/** UM field type → TagBridge type. */
	const UM_TYPES = array(
		'textarea'    => 'textarea',
		'number'      => 'int',
		'date'        => 'date',
		'checkbox'    => 'multiselect',
		'multiselect' => 'multiselect',
		'bool'        => 'checkbox',
	);

	/** WPUM field type → TagBridge type. */
	const WPUM_TYPES = array(
		'textarea'      => 'textarea',
		'wysiwyg'       => 'textarea',
		'number'        => 'int',
		'datepicker'    => 'date',
		'checkbox'      => 'checkbox',
		'multicheckbox' => 'multiselect',
		'multiselect'   => 'multiselect',
		'telephone'     => 'tel',
	);

	/** WPUM primary field (its `user_meta_key`) → where the value is stored. */
	const WPUM_PRIMARY = array(
		'username'         => 'user_login',
		'user_email'       => 'user_email',
		'firstname'        => 'first_name',
		'lastname'         => 'last_name',
		'user_website'     => 'user_url',
		'user_description' => 'description',
		'user_displayname' => 'display_name',
		'user_nickname'    => 'nickname',
		'user_avatar'      => 'current_user_avatar',
		'user_cover'       => 'user_cover',
	);

	/**
	 * WordPress core user fields with their default type. While WP User Manager is active, its
	 * primary fields (names, email, website, description, display name, nickname, username) are
	 * listed under WP User Manager instead, with WPUM's labels.
	 *
	 * @return array<string, array{label: string, type: string}>
	 */
	public static function core_fields() {
		$text = static fn( $label ) => array(
			'label' => $label,
			'type'  => 'text',
		);
		return array(
			'user_email'      => $text( __( 'Email', 'tagbridge' ) ),
			'first_name'      => $text( __( 'First name', 'tagbridge' ) ),
			'last_name'       => $text( __( 'Last name', 'tagbridge' ) ),
			'display_name'    => $text( __( 'Display name', 'tagbridge' ) ),
			'nickname'        => $text( __( 'Nickname', 'tagbridge' ) ),
			'user_login'      => $text( __( 'Username', 'tagbridge' ) ),
			'user_nicename'   => $text( __( 'Nicename (URL slug)', 'tagbridge' ) ),
			'user_url'        => $text( __( 'Website', 'tagbridge' ) ),
			'description'     => array(
				'label' => __( 'Biographical info', 'tagbridge' ),
				'type'  => 'textarea',
			),
			'locale'          => $text( __( 'Language', 'tagbridge' ) ),
			'user_registered' => array(
				'label' => __( 'Registration date', 'tagbridge' ),
				'type'  => 'date',
			),
		);
	}

	/**
	 * Whether Ultimate Member is active (its main class, as WP Fusion detects it).
	 *
	 * @return bool
	 */
	public static function ultimate_member_active() {
		return class_exists( 'UM' );
	}

	/**
	 * Whether WP User Manager is active (its main class, as WP Fusion detects it).
	 *
	 * @return bool
	 */
	public static function wp_user_manager_active() {
		return class_exists( 'WPUM' );
	}

	/**
	 * Every mappable field by heading; inactive plugins' headings are absent. A key appears once
	 * (the screen posts one row per key): WPUM's primary fields under WP User Manager, other core
	 * fields under WordPress, anything else under the first plugin that defines it.
	 *
	 * @return array<string, array<string, array{label: string, type: string}>>
	 */
	public function available() {
		$groups = array( self::WORDPRESS => self::core_fields() );
		if ( self::ultimate_member_active() ) {
			$groups[ self::ULTIMATE_MEMBER ] = $this->ultimate_member();
		}
		$wpum_primary = array();
		if ( self::wp_user_manager_active() ) {
			$groups[ self::WP_USER_MANAGER ] = $this->wp_user_manager();
			$wpum_primary                    = array_intersect_key( $groups[ self::WP_USER_MANAGER ], $groups[ self::WORDPRESS ] );
		}
		$seen = array();
		foreach ( $groups as $heading => $fields ) {
			foreach ( array_keys( $fields ) as $key ) {
				if ( isset( $seen[ $key ] ) || in_array( $key, self::NEVER, true ) ) {
					unset( $groups[ $heading ][ $key ] );
				}
				$seen[ $key ] = true;
			}
		}
		if ( $wpum_primary ) {
			$groups[ self::WORDPRESS ]       = array_diff_key( $groups[ self::WORDPRESS ], $wpum_primary );
			$groups[ self::WP_USER_MANAGER ] = $wpum_primary + $groups[ self::WP_USER_MANAGER ];
		}
		return $groups;
	}

	/**
	 * UM fields: the site-wide library (option `um_fields`) and each form's `_um_custom_fields`.
	 *
	 * @return array<string, array{label: string, type: string}>
	 */
	private function ultimate_member() {
		$defs = array();
		$library = get_option( 'um_fields', array() );
		if ( is_array( $library ) ) {
			$defs[] = array( $library, 0 );
		}
		$forms = get_posts(
			array(
				'post_type'      => 'um_form',
				'post_status'    => 'any',
				'posts_per_page' => -1,
				'fields'         => 'ids',
			)
		);
		foreach ( $forms as $form_id ) {
			$fields = get_post_meta( $form_id, '_um_custom_fields', true );
			if ( is_array( $fields ) ) {
				$defs[] = array( $fields, (int) $form_id );
			}
		}
		$out = array();
		foreach ( $defs as list( $fields, $form_id ) ) {
			foreach ( $fields as $id => $field ) {
				if ( ! is_array( $field ) || in_array( $field['type'] ?? '', self::UM_SKIP_TYPES, true ) ) {
					continue;
				}
				$key = (string) ( $field['metakey'] ?? $id );
				// Form inputs are named {metakey}-{form_id}; the stored meta key has no suffix.
				$suffix = '-' . $form_id;
				if ( $form_id && substr( $key, -strlen( $suffix ) ) === $suffix ) {
					$key = substr( $key, 0, -strlen( $suffix ) );
				}
				if ( '' === $key || 0 === strpos( $key, '_um_row_' ) || isset( $out[ $key ] ) ) {
					continue;
				}
				$out[ $key ] = array(
					'label' => self::label( $field['label'] ?? ( $field['title'] ?? '' ), $key ),
					'type'  => self::um_type( $key, $field ),
				);
			}
		}
		return $out;
	}

	/**
	 * TagBridge type of a UM field.
	 *
	 * @param string $key   Meta key.
	 * @param array  $field UM field definition.
	 * @return string
	 */
	private static function um_type( $key, array $field ) {
		if ( in_array( $key, array( 'phone_number', 'mobile_number' ), true ) || 'phone_number' === ( $field['validate'] ?? '' ) ) {
			return 'tel';
		}
		if ( 'country' === $key ) {
			return 'country';
		}
		return self::UM_TYPES[ $field['type'] ?? '' ] ?? 'text';
	}

	/**
	 * WPUM fields from `{prefix}wpum_fields` and `{prefix}wpum_fieldmeta`: the primary fields (under
	 * the key their value is stored at) and every Custom Fields add-on field (`wpum_*` meta).
	 *
	 * @return array<string, array{label: string, type: string}>
	 */
	private function wp_user_manager() {
		global $wpdb;
		$fields = $wpdb->prefix . 'wpum_fields';
		$meta   = $wpdb->prefix . 'wpum_fieldmeta';
		if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $meta ) ) ) !== $meta ) {
			return array();
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WPUM's own tables; no WordPress API reads them.
		$rows = $wpdb->get_results(
			"SELECT f.type, f.name, m.meta_value AS meta_key FROM {$fields} f JOIN {$meta} m ON m.wpum_field_id = f.id AND m.meta_key = 'user_meta_key' ORDER BY f.group_id, f.field_order", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names only.
			ARRAY_A
		);
		$core = self::core_fields();
		$out  = array();
		foreach ( (array) $rows as $row ) {
			$key = (string) $row['meta_key'];
			if ( isset( self::WPUM_PRIMARY[ $key ] ) ) {
				$key = self::WPUM_PRIMARY[ $key ];
			} elseif ( 0 !== strpos( $key, 'wpum_' ) ) {
				continue; // The password and anything not stored as a user value.
			}
			if ( 'password' === $row['type'] ) {
				continue;
			}
			$out[ $key ] = array(
				'label' => self::label( $row['name'], $key ),
				'type'  => $core[ $key ]['type'] ?? ( self::WPUM_TYPES[ $row['type'] ] ?? 'text' ),
			);
		}
		return $out;
	}

	/**
	 * A plain-text label, falling back to the key.
	 *
	 * @param mixed  $label Label from the plugin.
	 * @param string $key   Meta key.
	 * @return string
	 */
	private static function label( $label, $key ) {
		$label = is_string( $label ) ? trim( wp_strip_all_tags( $label ) ) : '';
		return '' === $label ? $key : $label;
	}
}
