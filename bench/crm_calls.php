<?php
/**
 * CRM calls per registration (issue 10): the HTTP requests FluentCRM receives for one Ultimate
 * Member registration with 10 mapped fields and 2 tags, counted by the FluentCRM replay server
 * (tests/fluentcrm/), against a baseline that makes one CRM call per hook that fired — the way
 * WP Fusion does it. Not a test: it prints a table.
 *
 *   bench/run.sh crm_calls
 *
 * The replay server runs on TB_FLUENT_PORT (default 8133) with its state under
 * TB_FLUENT_STATE (default $TB_ROOT/fluentcrm); the bench starts it if needed and stops it if it
 * started it. The users it creates are deleted.
 *
 * Rows: the baseline; TagBridge registrations of new contacts (cold caches, warm, and one that
 * also removes a tag); a registration whose email FluentCRM already has (a contact who
 * unsubscribed there); and a later change of a known contact (fields and tags, its own request).
 */

use TagBridge\Crm\Connection;
use TagBridge\Crm\FluentCrm;
use TagBridge\Outbox\Deliverer;
use TagBridge\Outbox\Runner;
use TagBridge\Outbox\TagListener;
use TagBridge\Plugin;
use TagBridge\Tests\FluentCrm\ReplayState;

$site = getenv( 'TB_SITE_DIR' );
if ( ! $site || ! is_readable( $site . '/wp-load.php' ) ) {
	fwrite( STDERR, "TB_SITE_DIR must name a test bed site\n" );
	exit( 1 );
}
$_SERVER['REQUEST_URI'] = '/';
require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require_once dirname( __DIR__ ) . '/tests/fluentcrm/ReplayState.php';
require __DIR__ . '/lib/um-registration.php';

