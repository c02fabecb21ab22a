<?php
/**
 * Which CRM TagBridge talks to, with what credentials, and whether this copy of the site may.
 *
 * Two options: `tagbridge_connection` (type, url, username, the site recorded when connected) and
 * `tagbridge_connection_secret` (the application password), stored with autoload off so the
 * secret is not loaded on every page and never travels with the other settings.
 *
 * Staging safety: connecting records this site's address. When the address later differs (a
 * staging copy, a cloned site), the FluentCRM connection is refused until an administrator
 * confirms this is the site that should write to the CRM.
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The connection settings and the CRM factory.
 */
final class Connection {

	/** Option with the connection settings (no secret); autoloaded, read by Plugin at boot. */
	const OPTION = \TagBridge\Plugin::CONNECTION_OPTION;

	/** Option with the application password (autoload off). */
	const SECRET_OPTION = 'tagbridge_connection_secret';

	/** CRM types. */
	const TYPES = array( 'embedded', 'fluentcrm' );

	/**
	 * The FluentCRM adapter of this request, keyed by its settings, so its tag cache is shared.
	 *
	 * @var array{0: string, 1: FluentCrm}|null
	 */
	private static $memo = null;

	/**
	 * The stored settings, without the secret.
	 *
	 * @return array{type: string, url: string, username: string, password_saved: bool, site: string}
	 */
	public static function get() {
		$stored = self::stored();
		return array(
			'type'           => self::type( $stored ),
			'url'            => (string) ( $stored['url'] ?? '' ),
			'username'       => (string) ( $stored['username'] ?? '' ),
			'password_saved' => '' !== self::secret(),
			'site'           => self::decode_site( (string) ( $stored['site'] ?? '' ) ),
		);
	}

	/**
	 * Validates and saves the connection. An empty or absent password keeps the saved one. Saving
	 * a FluentCRM connection records this site's address (connecting is a confirmation).
	 *
	 * @param mixed $input array{type, url?, username?, password?}.
	 * @return true|WP_Error Nothing is saved on error.
	 */
	public static function save( $input ) {
		$checked = self::check( $input );
		if ( is_wp_error( $checked ) ) {
			return $checked;
		}
		$stored = array_merge( self::stored(), array( 'type' => $checked['type'] ) );
		if ( 'fluentcrm' === $checked['type'] ) {
			$stored['url']      = $checked['url'];
			$stored['username'] = $checked['username'];
			$stored['site']     = self::encode_site( self::current_site() );
			if ( '' !== $checked['password'] ) {
				update_option( self::SECRET_OPTION, $checked['password'], false );
			}
			// (Re)connecting starts from what FluentCRM has now, not from lists cached before.
			FluentCrm::forget_lists( $checked['url'] );
		}
		update_option( self::OPTION, $stored, true );
		return true;
	}

	/**
	 * Checks connection input; for FluentCRM, falls back to the saved password.
	 *
	 * @param mixed $input array{type, url?, username?, password?}.
	 * @return array{type: string, url: string, username: string, password: string}|WP_Error
	 */
	public static function check( $input ) {
		if ( ! is_array( $input ) || ! in_array( $input['type'] ?? null, self::TYPES, true ) ) {
			return self::invalid( __( 'Choose the CRM: "embedded" or "fluentcrm".', 'tagbridge' ), 'type' );
		}
		$out = array(
			'type'     => $input['type'],
			'url'      => '',
			'username' => '',
			'password' => '',
		);
		if ( 'embedded' === $input['type'] ) {
			return $out;
		}
		foreach ( array( 'url', 'username', 'password' ) as $key ) {
			if ( isset( $input[ $key ] ) && ! is_string( $input[ $key ] ) ) {
				/* translators: %s: field name */
				return self::invalid( sprintf( __( '%s must be text.', 'tagbridge' ), $key ), $key );
			}
		}
		$out['url'] = self::normalise_url( trim( (string) ( $input['url'] ?? '' ) ) );
		if ( '' === $out['url'] ) {
			return self::invalid( __( 'Enter the address of the WordPress site running FluentCRM, like https://crm.example.com (no user name or password in it).', 'tagbridge' ), 'url' );
		}
		$out['username'] = sanitize_user( trim( (string) ( $input['username'] ?? '' ) ) );
		if ( '' === $out['username'] ) {
			return self::invalid( __( 'Enter the WordPress user name the application password belongs to.', 'tagbridge' ), 'username' );
		}
		$password = trim( (string) ( $input['password'] ?? '' ) );
		if ( '' !== $password && ! preg_match( '/^[\x20-\x7e]{1,200}$/', $password ) ) {
			return self::invalid( __( 'The application password must be printable text (as WordPress shows it, like "abcd EFGH 1234 ...").', 'tagbridge' ), 'password' );
		}
		$out['password'] = '' !== $password ? $password : self::secret();
		if ( '' === $out['password'] ) {
			return self::invalid( __( 'Enter an application password (Users → Profile → Application Passwords on the FluentCRM site).', 'tagbridge' ), 'password' );
		}
		return $out;
	}

