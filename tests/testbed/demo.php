<?php
/**
 * The demo's walk through TagBridge inside the demo site (run by demo.sh with the extension loaded).
 * Each step is its own PHP process, so it is one WordPress request: what TagBridge does at the end
 * of a request (the net role change, the field push to the CRM through the outbox) has happened
 * when the next step looks.
 *
 *   demo.php settings | register | show EMAIL | drop-tag EMAIL | wait-webhook ID
 */

$_SERVER['HTTP_HOST']   = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require getenv( 'TB_SITE_DIR' ) . '/wp-load.php';

/**
 * Prints one demo line.
 *
 * @param string $text Line.
 */
function tagbridge_demo_say( $text ) {
	echo '    ', $text, "\n";
}

/**
 * The demo user by email, or exits with a message.
 *
 * @param string $email Email.
 * @return WP_User
 */
function tagbridge_demo_user( $email ) {
	clean_user_cache( (int) email_exists( $email ) );
	$user = get_user_by( 'email', $email );
	if ( ! $user ) {
		tagbridge_demo_say( "no user {$email}" );
		exit( 1 );
	}
	return $user;
}

$tagbridge_demo_step = $argv[1] ?? '';
$tagbridge_demo_arg  = $argv[2] ?? '';

switch ( $tagbridge_demo_step ) {
	case 'settings':
		tagbridge_demo_say( sprintf( 'plugin %s active with extension %s', TAGBRIDGE_VERSION, tagbridge_version() ) );
		if ( ! get_role( 'gold_member' ) ) {
			add_role( 'gold_member', 'Gold member', array( 'read' => true ) );
			tagbridge_demo_say( 'created the role gold_member' );
		}
		$result = tagbridge_update_settings(
			array(
				'role_links' => array(
					array(
						'role' => 'gold_member',
						'tag'  => 'Gold',
					),
				),
				'fields'     => array(
					array(
						'key'       => 'first_name',
						'crm_field' => 'first_name',
						'type'      => 'text',
						'direction' => 'both',
						'source'    => 'wordpress',
					),
					array(
						'key'       => 'phone',
						'crm_field' => 'phone',
						'type'      => 'tel',
						'source'    => 'other',
					),
				),
				'field_sync' => array( 'default_country' => 'GB' ),
			)
		);
		tagbridge_demo_say( true === $result ? 'saved: role gold_member <-> tag "Gold"; fields first_name (text, both ways) and phone (tel, to the CRM), default country GB' : 'refused: ' . $result->get_error_message() );
		$bad = tagbridge_update_settings(
			array(
				'role_links' => array(
					array(
						'role' => 'platinum_member',
						'tag'  => 'Platinum',
					),
				),
			)
		);
		tagbridge_demo_say( 'a link to a role that does not exist is refused and nothing changes: ' . ( is_wp_error( $bad ) ? $bad->get_error_message() : 'accepted?!' ) );
		tagbridge_demo_say( sprintf( 'stored settings at revision %d', tagbridge_get_settings()['revision'] ) );
		break;

	case 'register':
		$email = 'ada@example.org';
		$id    = email_exists( $email );
		if ( ! $id ) {
			$id = wp_insert_user(
				array(
					'user_login' => 'ada',
					'user_email' => $email,
					'user_pass'  => wp_generate_password( 24 ),
					'first_name' => 'Ada',
					'role'       => 'subscriber',
				)
			);
		}
		update_user_meta( $id, 'phone', '020 7946 0958' );
		( new WP_User( $id ) )->add_role( 'gold_member' );
		tagbridge_demo_say( "registered {$email} (subscriber, phone \"020 7946 0958\") and gave her the role gold_member" );
		break;

	case 'show':
		global $wpdb;
		$user  = tagbridge_demo_user( $tagbridge_demo_arg );
		$tags  = tagbridge_get_tags( $user->ID );
		$crm   = $wpdb->get_results( $wpdb->prepare( 'SELECT field, value FROM ' . TagBridge\Crm\EmbeddedCrm::fields_table() . ' WHERE contact_id = %d ORDER BY field', $user->ID ), ARRAY_A ); // phpcs:ignore WordPress.DB
		$shown = array_map( static fn( $row ) => $row['field'] . '=' . $row['value'], $crm );
		tagbridge_demo_say( sprintf( '%s: roles [%s], tags [%s]', $user->user_email, implode( ', ', $user->roles ), implode( ', ', is_array( $tags ) ? $tags : array() ) ) );
		tagbridge_demo_say( sprintf( '  in the CRM (embedded default): %s', $shown ? implode( ', ', $shown ) : '(no contact fields yet)' ) );
		break;

	case 'drop-tag':
		$user = tagbridge_demo_user( $tagbridge_demo_arg );
		tagbridge_remove_tags( $user->ID, array( 'Gold' ) );
		tagbridge_demo_say( "the CRM removed the tag \"Gold\" from {$user->user_email}" );
		break;

	case 'wait-webhook':
		$queue = new TagBridge\Webhook\Queue();
		for ( $i = 0; $i < 100; $i++ ) {
			$row = $queue->find( (int) $tagbridge_demo_arg );
			if ( $row && 'pending' !== $row['status'] ) {
				break;
			}
			usleep( 200000 );
			wp_cache_flush();
		}
		tagbridge_demo_say( sprintf( 'webhook %d: %s after the 202, in the background (%s)', (int) $tagbridge_demo_arg, $row['status'] ?? 'not found', wp_json_encode( $row['result'] ?? null ) ) );
		break;

	default:
		fwrite( STDERR, "usage: demo.php settings|register|show EMAIL|drop-tag EMAIL|wait-webhook ID\n" );
		exit( 2 );
}
