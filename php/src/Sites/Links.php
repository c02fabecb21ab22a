<?php
/**
 * The linked sites of this site: one entry per pair, each with its own secret and the rules of
 * both directions (what this site sends, what it accepts), in the option `tagbridge_sites`
 * (autoload off; the secrets never leave it except as HMAC keys).
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Plugin;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Storage of site links and their rules.
 */
final class Links {

	/** Option holding the links. */
	const OPTION = 'tagbridge_sites';

	/** Rule keys, each direction. */
	const RULE_KEYS = array( 'create', 'fields', 'roles', 'tags', 'passwords', 'delete' );

	/**
	 * Rules of a new link: users, names and tags flow; no roles, no password hashes, no deletes.
	 *
	 * @return array
	 */
	public static function default_rules() {
		return array(
			'create'    => true,
			'fields'    => array( 'first_name', 'last_name', 'display_name' ),
			'roles'     => array(),
			'tags'      => true,
			'passwords' => false,
			'delete'    => false,
		);
	}

	/**
	 * Every link, id => link.
	 *
	 * @return array<string, array{id: string, url: string, secret: string, send: array, receive: array, created: int}>
	 */
	public function all() {
		$links = get_option( self::OPTION, array() );
		return is_array( $links ) ? $links : array();
	}

	/**
	 * One link.
	 *
	 * @param string $id Link id.
	 * @return array|null
	 */
	public function get( $id ) {
		$links = $this->all();
		return is_string( $id ) && isset( $links[ $id ] ) ? $links[ $id ] : null;
	}

	/**
	 * Adds a link (after a pairing handshake).
	 *
	 * @param string $id     Pair id, the same on both sites.
	 * @param string $url    The other site's home address.
	 * @param string $secret The pair's secret.
	 */
	public function add( $id, $url, $secret ) {
		$links        = $this->all();
		$links[ $id ] = array(
			'id'      => $id,
			'url'     => untrailingslashit( $url ),
			'secret'  => $secret,
			'send'    => self::default_rules(),
			'receive' => self::default_rules(),
			'created' => time(),
		);
		self::save( $links );
	}

	/**
	 * Removes a link.
	 *
	 * @param string $id Link id.
	 * @return bool Whether it existed.
	 */
	public function remove( $id ) {
		$links = $this->all();
		if ( ! isset( $links[ $id ] ) ) {
			return false;
		}
		unset( $links[ $id ] );
		self::save( $links );
		return true;
	}

	/**
	 * Sets one direction's rules, checked through the extension (a malformed rule set is refused).
	 *
	 * @param string $id        Link id.
	 * @param string $direction `send` or `receive`.
	 * @param mixed  $rules     Rules.
	 * @return true|WP_Error
	 */
	public function set_rules( $id, $direction, $rules ) {
		$links = $this->all();
		if ( ! isset( $links[ $id ] ) ) {
			return new WP_Error( 'tagbridge_unknown_site', __( 'No such linked site.', 'tagbridge' ), array( 'status' => 404 ) );
		}
		if ( ! in_array( $direction, array( 'send', 'receive' ), true ) || ! is_array( $rules ) ) {
			return new WP_Error( 'tagbridge_invalid_rules', __( 'Rules must be an object for "send" or "receive".', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$rules = array_intersect_key( $rules, array_flip( self::RULE_KEYS ) ) === $rules ? array_merge( self::default_rules(), $rules ) : null;
		try {
			// A dry filter refuses rules of the wrong shape with the path of the bad entry.
			if ( null !== $rules ) {
				tagbridge_site_filter( $rules, array( 'op' => 'delete', 'email' => 'check@example.invalid' ), array() );
			}
		} catch ( \TagBridge\Ext\Exception $e ) {
			$rules = null;
		}
		if ( null === $rules ) {
			return new WP_Error( 'tagbridge_invalid_rules', __( 'Rules refused: the keys are create, fields, roles, tags, passwords and delete, with true/false or lists of names.', 'tagbridge' ), array( 'status' => 400 ) );
		}
		$links[ $id ][ $direction ] = $rules;
		self::save( $links );
		return true;
	}

	/**
	 * The links as shown to administrators: never the secret.
	 *
	 * @return list<array>
	 */
	public function public_view() {
		$out = array();
		foreach ( $this->all() as $link ) {
			unset( $link['secret'] );
			$out[] = $link;
		}
		return $out;
	}

	/**
	 * Stores the links, and their number where every request can read it without a query.
	 *
	 * @param array $links Every link, id => link.
	 */
	private static function save( array $links ) {
		update_option( self::OPTION, $links, false );
		update_option( Plugin::SITES_LINKED_OPTION, count( $links ), true );
	}
}
