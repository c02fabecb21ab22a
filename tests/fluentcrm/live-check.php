<?php
/**
 * The FluentCRM adapter against a REAL FluentCRM site (not part of `make test`: FluentCRM cannot be
 * installed in CI, where the replay of the recorded exchanges stands in for it). Run it inside a
 * test-bed site when you have a FluentCRM site at hand, to check that what the replay taught us
 * still holds for that version:
 *
 *   tests/testbed/testbed.sh php SITE tests/fluentcrm/live-check.php \
 *       --url=http://127.0.0.1:8150 --user=admin --password-file=FILE
 *
 * The FluentCRM site needs the tags `member` and `vip` and a custom contact field `seats` (number).
 * First the adapter's calls one by one; then the outbox's deliveries through the real deliverer,
 * counting the requests FluentCRM receives (a new contact: one create with its fields and tags; a
 * contact who unsubscribed in FluentCRM: refused create, lookup, one combined PUT, and still
 * unsubscribed afterwards); then the plugin end to end, with SITE served (its address
 * is its home URL): SITE is connected to FluentCRM for the run (its connection and settings are put
 * back afterwards), a registration in a child process (its own request) must reach FluentCRM as
 * one contact with the linked role's tag and the mapped fields, and after the tag is removed in
 * FluentCRM an `update_tags` webhook over HTTP must take the linked role away.
 * Every check prints a line; the contacts it creates are deleted at the end. Exit status 1 when a
 * check failed.
 */

