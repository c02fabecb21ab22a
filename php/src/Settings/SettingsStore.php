<?php
/**
 * The `tagbridge_settings` option: read, validated write, and its compiled form in the extension.
 *
 * @package TagBridge
 */

namespace TagBridge\Settings;

use TagBridge\Engine\Engine;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One option holds every setting; the extension validates and compiles it.
 *
 * @phpstan-type SettingsArray array{revision: int, role_links: list<array{role: string, tag: string}>, fields: list<array<string, string>>}
 */
final class SettingsStore {

	/** The option name. */
	const OPTION = 'tagbridge_settings';

	/**
	 * Extension wrapper.
	 *
	 * @var Engine
	 */
	private $engine;

	/**
	 * Version compiled during this request, so repeated lookups cost nothing.
	 *
	 * @var string|null
	 */
	private $compiled_version = null;

	/**
	 * The last version computed, with what it was computed from: `[settings, site facts, version]`.
	 *
	 * @var array{0: array, 1: array, 2: string}|null
	 */
	private $version_of = null;

	/**
	 * Option writes (and blog switches) seen in this process: what the version is computed from
	 * (settings, roles, the fallback role of a membership plugin's options) changes only with one.
	 *
	 * @var int
	 */
	private static $epoch = 0;

	/**
	 * When $version_of was last checked: [epoch, Unix time].
	 *
	 * @var array{0: int, 1: int}
	 */
	private $version_at = array( -1, 0 );

	/**
	 * The stored settings with defaults, as get() last read them.
	 *
	 * @var array|null
	 */
	private $settings = null;

	/**
	 * The autoloaded option text $settings was read from (null: not autoloaded, read every time).
	 *
	 * @var string|null
	 */
	private $settings_raw = null;

	/**
	 * Builds the store.
	 *
	 * @param Engine $engine Extension wrapper.
	 */
	public function __construct( Engine $engine ) {
		$this->engine = $engine;
		// The version is worked out once per request unless an option (settings, roles, a membership
		// plugin's default role) is written or the blog switches. Hooked here: a request that never
		// builds the store has nothing to forget.
		foreach ( array( 'added_option', 'updated_option', 'deleted_option', 'switch_blog' ) as $hook ) {
			add_action( $hook, array( self::class, 'site_changed' ), 10, 0 );
		}
	}

	/**
	 * Settings of a fresh install.
	 *
	 * @return array
	 */
	public static function defaults() {
		return array(
			'revision'   => 0,
			'role_links' => array(),
			'fields'     => array(),
		);
	}

	/**
	 * The stored settings (with defaults for absent keys).
	 *
	 * @return array
	 */
	public function get() {
		// get_option() unserializes the stored array on every call, and a registration asks a
		// dozen times: the array is kept while the stored text (in the cached autoloaded options,
		// which every write and cache flush renews) is the one it was read from.
		$all = wp_cache_get( 'alloptions', 'options' );
		$raw = is_array( $all ) ? ( $all[ self::OPTION ] ?? null ) : null;
		if ( null !== $this->settings && null !== $raw && $raw === $this->settings_raw ) {
			return $this->settings;
		}
		$stored             = get_option( self::OPTION, array() );
		$this->settings     = array_merge( self::defaults(), is_array( $stored ) ? $stored : array() );
		$this->settings_raw = $raw;
		return $this->settings;
	}

	/**
	 * Validates and saves settings. Nothing is saved when any entry is refused.
	 *
	 * @param mixed $settings New settings (the whole set; `revision` is managed here and ignored).
	 * @return true|WP_Error
	 */
	public function update( $settings ) {
		if ( ! is_array( $settings ) ) {
			return new WP_Error( 'tagbridge_invalid_settings', __( 'Settings must be an array (a JSON object over REST).', 'tagbridge' ), array( 'status' => 400 ) );
		}
		unset( $settings['revision'] );
		$site = self::site_facts();
		try {
			$this->engine->compile( 'candidate:' . self::fingerprint( $settings, $site ), $settings, $site );
		} catch ( \TagBridge\Ext\Exception $e ) {
			return self::refusal( $e->getMessage() );
		} catch ( \Throwable $e ) {
			return new WP_Error( 'tagbridge_internal_error', __( 'The TagBridge extension failed while checking the settings; nothing was saved.', 'tagbridge' ), array( 'status' => 500 ) );
		}
		$current              = $this->get();
		$settings['revision'] = (int) $current['revision'] + 1;
		update_option( self::OPTION, $settings, true );
		$this->compiled_version = null;

		/**
		 * Fires after TagBridge settings were validated and saved.
		 *
		 * @param array $settings The saved settings.
		 * @param array $previous The settings before the change.
		 */
		do_action( 'tagbridge_settings_updated', $settings, $current );
		return true;
	}

