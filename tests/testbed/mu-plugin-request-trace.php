<?php
/**
 * Plugin Name: TagBridge test bed: request trace
 * Description: Installed by tests/testbed/testbed.sh as a must-use plugin. Test bed only.
 *
 * Tells a test how far WordPress got in a request that asks (request header `X-TagBridge-Trace`),
 * without changing what the request does: each loading stage reached adds a response header
 * `X-TagBridge-Trace: STAGE` — `plugins_loaded` after every plugin's plugins_loaded callbacks
 * (TagBridge's composition root included), then `init`. A request answered by TagBridge's early
 * webhook entry carries neither.
 */

if ( isset( $_SERVER['HTTP_X_TAGBRIDGE_TRACE'] ) ) {
	foreach ( array( 'plugins_loaded', 'init' ) as $tagbridge_testbed_stage ) {
		add_action(
			$tagbridge_testbed_stage,
			static function () use ( $tagbridge_testbed_stage ) {
				if ( ! headers_sent() ) {
					header( 'X-TagBridge-Trace: ' . $tagbridge_testbed_stage, false );
				}
			},
			PHP_INT_MAX
		);
	}
	unset( $tagbridge_testbed_stage );
}
