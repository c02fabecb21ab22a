<?php
/**
 * "Test connection": tries connection settings and says exactly what is wrong, or how many tags
 * and fields the CRM has.
 *
 * @package TagBridge
 */

namespace TagBridge\Crm;

defined( 'ABSPATH' ) || exit;

/**
 * Runs a connection test.
 */
final class ConnectionTest {

	/**
	 * Tests connection input (unsaved values; an empty password means the saved one).
	 *
	 * @param mixed $input array{type, url?, username?, password?}.
	 * @return array{ok: bool, status: string, message: string, tags: int|null, fields: int|null}
	 */
	public static function run( $input ) {
		$checked = Connection::check( $input );
		if ( is_wp_error( $checked ) ) {
			return self::answer( false, 'invalid', $checked->get_error_message() );
		}
		if ( 'embedded' === $checked['type'] ) {
			return self::answer( true, Result::OK, __( 'The embedded CRM needs no connection: tags are kept by this site.', 'tagbridge' ) );
		}
		// A fresh adapter, not the request's shared one: a test must really ask the CRM.
		$crm  = new FluentCrm( $checked['url'], $checked['username'], $checked['password'] );
		$tags = $crm->list_tags();
		if ( ! $tags->is_ok() ) {
			return self::answer( false, $tags->status, $tags->message );
		}
		$fields = $crm->list_fields();
		if ( ! $fields->is_ok() ) {
			return self::answer( false, $fields->status, $fields->message );
		}
		$custom = count( array_filter( $fields->value, static fn( $field ) => 'custom' === $field['group'] ) );
		return self::answer(
			true,
			Result::OK,
			/* translators: 1: site address, 2: number of tags, 3: number of custom fields */
			sprintf( __( 'Connected to FluentCRM at %1$s: %2$d tags and %3$d custom contact fields found.', 'tagbridge' ), $checked['url'], count( $tags->value ), $custom ),
			count( $tags->value ),
			$custom
		);
	}

	/**
	 * The answer's shape.
	 *
	 * @param bool     $ok      Success.
	 * @param string   $status  Result status (or invalid/unavailable).
	 * @param string   $message What to tell the admin.
	 * @param int|null $tags    Tags found.
	 * @param int|null $fields  Custom fields found.
	 * @return array
	 */
	private static function answer( $ok, $status, $message, $tags = null, $fields = null ) {
		return compact( 'ok', 'status', 'message', 'tags', 'fields' );
	}
}