$opts = getopt( '', array( 'url:', 'user:', 'password-file:', 'register:' ) );
if ( ! empty( $opts['register'] ) ) {
	// The child request of the end-to-end part: a registration, delivered at the end of the request.
	$_SERVER['HTTP_HOST']   = '127.0.0.1';
	$_SERVER['REQUEST_URI'] = '/';
	require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';
	$id = wp_insert_user(
		array(
			'user_login' => sanitize_user( $opts['register'] ),
			'user_email' => $opts['register'],
			'user_pass'  => wp_generate_password( 24 ),
			'first_name' => 'Rita',
			'role'       => 'tb_live_member',
		)
	);
	update_user_meta( $id, 'tb_seats', '4' );
	echo (int) $id;
	exit( 0 );
}
if ( empty( $opts['url'] ) || empty( $opts['user'] ) || empty( $opts['password-file'] ) ) {
	fwrite( STDERR, "usage: live-check.php --url=URL --user=USER --password-file=FILE\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']   = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';

use TagBridge\Crm\ConnectionTest;
use TagBridge\Crm\FluentCrm;
use TagBridge\Crm\Result;
use TagBridge\Outbox\Deliverer;

$tb_url      = rtrim( $opts['url'], '/' );
$tb_password = trim( (string) file_get_contents( $opts['password-file'] ) );
$tb_failed   = 0;
$tb_created  = array();

/**
 * Prints one check and counts a failure.
 *
 * @param string $what  What was checked.
 * @param bool   $ok    Whether it held.
 * @param mixed  $got   What was seen (printed when the check failed).
 */
function tb_check( $what, $ok, $got = null ) {
	global $tb_failed;
	$tb_failed += $ok ? 0 : 1;
	printf( "  %-4s %s%s\n", $ok ? 'ok' : 'FAIL', $what, $ok ? '' : ' — got ' . wp_json_encode( $got ) );
}

/**
 * A fresh adapter (no cached lists), as a new request would have.
 *
 * @return FluentCrm
 */
function tb_crm() {
	global $tb_url, $tb_password, $opts;
	FluentCrm::forget_lists( $tb_url );
	return new FluentCrm( $tb_url, $opts['user'], $tb_password );
}

/**
 * Delivers changes for a throwaway site user with this email through the real outbox deliverer and
 * a fresh adapter whose lists are cached (as every registration after the first finds them),
 * recording the requests FluentCRM receives.
 *
 * @param string $email   The user's email.
 * @param array  $changes Outbox changes.
 * @return array{0: array, 1: string[], 2: string} Outcome, requests ("METHOD path STATUS"), contact id stored.
 */
function tb_deliver( $email, array $changes ) {
	global $tb_url;
	require_once ABSPATH . 'wp-admin/includes/user.php';
	$plugin = TagBridge\Plugin::instance();
	$crm    = tb_crm();
	$crm->list_tags();
	$crm->list_fields();
	$user = wp_insert_user(
		array(
			'user_login' => sanitize_user( $email ),
			'user_email' => $email,
			'user_pass'  => wp_generate_password( 24 ),
			'role'       => 'subscriber',
		)
	);
	$plugin->outbox->discard( $user );
	foreach ( $changes as $change ) {
		$plugin->outbox->enqueue( $user, $change );
	}
	$plugin->outbox->take_touched();
	$sent  = array();
	$count = static function ( $response, $context, $class, $args, $url ) use ( &$sent, $tb_url ) {
		if ( 0 === strpos( $url, $tb_url . FluentCrm::REST_PATH ) ) {
			$sent[] = $args['method'] . ' ' . substr( (string) wp_parse_url( $url, PHP_URL_PATH ), strlen( (string) wp_parse_url( $tb_url . FluentCrm::REST_PATH, PHP_URL_PATH ) ) ) . ' ' . wp_remote_retrieve_response_code( $response );
		}
	};
	add_action( 'http_api_debug', $count, 10, 5 );
	$outcome = ( new Deliverer( static fn() => $crm, $plugin->outbox, $plugin->engine, $plugin->log ) )->deliver( $user, time() );
	remove_action( 'http_api_debug', $count, 10 );
	$contact = (string) get_user_meta( $user, Deliverer::CONTACT_META . 'fluentcrm', true );
	wp_delete_user( $user );
	return array( $outcome, $sent, $contact );
}

echo "FluentCRM adapter against {$tb_url}\n";

$answer = ConnectionTest::run(
	array(
		'type'     => 'fluentcrm',
		'url'      => $tb_url,
		'username' => $opts['user'],
		'password' => $tb_password,
	)
);
tb_check( 'the connection test succeeds: ' . $answer['message'], true === $answer['ok'], $answer );
$wrong = ConnectionTest::run(
	array(
		'type'     => 'fluentcrm',
		'url'      => $tb_url,
		'username' => $opts['user'],
		'password' => 'abcd efgh ijkl mnop qrst uvwx',
	)
);
tb_check( 'a wrong application password is auth_failed', false === $wrong['ok'] && Result::AUTH_FAILED === $wrong['status'], $wrong );

$crm   = tb_crm();
$tags  = $crm->list_tags();
$slugs = $tags->is_ok() ? array_keys( $tags->value ) : array();
tb_check( 'the tag list holds member and vip', $tags->is_ok() && ! array_diff( array( 'member', 'vip' ), $slugs ), $tags );
$fields = $crm->list_fields();
$seats  = $fields->is_ok() ? ( $fields->value['seats'] ?? null ) : $fields;
tb_check( 'the custom field seats is listed as int', 'int' === ( $seats['type'] ?? null ), $seats );

$email  = 'Live.Check+' . time() . '@Example.Test';
$absent = $crm->find_contact( $email );
tb_check( 'an unknown email is not_found', Result::NOT_FOUND === $absent->status, $absent );

$made = $crm->create_contact(
	$email,
	array(
		'first_name' => 'Live',
		'seats'      => 3,
	)
);
tb_check( 'create_contact answers with an id', $made->is_ok() && '' !== (string) $made->value, $made );
$id = (string) $made->value;
if ( $made->is_ok() ) {
	$tb_created[] = $id;
}

$found = tb_crm()->find_contact( strtolower( $email ) );
tb_check( 'find_contact is exact and ignores letter case, with + in the address', $found->is_ok() && (string) $found->value === $id, $found );

$again = tb_crm()->create_contact( strtoupper( $email ), array() );
tb_check( 'creating the same email again (other case) is duplicate', Result::DUPLICATE === $again->status, $again );

$read = tb_crm()->get_contact( $id );
tb_check( 'get_contact reads the fields back (numbers as strings)', $read->is_ok() && 'Live' === ( $read->value['fields']['first_name'] ?? null ) && '3' === (string) ( $read->value['fields']['seats'] ?? '' ), $read );

$crm = tb_crm();
tb_check( 'apply_tags by slug', $crm->apply_tags( $id, array( 'member', 'vip' ) )->is_ok() );
$now = $crm->get_tags( $id );
tb_check( 'get_tags shows both', $now->is_ok() && ! array_diff( array( 'member', 'vip' ), $now->value ), $now );
tb_check( 'remove_tags by slug', $crm->remove_tags( $id, array( 'vip' ) )->is_ok() );
$now = tb_crm()->get_tags( $id );
tb_check( 'get_tags shows member only', $now->is_ok() && array( 'member' ) === array_values( $now->value ), $now );

$before  = count( $slugs );
$unknown = tb_crm()->apply_tags( $id, array( 'no-such-tag-' . time() ) );
$after   = tb_crm()->list_tags();
tb_check( 'an unknown tag is permanent and creates nothing', Result::PERMANENT === $unknown->status && $after->is_ok() && count( $after->value ) === $before, array( $unknown, $after->is_ok() ? count( $after->value ) : $after ) );

$upd = tb_crm()->update_contact( $id, array( 'last_name' => 'Check' ) );
$read = tb_crm()->get_contact( $id );
tb_check( 'update_contact merges (seats kept, last_name set)', $upd->is_ok() && $read->is_ok() && 'Check' === ( $read->value['fields']['last_name'] ?? null ) && '3' === (string) ( $read->value['fields']['seats'] ?? '' ), $read );
$clear = tb_crm()->update_contact( $id, array( 'seats' => '' ) );
$read  = tb_crm()->get_contact( $id );
tb_check( 'an empty custom value clears it', $clear->is_ok() && $read->is_ok() && ! isset( $read->value['fields']['seats'] ), $read );

$combined = tb_crm()->update_combined( $id, array( 'first_name' => 'Combined', 'seats' => 5 ), array( 'vip' ), array( 'member' ) );
$read     = tb_crm()->get_contact( $id );
tb_check( 'update_combined: a field, a custom value, attach and detach in one PUT', $combined->is_ok() && $read->is_ok() && 'Combined' === ( $read->value['fields']['first_name'] ?? null ) && '5' === (string) ( $read->value['fields']['seats'] ?? '' ) && array( 'vip' ) === array_values( $read->value['tags'] ), $read );

echo "The outbox's deliveries, counting the requests FluentCRM receives\n";
$tb_fields = array(
	array(
		'fields'     => array(
			'first_name' => 'Nia',
			'seats'      => 2,
		),
		'apply_tags' => array( 'member' ),
	),
	array( 'apply_tags' => array( 'vip' ) ),
);
list( $outcome, $sent, $contact ) = tb_deliver( 'live.new.' . time() . '@example.test', $tb_fields );
if ( '' !== $contact ) {
	$tb_created[] = $contact;
}
$read = '' === $contact ? null : tb_crm()->get_contact( $contact );
tb_check( 'a new contact\'s first delivery (fields and two tags) is one request: the create', 'delivered' === $outcome['outcome'] && array( 'POST /subscribers 200' ) === $sent, array( $outcome, $sent ) );
tb_check( 'the new contact has the fields and both tags, and is subscribed', $read && $read->is_ok() && '2' === (string) ( $read->value['fields']['seats'] ?? '' ) && array( 'member', 'vip' ) === array_values( $read->value['tags'] ) && 'subscribed' === ( $read->value['fields']['status'] ?? null ), $read );

$unsub_email = 'live.unsubscribed.' . time() . '@example.test';
$unsub       = tb_crm()->create_contact( $unsub_email, array( 'first_name' => 'Una' ), array( 'vip' ) );
if ( $unsub->is_ok() ) {
	$tb_created[] = (string) $unsub->value;
	tb_crm()->update_contact( (string) $unsub->value, array( 'status' => 'unsubscribed' ) );
}
list( $outcome, $sent, $contact ) = tb_deliver( $unsub_email, $tb_fields );
$read = $unsub->is_ok() ? tb_crm()->get_contact( (string) $unsub->value ) : $unsub;
tb_check( 'an existing contact\'s first delivery: refused create, lookup, one combined PUT', 'delivered' === $outcome['outcome'] && array( 'POST /subscribers 422', 'GET /subscribers/0 200', 'PUT /subscribers/' . $unsub->value . ' 200' ) === $sent && (string) $unsub->value === $contact, array( $outcome, $sent, $contact ) );
tb_check( 'a contact who unsubscribed stays unsubscribed, and gets the fields and tags', $read->is_ok() && 'unsubscribed' === ( $read->value['fields']['status'] ?? null ) && 'Nia' === ( $read->value['fields']['first_name'] ?? null ) && '2' === (string) ( $read->value['fields']['seats'] ?? '' ) && array( 'member', 'vip' ) === array_values( $read->value['tags'] ), $read );

tb_check( 'an unknown contact id is not_found', Result::NOT_FOUND === tb_crm()->get_contact( '999999999' )->status );

echo "The plugin end to end (site " . home_url() . ")\n";
$saved_connection = get_option( TagBridge\Crm\Connection::OPTION );
$saved_secret     = get_option( TagBridge\Crm\Connection::SECRET_OPTION );
$saved_settings   = tagbridge_get_settings();
$user_id          = 0;
try {
	if ( ! get_role( 'tb_live_member' ) ) {
		add_role( 'tb_live_member', 'Live member', array( 'read' => true ) );
	}
	$connected = TagBridge\Crm\Connection::save(
		array(
			'type'     => 'fluentcrm',
			'url'      => $tb_url,
			'username' => $opts['user'],
			'password' => $tb_password,
		)
	);
	$settings = tagbridge_update_settings(
		array(
			'role_links' => array(
				array(
					'role' => 'tb_live_member',
					'tag'  => 'member',
				),
			),
			'fields'     => array(
				array(
					'key'       => 'first_name',
					'crm_field' => 'first_name',
					'type'      => 'text',
					'source'    => 'wordpress',
				),
				array(
					'key'       => 'tb_seats',
					'crm_field' => 'seats',
					'type'      => 'int',
					'source'    => 'other',
				),
			),
		)
	);
	tb_check( 'the site is connected and the settings are saved', true === $connected && true === $settings, array( $connected, $settings ) );

	$email = 'live.register.' . time() . '@example.test';
	exec( escapeshellarg( PHP_BINARY ) . ' -d extension=' . escapeshellarg( (string) getenv( 'TB_EXT' ) ) . ' ' . escapeshellarg( __FILE__ ) . ' --register=' . escapeshellarg( $email ) . ' 2>&1', $out, $status ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
	$user_id = (int) end( $out );
	tb_check( 'a registration in its own request', 0 === $status && $user_id > 0, $out );
	$found = tb_crm()->find_contact( $email );
	$read  = $found->is_ok() ? tb_crm()->get_contact( (string) $found->value ) : $found;
	if ( $found->is_ok() ) {
		$tb_created[] = (string) $found->value;
	}
	tb_check(
		'it reached FluentCRM at the end of that request: one contact, the linked tag, the mapped fields',
		$read->is_ok() && array( 'member' ) === array_values( $read->value['tags'] ) && 'Rita' === ( $read->value['fields']['first_name'] ?? null ) && '4' === (string) ( $read->value['fields']['seats'] ?? '' ),
		$read
	);

	if ( $found->is_ok() ) {
		tb_crm()->remove_tags( (string) $found->value, array( 'member' ) );
		$hook = wp_remote_post(
			home_url( '/wp-json/tagbridge/v1/webhook' ),
			array(
				'headers' => array(
					'Content-Type'    => 'application/json',
					'X-TagBridge-Key' => TagBridge\Webhook\Secret::get(),
				),
				'body'    => wp_json_encode(
					array(
						'action'     => 'update_tags',
						'contact_id' => (string) $found->value,
					)
				),
				'timeout' => 15,
			)
		);
		tb_check( 'FluentCRM\'s webhook (update_tags, contact id only) is accepted', 202 === wp_remote_retrieve_response_code( $hook ), is_wp_error( $hook ) ? $hook->get_error_message() : wp_remote_retrieve_body( $hook ) );
		$roles = array();
		for ( $i = 0; $i < 100; $i++ ) {
			clean_user_cache( $user_id );
			wp_cache_flush();
			$roles = get_userdata( $user_id )->roles;
			if ( ! in_array( 'tb_live_member', $roles, true ) ) {
				break;
			}
			usleep( 200000 );
		}
		tb_check( 'the site read the contact\'s tags from FluentCRM and took the linked role away', ! in_array( 'tb_live_member', $roles, true ) && array() === tagbridge_get_tags( $user_id ), array( $roles, tagbridge_get_tags( $user_id ) ) );
	}
} finally {
	if ( $user_id ) {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $user_id );
	}
	foreach ( array( TagBridge\Crm\Connection::OPTION => $saved_connection, TagBridge\Crm\Connection::SECRET_OPTION => $saved_secret ) as $option => $value ) {
		if ( false === $value ) {
			delete_option( $option );
		} else {
			update_option( $option, $value, TagBridge\Crm\Connection::OPTION === $option );
		}
	}
	tagbridge_update_settings( $saved_settings );
}

foreach ( $tb_created as $contact ) {
	wp_remote_request(
		$tb_url . FluentCrm::REST_PATH . '/subscribers/' . rawurlencode( $contact ),
		array(
			'method'  => 'DELETE',
			'headers' => array( 'Authorization' => 'Basic ' . base64_encode( $opts['user'] . ':' . $tb_password ) ),
		)
	);
}
echo $tb_failed ? "{$tb_failed} check(s) failed\n" : "all checks passed\n";
exit( $tb_failed ? 1 : 0 );
