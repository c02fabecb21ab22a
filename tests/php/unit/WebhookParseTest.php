<?php
/**
 * tagbridge_webhook_parse() through the real extension: answers, refusals, hostile PHP values.
 */

use PHPUnit\Framework\TestCase;

final class WebhookParseTest extends TestCase {

	public function test_accepts_a_json_add_and_types_every_key(): void {
		$out = tagbridge_webhook_parse( array( 'tagbridge_action' => 'add', 'key' => 'secret' ), '{"email":"Ann@Example.ORG","contact_id":12,"tags":["Gold","Gold"],"send_notification":"false","fields":{"city":"Oslo"}}' );
		$this->assertTrue( $out['ok'] );
		$this->assertSame( 'add', $out['request']['action'] );
		$this->assertSame( 'Ann@example.org', $out['request']['email'] );
		$this->assertSame( '12', $out['request']['contact_id'] );
		$this->assertSame( array( 'Gold' ), $out['request']['tags'] );
		$this->assertFalse( $out['request']['send_notification'] );
		$this->assertSame( array( 'city' => 'Oslo' ), $out['request']['fields'] );
		$this->assertSame( 'email:ann@example.org', $out['request']['contact_key'] );
		$this->assertStringNotContainsString( 'secret', json_encode( $out ), 'the key is never echoed' );
	}

	public function test_refusals_carry_code_status_and_path(): void {
		$cases = array(
			array( array(), '', 'missing_action', 400 ),
			array( array( 'action' => 'nuke' ), '', 'unknown_action', 400 ),
			array( array( 'action' => 'add' ), "\xff\xfe", 'not_utf8', 400 ),
			array( array( 'action' => 'add' ), '{"email":', 'invalid_json', 400 ),
			array( array( 'action' => 'add' ), str_repeat( ' ', 300000 ), 'payload_too_large', 413 ),
			array( array( 'action' => 'add', 'email' => 'a@b.co' ), '{"fields":{"wp_capabilities":{"administrator":true}}}', 'reserved_field', 400 ),
			array( array( 'action' => 'update', 'email' => 'a@b.co', 'role' => 'editor' ), '', 'not_for_action', 400 ),
			array( array( 'action' => array( 'add' ) ), '', 'invalid_parameter', 400 ),
		);
		foreach ( $cases as $i => list( $params, $body, $code, $status ) ) {
			$out = tagbridge_webhook_parse( $params, $body );
			$this->assertFalse( $out['ok'], "case $i" );
			$this->assertSame( $code, $out['error']['code'], "case $i: " . $out['error']['message'] );
			$this->assertSame( $status, $out['error']['status'], "case $i" );
		}
	}

	public function test_php_values_that_are_not_plain_data_are_refused_not_crashed(): void {
		$fh  = fopen( 'php://memory', 'r' );
		$out = tagbridge_webhook_parse( array( 'action' => $fh ), '' );
		fclose( $fh );
		$this->assertFalse( $out['ok'] );
		$this->assertFalse( tagbridge_webhook_parse( array( "\xff" => 'x' ), '' )['ok'] );
		$this->assertFalse( tagbridge_webhook_parse( 'not an array', '' )['ok'] );
		$this->assertFalse( tagbridge_webhook_parse( array( 'action' => 'test' ), array( 'body' ) )['ok'] );
		$this->assertTrue( tagbridge_webhook_parse( array( 'action' => 'test' ), null )['ok'] );
	}
}
