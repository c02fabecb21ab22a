<?php
/**
 * The demo's walk through TagBridge inside the demo site (run by demo.sh with the extension loaded).
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

tagbridge_demo_say( sprintf( 'plugin %s active with extension %s', TAGBRIDGE_VERSION, tagbridge_version() ) );

if ( ! get_role( 'gold_member' ) ) {
	add_role( 'gold_member', 'Gold member', array( 'read' => true ) );
	tagbridge_demo_say( 'created the role gold_member' );
}

$settings = array(
	'role_links' => array( array( 'role' => 'gold_member', 'tag' => 'Gold' ) ),
	'fields'     => array( array( 'key' => 'first_name', 'crm_field' => 'first_name', 'type' => 'text', 'source' => 'wordpress' ) ),
);
$result   = tagbridge_update_settings( $settings );
tagbridge_demo_say( true === $result ? 'saved settings: gold_member <-> tag "Gold", first_name -> first_name (text)' : 'refused: ' . $result->get_error_message() );

$summary = TagBridge\Plugin::instance()->settings->summary();
tagbridge_demo_say( sprintf( 'compiled in the extension: %d role link(s), %d field(s); protected roles: %s', $summary['role_links'], $summary['fields'], implode( ', ', $summary['protected_roles'] ) ) );

$bad = tagbridge_update_settings( array( 'role_links' => array( array( 'role' => 'platinum', 'tag' => 'P' ) ) ) );
tagbridge_demo_say( 'a bad setting is refused and nothing changes: ' . $bad->get_error_message() );
tagbridge_demo_say( sprintf( 'stored settings still at revision %d', tagbridge_get_settings()['revision'] ) );
