<?php
/**
 * Plugin Name: TagBridge bench: synchronous webhook baseline
 * Description: Copied into the bench site by bench/webhooks.php only. Not part of the plugin.
 *
 * The baseline of the webhook benchmark: the same authentication, parsing and processing as
 * TagBridge's endpoint, but done inside the request before answering — the way WP Fusion's
 * handler works without its async option.
 */

add_action(
	'rest_api_init',
	static function () {
		register_rest_route(
			'tagbridge-bench/v1',
			'/sync-webhook',
			array(
				'methods'             => 'POST',
				'permission_callback' => '__return_true',
				'callback'            => static function ( WP_REST_Request $request ) {
					if ( ! hash_equals( TagBridge\Webhook\Secret::get(), (string) $request->get_header( 'x_tagbridge_key' ) ) ) {
						return new WP_REST_Response( array( 'code' => 'auth' ), 403 );
					}
					$parsed = tagbridge_webhook_parse( $request->get_query_params(), $request->get_body() );
					if ( ! $parsed['ok'] ) {
						return new WP_REST_Response( $parsed['error'], $parsed['error']['status'] );
					}
					$plugin    = TagBridge\Plugin::instance();
					$processor = new TagBridge\Webhook\Processor( array( TagBridge\Crm\Connection::class, 'crm' ), new TagBridge\Webhook\UserImporter( $plugin->settings ), $plugin->sync, $plugin->tags, $plugin->outbox, $plugin->roles );
					$out       = $processor->process( $parsed['request'] );
					return new WP_REST_Response( $out, 'done' === $out['outcome'] ? 200 : 500 );
				},
			)
		);
	}
);
