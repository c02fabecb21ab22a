<?php
/**
 * Plugin Name: TagBridge test bed: mail capture
 * Description: Installed by tests/testbed/testbed.sh as a must-use plugin. Test bed only.
 *
 * The test machine sends no mail. Every message WordPress tries to send (wp_mail) is appended as
 * one JSON line to wp-content/tagbridge-test-mails.jsonl instead, so tests — in their own process
 * and over HTTP against the served site — can assert on exactly which emails were attempted. It
 * runs last and records only mails nobody short-circuited before it (code that silences wp_mail()
 * through pre_wp_mail really sends nothing).
 */

add_filter(
	'pre_wp_mail',
	static function ( $short_circuit, $atts ) {
		if ( null !== $short_circuit ) {
			return $short_circuit;
		}
		$line = wp_json_encode(
			array(
				'to'      => $atts['to'],
				'subject' => $atts['subject'],
				'message' => $atts['message'],
			)
		);
		file_put_contents( WP_CONTENT_DIR . '/tagbridge-test-mails.jsonl', $line . "\n", FILE_APPEND | LOCK_EX );
		return true;
	},
	PHP_INT_MAX,
	2
);
