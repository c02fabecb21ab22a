<?php
/**
 * TagBridge → Roles & Tags over real HTTP against the served site, logged in with real cookies:
 * who may see it, the links form (nonce, capability, refusals), and the reconcile reminder.
 */

use TagBridge\Plugin;
use TagBridge\Tests\TestCase;

final class AdminRolesScreenTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		if ( ! get_role( 'tb_gold' ) ) {
			add_role( 'tb_gold', 'Tb_gold', array( 'read' => true ) );
		}
		$this->assertTrue( tagbridge_update_settings( array( 'role_links' => array( array( 'role' => 'tb_gold', 'tag' => 'Gold <b>' ) ) ) ) );
		delete_option( \TagBridge\Roles\LinkChanges::OPTION );
	}

	private function get( string $path, array $cookies ): array {
		$res = wp_remote_get( getenv( 'TB_SITE_URL' ) . $path, array( 'cookies' => $cookies, 'redirection' => 0, 'timeout' => 30 ) );
		$this->assertNotWPError( $res );
		return array( wp_remote_retrieve_response_code( $res ), wp_remote_retrieve_body( $res ) );
	}

	private function save( array $cookies, array $links, string $nonce ): int {
		$res = wp_remote_post(
			getenv( 'TB_SITE_URL' ) . '/wp-admin/admin-post.php',
			array(
				'cookies'     => $cookies,
				'redirection' => 0,
				'timeout'     => 30,
				'headers'     => array(
					'Referer'      => getenv( 'TB_SITE_URL' ) . '/wp-admin/admin.php?page=tagbridge',
					'Content-Type' => 'application/x-www-form-urlencoded',
				),
				// A string body: WordPress 6.1's Requests raises a PHP 8.2 deprecation encoding arrays.
				'body'        => http_build_query(
					array(
						'action'   => 'tagbridge_save_links',
						'_wpnonce' => $nonce,
						'links'    => $links,
					)
				),
			)
		);
		$this->assertNotWPError( $res );
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( 'tagbridge_settings', 'options' );
		return (int) wp_remote_retrieve_response_code( $res );
	}

	public function test_administrators_see_links_escaped_and_the_reconcile_panel(): void {
		$cookies              = $this->login_cookies( $this->create_user( 'administrator' ) );
		[ $status, $html ] = $this->get( '/wp-admin/admin.php?page=tagbridge', $cookies );
		$this->assertSame( 200, $status );
		$this->assertStringContainsString( 'name="links[tb_gold]" value="Gold &lt;b&gt;"', $html );
		$this->assertStringContainsString( 'id="tagbridge-reconcile-form"', $html );
		$this->assertStringContainsString( 'assets/reconcile.js', $html );
		$this->assertStringNotContainsString( 'Gold <b>', $html, 'never printed raw' );
	}

	public function test_other_users_are_refused(): void {
		$cookies = $this->login_cookies( $this->create_user( 'editor' ) );
		[ $status, $html ] = $this->get( '/wp-admin/admin.php?page=tagbridge', $cookies );
		$this->assertSame( 403, $status );
		$this->assertStringNotContainsString( 'tagbridge-reconcile-form', $html );
		$this->assertSame( 403, $this->save( $cookies, array( 'tb_gold' => 'Hijack' ), wp_create_nonce( 'tagbridge_save_links' ) ) );
		$this->assertSame( 'Gold <b>', Plugin::instance()->settings->linked_tag( 'tb_gold' ) );
	}

	public function test_saving_links_needs_the_nonce_and_offers_a_reconcile(): void {
		$cookies = $this->login_cookies( $this->create_user( 'administrator' ) );
		$this->assertSame( 403, $this->save( $cookies, array( 'tb_gold' => 'Platinum' ), 'bad-nonce' ) );
		$this->assertSame( 'Gold <b>', Plugin::instance()->settings->linked_tag( 'tb_gold' ) );

		$this->assertSame( 302, $this->save( $cookies, array( 'tb_gold' => ' Platinum ', 'subscriber' => '' ), wp_create_nonce( 'tagbridge_save_links' ) ) );
		$this->assertSame( 'Platinum', Plugin::instance()->settings->linked_tag( 'tb_gold' ) );
		$this->assertNull( Plugin::instance()->settings->linked_tag( 'subscriber' ) );
		wp_cache_delete( \TagBridge\Roles\LinkChanges::OPTION, 'options' );
		$this->assertSame( array( 'tb_gold' ), Plugin::instance()->link_changes->pending() );

		[ , $html ] = $this->get( '/wp-admin/index.php', $cookies );
		$this->assertStringContainsString( 'existing users have not been reconciled yet: tb_gold', $html );
		$this->assertStringContainsString( 'Role links saved.', $html, 'the notice survived the redirect' );
	}

	public function test_a_refused_link_is_explained_and_nothing_saved(): void {
		$cookies = $this->login_cookies( $this->create_user( 'administrator' ) );
		$this->assertSame( 302, $this->save( $cookies, array( 'tb_gold' => 'Gold', 'subscriber' => str_repeat( 'x', 200 ) ), wp_create_nonce( 'tagbridge_save_links' ) ) );
		$this->assertSame( 'Gold <b>', Plugin::instance()->settings->linked_tag( 'tb_gold' ), 'all or nothing' );
		[ , $html ] = $this->get( '/wp-admin/admin.php?page=tagbridge', $cookies );
		$this->assertStringContainsString( 'notice-error', $html );
		$this->assertStringContainsString( 'Settings refused', $html );
	}
}