// The replay server: started here unless something else (a test run) already runs it.
$replay_sh = escapeshellarg( dirname( __DIR__ ) . '/tests/fluentcrm/replay.sh' );
$port      = getenv( 'TB_FLUENT_PORT' ) ? getenv( 'TB_FLUENT_PORT' ) : '8133';
$running   = (bool) @fsockopen( '127.0.0.1', (int) $port ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- refused is the answer.
exec( $replay_sh . ' start 2>&1', $out, $code ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
if ( 0 !== $code ) {
	fwrite( STDERR, "FluentCRM replay server did not start:\n" . implode( "\n", $out ) . "\n" );
	exit( 1 );
}
if ( ! $running ) {
	register_shutdown_function( static fn() => exec( $replay_sh . ' stop' ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
}
$replay = ReplayState::from_env();
$url    = 'http://127.0.0.1:' . $port;
$admin  = ReplayState::USERS['admin']['app_password'];

$plugin = Plugin::instance();
$saved  = Connection::save(
	array(
		'type'     => 'fluentcrm',
		'url'      => $url,
		'username' => 'admin',
		'password' => $admin,
	)
);
if ( true !== $saved ) {
	fwrite( STDERR, 'Connection refused: ' . $saved->get_error_message() . "\n" );
	exit( 1 );
}
// The plugin queues tag changes for an external CRM from the hooks it registers at load, when
// this fresh site still used the embedded CRM; register them as a load with FluentCRM would.
$listener = new TagListener( $plugin->outbox );
add_action( 'tagbridge_tags_applied', array( $listener, 'applied' ), 10, 2 );
add_action( 'tagbridge_tags_removed', array( $listener, 'removed' ), 10, 2 );

// 10 mapped fields: 6 FluentCRM columns and 4 of the recorded site's custom fields (exchange 17).
$mapped = array(
	array( 'first_name', 'first_name', 'text', 'wordpress' ),
	array( 'last_name', 'last_name', 'text', 'wordpress' ),
	array( 'user_email', 'email', 'text', 'wordpress' ),
	array( 'phone_number', 'phone', 'tel', 'ultimate_member' ),
	array( 'birth_date', 'date_of_birth', 'date', 'ultimate_member' ),
	array( 'city', 'city', 'text', 'ultimate_member' ),
	array( 'level', 'membership_level', 'text', 'ultimate_member' ),
	array( 'plan', 'plan', 'text', 'ultimate_member' ),
	array( 'interests', 'interests', 'multiselect', 'ultimate_member' ),
	array( 'seats', 'seats', 'int', 'ultimate_member' ),
);
$ok = tagbridge_update_settings(
	array(
		'fields'     => array_map( static fn( $f ) => array_combine( array( 'key', 'crm_field', 'type', 'source' ), $f ), $mapped ),
		'field_sync' => array( 'default_country' => 'GB' ),
	)
);
if ( true !== $ok ) {
	fwrite( STDERR, 'Settings refused: ' . $ok->get_error_message() . "\n" );
	exit( 1 );
}

/**
 * What a new HTTP request starts with: a fresh FluentCRM adapter (Connection keeps one per
 * request, with its in-memory tag and field lists) and a fresh runner, so each registration pays
 * what a real registration request pays.
 */
$new_request = static function () use ( $plugin ) {
	$memo = new ReflectionProperty( Connection::class, 'memo' );
	$memo->setAccessible( true );
	$memo->setValue( null, null );
	$plugin->runner = new Runner( $plugin->outbox, new Deliverer( array( Connection::class, 'crm' ), $plugin->outbox, $plugin->engine, $plugin->log ), $plugin->log, array( Connection::class, 'is_site_moved' ) );
};

// Hook firings, counted as WP Fusion would make one CRM call for each, and the tags applied.
$fired   = array();
$applied = array();
add_action(
	'tagbridge_tags_applied',
	static function ( $user_id, $tags ) use ( &$applied ) {
		$applied[] = $tags;
	},
	1,
	2
);
$counted = array( 'user_register', 'profile_update', 'um_after_save_registration_details', 'um_registration_complete', 'tagbridge_tags_applied', 'tagbridge_tags_removed' );
foreach ( $counted as $hook ) {
	add_action(
		$hook,
		static function () use ( $hook, &$fired ) {
			$fired[] = $hook;
		},
		1
	);
}

/**
 * One frontend UM registration in UM 2.13.0's order (bench/lib/um-registration.php; reference
 * section 7: three profile_updates in an auto-approved registration), applying the form's tag and
 * a welcome tag, and optionally removing one tag in the same request.
 */
$um_register = static function ( string $login, array $remove ) {
	// Registration-form tags are applied on um_registration_complete (TagBridge's UM integration
	// does it there); the scenario that removes a tag gets it from the form too, so the removal is
	// a real change.
	$form_tags = static function ( $user_id ) use ( $remove ) {
		tagbridge_apply_tags( $user_id, array_merge( array( 'member' ), $remove ) );
	};
	add_action( 'um_registration_complete', $form_tags, 5 );
	$id = tb_bench_um_register(
		7,
		array(
			'user_login'   => $login,
			'user_email'   => $login . '@example.test',
			'first_name'   => 'Jane',
			'last_name'    => 'Doe',
			'phone_number' => '020 7946 0958',
			'birth_date'   => '1990/05/04',
			'city'         => 'London',
			'level'        => 'gold',
			'plan'         => 'Team',
			'interests'    => array( 'php', 'rust' ),
			'seats'        => '3',
		)
	);
	remove_action( 'um_registration_complete', $form_tags, 5 );
	// A welcome tag from an automation, which (in the last scenario) also takes a tag off again.
	tagbridge_apply_tags( $id, array( 'vip' ) );
	if ( $remove ) {
		tagbridge_remove_tags( $id, $remove );
	}
	return $id;
};

/** What shutdown does: role flush (1), field step (5), outbox delivery (50). */
$end_request = static function () use ( $plugin ) {
	$plugin->roles->flush();
	$plugin->push_fields();
	$plugin->runner->end_of_request();
};

/** A request the replay server received, by kind. */
$kind = static function ( array $r ) {
	$path = substr( $r['path'], strlen( '/wp-json/fluent-crm/v2' ) );
	$body = json_decode( $r['body'], true );
	$sub  = is_array( $body['subscriber'] ?? null ) ? $body['subscriber'] : ( is_array( $body ) ? $body : array() );
	if ( 'GET' === $r['method'] && '/subscribers/0' === $path ) {
		return 'lookup';
	}
	if ( 'GET' === $r['method'] && '/tags' === $path ) {
		return 'tag list';
	}
	if ( 'GET' === $r['method'] && '/custom-fields/contacts' === $path ) {
		return 'field list';
	}
	if ( 'POST' === $r['method'] && '/subscribers' === $path ) {
		// A create FluentCRM refuses (the email exists, exchange 99) is counted apart.
		return isset( $sub['__force_update'] ) ? 'upsert' : ( 422 === $r['status'] ? 'create 422' : 'create' );
	}
	if ( 'PUT' === $r['method'] ) {
		$tags = isset( $sub['attach_tags'] ) || isset( $sub['detach_tags'] );
		$more = array() !== array_diff_key( $sub, array_flip( array( 'attach_tags', 'detach_tags' ) ) );
		return $tags ? ( $more ? 'PUT fields+tags' : 'PUT tags' ) : 'PUT fields';
	}
	return $r['method'] . ' ' . $path;
};
$count_requests = static function () use ( $replay, $kind ) {
	$by_kind = array();
	foreach ( $replay->requests() as $r ) {
		$k             = $kind( $r );
		$by_kind[ $k ] = ( $by_kind[ $k ] ?? 0 ) + 1;
	}
	return $by_kind;
};

$rows   = array();
$users  = array();
$checks = array();
$crm    = new FluentCrm( $url, 'admin', $admin );

/** Counts one request's hooks and CRM requests into a row of the table. */
$measure = static function ( string $label, callable $request ) use ( $new_request, $end_request, $replay, $kind, &$fired, &$rows ) {
	$new_request();
	$before = count( $replay->requests() );
	$fired  = array();
	$id     = $request();
	$end_request();
	$by_kind = array();
	foreach ( array_slice( $replay->requests(), $before ) as $r ) {
		$k             = $kind( $r );
		$by_kind[ $k ] = ( $by_kind[ $k ] ?? 0 ) + 1;
	}
	$rows[] = array( $label, count( $fired ), array_sum( $by_kind ), $by_kind );
	return $id;
};
$outbox_left = static function ( int $id ) {
	return (int) $GLOBALS['wpdb']->get_var( $GLOBALS['wpdb']->prepare( 'SELECT COUNT(*) FROM ' . TagBridge\Outbox\Outbox::table() . ' WHERE user_id = %d', $id ) );
};

// TagBridge: each registration its own request, against one replay state.
$replay->reset();
$scenarios = array(
	array( 'TagBridge, first registration (cold caches)', array(), false ),
	array( 'TagBridge, next registration', array(), false ),
	array( 'TagBridge, registration that also removes a tag', array( 'newsletter' ), false ),
	array( 'TagBridge, registration, contact exists in CRM', array(), true ),
);
foreach ( $scenarios as $i => list( $label, $remove, $exists ) ) {
	$login = 'bench_' . $i . '_' . strtolower( wp_generate_password( 6, false, false ) );
	if ( $exists ) {
		// Someone FluentCRM already has, who unsubscribed there, registers on the site.
		$made = $crm->create_contact( $login . '@example.test', array( 'first_name' => 'Old' ), array( 'newsletter' ) );
		$crm->update_contact( (string) $made->value, array( 'status' => 'unsubscribed' ) );
	}
	$id      = $measure( $label, static fn() => $um_register( $login, $remove ) );
	$users[] = $id;
	$contact = (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true );
	$read    = '' === $contact ? null : $crm->get_contact( $contact );
	$checks[] = sprintf(
		'%s: %d rows left in the outbox, contact %s, status %s, tags %s',
		$label,
		$outbox_left( $id ),
		'' === $contact ? '(none)' : $contact,
		$read && $read->is_ok() ? $read->value['fields']['status'] : '?',
		$read && $read->is_ok() ? implode( ',', $read->value['tags'] ) : '?'
	);
}

// A later change of the last user (a known contact): a profile field and a tag swap, in one request.
$id = end( $users );
$measure(
	'TagBridge, later change of a known contact',
	static function () use ( $id ) {
		wp_update_user(
			array(
				'ID'        => $id,
				'last_name' => 'Smith',
			)
		);
		tagbridge_apply_tags( $id, array( 'course-student' ) );
		tagbridge_remove_tags( $id, array( 'vip' ) );
		return $id;
	}
);
$checks[] = sprintf( 'TagBridge, later change of a known contact: %d rows left in the outbox, tags %s', $outbox_left( $id ), implode( ',', $crm->get_tags( (string) get_user_meta( $id, Deliverer::CONTACT_META . 'fluentcrm', true ) )->value ) );

// Baseline: the same registration, one CRM call per hook that fired (user_register creates the
// contact, each profile/UM hook pushes the fields, each tag application attaches its tag), sent to
// a fresh replay state through a plain adapter.
$replay->reset();
$fired   = array();
$applied = array();
$login   = 'bench_base_' . strtolower( wp_generate_password( 6, false, false ) );
// Count the hooks without TagBridge's outbox delivering anything: hold the user's rows.
$hold_all = static fn( $user_id ) => $plugin->outbox->hold( (int) $user_id );
add_action( 'user_register', $hold_all, 0 );
$id = $um_register( $login, array() );
remove_action( 'user_register', $hold_all, 0 );
$plugin->outbox->discard( $id );
$plugin->outbox->take_touched();
$users[] = $id;
$base    = $fired;
$fields  = $plugin->fields->flush()[ $id ] ?? array();
$contact = null;
$tags    = $applied;
foreach ( $base as $hook ) {
	if ( 'user_register' === $hook ) {
		$contact = $crm->create_contact( $login . '@example.test', array() )->value;
	} elseif ( 'tagbridge_tags_applied' === $hook ) {
		$crm->apply_tags( $contact, array_shift( $tags ) );
	} else {
		$crm->update_contact( $contact, $fields );
	}
}
$by_kind = $count_requests();
array_unshift( $rows, array( 'Baseline, WP Fusion way (one call per hook)', count( $base ), array_sum( $by_kind ), $by_kind ) );
$base_hooks = array_count_values( $base );

foreach ( $users as $id ) {
	wp_delete_user( $id );
}

$kinds = array( 'lookup', 'tag list', 'field list', 'create', 'create 422', 'PUT fields', 'PUT tags', 'PUT fields+tags' );
foreach ( $rows as $row ) {
	foreach ( array_keys( $row[3] ) as $k ) {
		if ( ! in_array( $k, $kinds, true ) ) {
			$kinds[] = $k;
		}
	}
}
printf( "CRM calls per registration: one UM registration, 10 mapped fields, 2 tags applied; FluentCRM 2.9.65 replay (%s); PHP %s, extension %s\n\n", $url, PHP_VERSION, tagbridge_version() );
$head = '| ' . str_pad( 'run', 48 ) . ' | hooks | requests |';
$line = '|' . str_repeat( '-', 50 ) . '|-------|----------|';
foreach ( $kinds as $k ) {
	$head .= ' ' . str_pad( $k, max( 6, strlen( $k ) ), ' ', STR_PAD_LEFT ) . ' |';
	$line .= str_repeat( '-', max( 6, strlen( $k ) ) + 2 ) . '|';
}
echo $head, "\n", $line, "\n";
foreach ( $rows as $row ) {
	$out = '| ' . str_pad( $row[0], 48 ) . ' | ' . str_pad( (string) $row[1], 5, ' ', STR_PAD_LEFT ) . ' | ' . str_pad( (string) $row[2], 8, ' ', STR_PAD_LEFT ) . ' |';
	foreach ( $kinds as $k ) {
		$out .= ' ' . str_pad( (string) ( $row[3][ $k ] ?? '-' ), max( 6, strlen( $k ) ), ' ', STR_PAD_LEFT ) . ' |';
	}
	echo $out, "\n";
}
printf(
	"\nHooks in one registration: %s.\n",
	implode( ', ', array_map( static fn( $h, $n ) => $n > 1 ? "$h x$n" : $h, array_keys( $base_hooks ), $base_hooks ) )
);
echo implode( "\n", $checks ), "\n";