	/**
	 * Links a role to a tag, or clears the role's link with null (the tag a role had is replaced).
	 *
	 * @param mixed $role Role slug.
	 * @param mixed $tag  Tag, or null to clear.
	 * @return true|WP_Error
	 */
	public function link_role( $role, $tag ) {
		if ( ! is_string( $role ) || ( null !== $tag && ! is_string( $tag ) ) ) {
			return new WP_Error( 'tagbridge_invalid_settings', __( 'A role link takes a role slug and a tag (or null).', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$settings = $this->get();
		$links    = array_values( array_filter( $settings['role_links'], static fn( $link ) => ( $link['role'] ?? null ) !== $role ) );
		if ( null !== $tag ) {
			$links[] = array(
				'role' => $role,
				'tag'  => $tag,
			);
		}
		if ( $links === $settings['role_links'] ) {
			return true;
		}
		$settings['role_links'] = $links;
		return $this->update( $settings );
	}

	/**
	 * The tag linked to a role, or null.
	 *
	 * @param string $role Role slug.
	 * @return string|null
	 */
	public function linked_tag( $role ) {
		foreach ( $this->get()['role_links'] as $link ) {
			if ( ( $link['role'] ?? null ) === $role ) {
				return isset( $link['tag'] ) ? (string) $link['tag'] : null;
			}
		}
		return null;
	}

	/**
	 * The version key of the stored settings on this site: the revision plus a fingerprint of the
	 * settings and the site's roles. The content is part of the key because a revision alone can
	 * repeat (a restored backup, a direct update_option) while PHP workers keep old compilations.
	 *
	 * @return string
	 */
	public function version() {
		// Another process may save settings (seen through a persistent object cache): a long-running
		// process (WP-CLI, a queue runner) looks again every few seconds.
		if ( self::$epoch === $this->version_at[0] && time() - $this->version_at[1] < 5 ) {
			return $this->version_of[2];
		}
		$settings = $this->get();
		$site     = self::site_facts();
		// Every plan asks; the fingerprint (every role with its capabilities, serialised and hashed)
		// is computed again only when the settings or the roles differ from the last time.
		if ( null === $this->version_of || $this->version_of[0] !== $settings || $this->version_of[1] !== $site ) {
			$this->version_of = array( $settings, $site, $settings['revision'] . ':' . self::fingerprint( $settings, $site ) );
		}
		$this->version_at = array( self::$epoch, time() );
		return $this->version_of[2];
	}

	/**
	 * Something the version depends on may have changed (hooked to option writes and blog
	 * switches): the next version() looks again.
	 */
	public static function site_changed() {
		++self::$epoch;
	}

	/**
	 * Makes sure the stored settings are compiled in this process and returns their version.
	 *
	 * @return string|WP_Error The version, or why the stored settings cannot be used.
	 */
	public function compiled() {
		$version = $this->version();
		if ( $version === $this->compiled_version || $this->engine->is_compiled( $version ) ) {
			$this->compiled_version = $version;
			return $version;
		}
		try {
			$this->engine->compile( $version, $this->get(), self::site_facts() );
		} catch ( \TagBridge\Ext\Exception $e ) {
			return self::refusal( $e->getMessage() );
		}
		$this->compiled_version = $version;
		return $version;
	}

	/**
	 * The summary of the compiled stored settings (links, protected roles, warnings).
	 *
	 * @return array|WP_Error
	 */
	public function summary() {
		try {
			return $this->engine->compile( $this->version(), $this->get(), self::site_facts() );
		} catch ( \TagBridge\Ext\Exception $e ) {
			return self::refusal( $e->getMessage() );
		}
	}

	/**
	 * Facts about the site that settings are checked against.
	 *
	 * @return array{roles: array, fallback_role: string}
	 */
	public static function site_facts() {
		/**
		 * Filters the role given to a user whom unlinking would leave with no role.
		 *
		 * @param string $role WordPress's default role.
		 */
		$fallback = (string) apply_filters( 'tagbridge_fallback_role', (string) get_option( 'default_role', 'subscriber' ) );
		return array(
			'roles'         => wp_roles()->roles,
			'fallback_role' => '' === $fallback ? null : $fallback,
		);
	}

	/**
	 * A fingerprint of settings and site facts.
	 *
	 * @param array $settings Settings.
	 * @param array $site     Site facts.
	 * @return string
	 */
	private static function fingerprint( array $settings, array $site ) {
		// xxh128: a seventh of md5's cost on these few kilobytes; a fingerprint, not a secret.
		return hash( 'xxh128', serialize( array( $settings, $site ) ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize -- a fingerprint, never unserialized.
	}

	/**
	 * Turns an extension refusal ("path: message") into a WP_Error carrying the path.
	 *
	 * @param string $message Exception message.
	 * @return WP_Error
	 */
	private static function refusal( $message ) {
		$path = '';
		if ( preg_match( '/^([A-Za-z0-9_\[\]\.\-]+): /', $message, $m ) ) {
			$path = $m[1];
		}
		return new WP_Error(
			'tagbridge_invalid_settings',
			/* translators: %s: the extension's explanation, starting with the path of the bad entry */
			sprintf( __( 'Settings refused: %s', 'tagbridge' ), $message ),
			array(
				'status' => 400,
				'path'   => $path,
			)
		);
	}
}
