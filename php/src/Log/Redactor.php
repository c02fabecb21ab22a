<?php
/**
 * Removes secrets from anything about to be logged.
 *
 * @package TagBridge
 */

namespace TagBridge\Log;

defined( 'ABSPATH' ) || exit;

/**
 * Two nets: values under a key that names a secret are replaced whole, and strings are scanned for
 * the shapes secrets travel in (Authorization headers, WordPress application passwords, password
 * hashes, key=value pairs). The log stores field names, never field values, so this is the second
 * line of defence, not the only one.
 */
final class Redactor {

	/** What replaces a secret. */
	const MASK = '[redacted]';

	/*
	 * Every pattern starts with (*NO_JIT): each is compiled once per PHP process and matched
	 * against a few short strings, where PCRE's JIT compilation (~0.1M instructions per pattern)
	 * costs more than it saves. It changes nothing about what matches.
	 */

	/** Keys whose values are always secret. */
	const SECRET_KEY = '/(*NO_JIT)pass|pwd|secret|token|auth|api[_-]?key|cookie|nonce|signature|credential|salt|^key$/i';

	/**
	 * WordPress application passwords: six groups of four (the one pattern of PATTERNS without a
	 * word that may_hold_secret() can look for first). No capture group: the replacement keeps a
	 * group that ends in a space as a label, which here would be one group of the password.
	 */
	const APP_PASSWORD = '/(*NO_JIT)\b(?:[A-Za-z0-9]{4} ){5}[A-Za-z0-9]{4}\b/';

	/**
	 * Patterns of secrets inside free text.
	 *
	 * @var string[]
	 */
	const PATTERNS = array(
		// Authorization / Proxy-Authorization headers and bare schemes.
		'/(*NO_JIT)\b(authorization\s*[:=]\s*)[^\r\n,;]+/i',
		'/(*NO_JIT)\b((?:bearer|basic|digest)\s+)[A-Za-z0-9._~+\/=-]{6,}/i',
		self::APP_PASSWORD,
		// Password hashes (phpass, bcrypt, WordPress 6.8's $wp$).
		'/(*NO_JIT)\$(?:P|H|2[aby]|wp\$2y|argon2id?)\$[^\s"\']+/',
		// key=value and "key": "value" where the key names a secret.
		'/(*NO_JIT)\b([a-z_-]*(?:pass(?:word)?|secret|token|api[_-]?key|access[_-]?key)["\']?\s*[:=]\s*["\']?)[^\s"\'&,;]+/i',
	);

	/**
	 * Words at least one of which every pattern but APP_PASSWORD needs (in lower case; patterns
	 * are case-insensitive for ASCII only, as strtolower() is).
	 */
	const NEEDLES = array( 'auth', 'bearer', 'basic', 'digest', '$', 'pass', 'secret', 'token', 'key' );

	/**
	 * Redacts a value (scalars, arrays, nested).
	 *
	 * @param mixed $value Value.
	 * @return mixed
	 */
	public static function redact( $value ) {
		if ( is_array( $value ) ) {
			$out = array();
			foreach ( $value as $key => $item ) {
				$out[ $key ] = is_string( $key ) && preg_match( self::SECRET_KEY, $key ) ? self::MASK : self::redact( $item );
			}
			return $out;
		}
		return is_string( $value ) ? self::text( $value ) : $value;
	}

	/**
	 * Redacts secrets inside free text.
	 *
	 * @param string $text Text.
	 * @return string
	 */
	public static function text( $text ) {
		if ( ! self::may_hold_secret( $text ) ) {
			return $text;
		}
		static $any = null;
		if ( null === $any ) {
			// Every pattern at once, case-insensitive (a wider net): most text (every plan change of a
			// reconcile) holds no secret and is let through after one match instead of five replaces.
			$body = static fn( $p ) => '(?:' . substr( $p, strlen( '/(*NO_JIT)' ), strrpos( $p, '/' ) - strlen( '/(*NO_JIT)' ) ) . ')';
			$any  = '/(*NO_JIT)' . implode( '|', array_map( $body, self::PATTERNS ) ) . '/i';
		}
		if ( ! preg_match( $any, $text ) ) {
			return $text;
		}
		foreach ( self::PATTERNS as $pattern ) {
			$text = (string) preg_replace_callback(
				$pattern,
				static function ( $m ) {
					// Keep the label ("Authorization: ", "Bearer ") so the line still reads.
					return ( isset( $m[1] ) && preg_match( '/(*NO_JIT)[:= ]["\']?$/', $m[1] ) ? $m[1] : '' ) . self::MASK;
				},
				$text
			);
		}
		return $text;
	}

	/**
	 * Whether any pattern can match: a few substring searches rule out most text (every plan
	 * change of a registration or a reconcile), which the patterns, matched without JIT, take
	 * ~0.1M instructions to rule out.
	 *
	 * @param string $text Text.
	 * @return bool
	 */
	private static function may_hold_secret( $text ) {
		$lower = strtolower( $text );
		foreach ( self::NEEDLES as $needle ) {
			if ( false !== strpos( $lower, $needle ) ) {
				return true;
			}
		}
		// An application password's four middle groups are four words of exactly four bytes in a
		// row; only text with such a run is matched against the pattern.
		$run = 0;
		foreach ( explode( ' ', $text ) as $word ) {
			$run = 4 === strlen( $word ) ? $run + 1 : 0;
			if ( 4 === $run ) {
				return 1 === preg_match( self::APP_PASSWORD, $text );
			}
		}
		return false;
	}
}