	/**
	 * The CRM to talk to.
	 *
	 * @return Crm|WP_Error `tagbridge_site_moved` while the site's address differs from the one
	 *                      recorded when connecting; `tagbridge_not_connected` with incomplete
	 *                      settings.
	 */
	public static function crm() {
		$settings = self::get();
		if ( 'fluentcrm' === $settings['type'] ) {
			if ( self::is_site_moved() ) {
				return new WP_Error( 'tagbridge_site_moved', __( 'TagBridge stopped sending to the CRM because this site\'s address changed since it was connected. An administrator must confirm this site on the Connection screen.', 'tagbridge' ) );
			}
			$checked = self::check( $settings );
			if ( is_wp_error( $checked ) ) {
				return new WP_Error( 'tagbridge_not_connected', $checked->get_error_message() );
			}
			return self::fluentcrm( $checked );
		}
		return self::embedded();
	}

	/**
	 * The embedded CRM (built by the plugin with the tag store it keeps tags in).
	 *
	 * @return Crm
	 */
	public static function embedded() {
		return \TagBridge\Plugin::instance()->embedded_crm;
	}

	/**
	 * True when the site is its own CRM (the default), false when an external CRM is configured.
	 *
	 * @return bool
	 */
	public static function is_embedded() {
		// Asked at boot when a CRM type is stored: the autoloaded option only, never the secret's.
		return 'embedded' === self::type( self::stored() );
	}

	/**
	 * A FluentCRM adapter for checked settings (one per settings per request).
	 *
	 * @param array{url: string, username: string, password: string} $checked From check().
	 * @return FluentCrm
	 */
	public static function fluentcrm( array $checked ) {
		$key = md5( $checked['url'] . "\0" . $checked['username'] . "\0" . $checked['password'] );
		if ( null === self::$memo || self::$memo[0] !== $key ) {
			self::$memo = array( $key, new FluentCrm( $checked['url'], $checked['username'], $checked['password'] ) );
		}
		return self::$memo[1];
	}

	/**
	 * True when a FluentCRM connection was recorded for another address than this site's.
	 *
	 * @return bool
	 */
	public static function is_site_moved() {
		// Reads the autoloaded option only: this runs on every admin page (the notice).
		$stored = self::stored();
		$site   = self::decode_site( (string) ( $stored['site'] ?? '' ) );
		return 'fluentcrm' === self::type( $stored ) && '' !== $site && self::current_site() !== $site;
	}

	/**
	 * Records this site's address as the one allowed to write to the CRM.
	 */
	public static function confirm_site() {
		$stored         = self::stored();
		$stored['site'] = self::encode_site( self::current_site() );
		update_option( self::OPTION, $stored, true );
	}

	/**
	 * Removes both options (uninstall).
	 */
	public static function forget() {
		delete_option( self::OPTION );
		delete_option( self::SECRET_OPTION );
		self::$memo = null;
	}

	/**
	 * This site's address as compared: host and path, lowercase, scheme ignored (http → https is
	 * not a move).
	 *
	 * @return string
	 */
	public static function current_site() {
		$parts = wp_parse_url( home_url() );
		return strtolower( ( $parts['host'] ?? '' ) . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' ) . untrailingslashit( $parts['path'] ?? '' ) );
	}

	/**
	 * The stored connection option.
	 *
	 * @return array
	 */
	private static function stored() {
		$stored = get_option( self::OPTION, array() );
		return is_array( $stored ) ? $stored : array();
	}

	/**
	 * The stored CRM type (embedded unless a known other one is stored).
	 *
	 * @param array $stored Stored option.
	 * @return string
	 */
	private static function type( array $stored ) {
		return in_array( $stored['type'] ?? '', self::TYPES, true ) ? $stored['type'] : 'embedded';
	}

	/**
	 * The saved application password, or ''.
	 *
	 * @return string
	 */
	private static function secret() {
		$secret = get_option( self::SECRET_OPTION, '' );
		return is_string( $secret ) ? $secret : '';
	}

	/**
	 * Site address as stored: encoded so a migration's search-replace of the old address does not
	 * rewrite it too (which would hide the move).
	 *
	 * @param string $site Site.
	 * @return string
	 */
	private static function encode_site( $site ) {
		return base64_encode( $site ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- see above.
	}

	/**
	 * The stored site address, decoded.
	 *
	 * @param string $stored Stored value.
	 * @return string
	 */
	private static function decode_site( $stored ) {
		$site = base64_decode( $stored, true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- see encode_site().
		return false === $site ? '' : $site;
	}

	/**
	 * An http(s) site address without credentials, query or trailing slash; the API path is
	 * dropped when pasted along. '' when unusable.
	 *
	 * @param string $url Input.
	 * @return string
	 */
	private static function normalise_url( $url ) {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || ! in_array( strtolower( $parts['scheme'] ?? '' ), array( 'http', 'https' ), true ) || empty( $parts['host'] )
			|| isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
			return '';
		}
		$path = preg_replace( '#/wp-json(/.*)?$#', '', $parts['path'] ?? '' );
		return strtolower( $parts['scheme'] ) . '://' . $parts['host'] . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' ) . untrailingslashit( $path );
	}

	/**
	 * A refusal naming the bad field.
	 *
	 * @param string $message Message.
	 * @param string $field   Field.
	 * @return WP_Error
	 */
	private static function invalid( $message, $field ) {
		return new WP_Error(
			'tagbridge_invalid_connection',
			$message,
			array(
				'status' => 400,
				'field'  => $field,
			)
		);
	}
}
