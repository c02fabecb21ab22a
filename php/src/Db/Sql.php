<?php
/**
 * SQL literals for multi-row statements.
 *
 * @package TagBridge
 */

namespace TagBridge\Db;

defined( 'ABSPATH' ) || exit;

/**
 * Quotes values for TagBridge's writes to its own tables: the statements that write thousands of
 * rows at once (a reconcile page, its log rows), and single rows where wpdb::insert()/update()
 * would ask the server for the table's column charsets first. wpdb::prepare() parses its format
 * string with several regular expressions on every call, which costs more per row than the INSERT
 * itself; esc_sql() escapes exactly as prepare()'s %s does (mysqli_real_escape_string, with %
 * guarded the same way).
 */
final class Sql {

	/**
	 * One value as an SQL literal: integers bare, null as NULL, anything else a quoted string.
	 *
	 * @param int|string|null $value Value.
	 * @return string
	 */
	public static function value( $value ) {
		if ( null === $value ) {
			return 'NULL';
		}
		if ( is_int( $value ) ) {
			return (string) $value;
		}
		$value = (string) $value;
		// esc_sql() costs microseconds a call (wpdb's layers, its % guard). Inside single quotes only
		// these bytes need it (it escapes " too, which reads back the same), so a string without them
		// is the same literal either way.
		if ( false === strpbrk( $value, "\\'\0\n\r\x1a%" ) ) {
			return "'" . $value . "'";
		}
		return "'" . esc_sql( $value ) . "'";
	}

	/**
	 * A row of values for `VALUES (...), (...)` or `IN ((...), (...))`.
	 *
	 * @param array<int|string|null> $values Values.
	 * @return string
	 */
	public static function tuple( array $values ) {
		return '(' . implode( ', ', array_map( array( self::class, 'value' ), $values ) ) . ')';
	}

	/**
	 * `column = value, ...` for an UPDATE's SET clause (column names are the caller's own).
	 *
	 * @param array<string, int|string|null> $columns Column => value.
	 * @return string
	 */
	public static function assignments( array $columns ) {
		$parts = array();
		foreach ( $columns as $column => $value ) {
			$parts[] = $column . ' = ' . self::value( $value );
		}
		return implode( ', ', $parts );
	}
}
