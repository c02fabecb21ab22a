<?php
/**
 * Roles ↔ tags in real WordPress with the embedded default: the tag store, the public API and the
 * role hooks (WordPress core's own hook sequence, fired by real WP_User calls).
 */

use TagBridge\Plugin;
use TagBridge\Tags\TagStore;
use TagBridge\Tests\TestCase;

final class RolesTagsTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'tb_gold', 'tb_silver' ) as $role ) {
			if ( ! get_role( $role ) ) {
				add_role( $role, ucfirst( $role ), array( 'read' => true ) );
			}
		}
		update_option( 'default_role', 'subscriber' );
		$this->assertTrue(
			tagbridge_update_settings(
				array(
					'role_links' => array(
						array( 'role' => 'tb_gold', 'tag' => 'Gold' ),
						array( 'role' => 'tb_silver', 'tag' => 'Silver' ),
					),
				)
			)
		);
	}

	public function test_applying_a_tag_grants_the_linked_role_at_once(): void {
		$id = $this->create_user( 'subscriber' );
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Gold', 'Unlinked' ), tagbridge_apply_tags( $id, array( 'Gold', 'Unlinked' ) ) );
		$this->assertSame( array(), tagbridge_apply_tags( $id, array( 'Gold' ) ), 'already present: nothing new' );
		$this->assertSame( array( 'subscriber', 'tb_gold' ), self::roles_of( $id ) );
		$this->assertTrue( tagbridge_has_tag( $id, 'Unlinked' ) );
		$this->assertSame( array( 'Gold', 'Unlinked' ), tagbridge_get_tags( $id ) );
	}

	public function test_removing_the_tag_removes_the_role_and_falls_back(): void {
		$id = $this->create_user( 'tb_gold' );
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Gold' ), tagbridge_get_tags( $id ), 'creating a user with a linked role applied its tag' );
		$this->assertSame( array( 'Gold' ), tagbridge_remove_tags( $id, array( 'Gold' ) ) );
		$this->assertSame( array( 'subscriber' ), self::roles_of( $id ), 'never left with no role' );
	}

	public function test_set_role_remove_add_set_is_handled_once(): void {
		$id = $this->create_user( 'tb_gold' );
		Plugin::instance()->roles->flush();
		$events = array();
		$spy    = static function ( $user_id, $tags ) use ( &$events ) {
			$events[] = $tags;
		};
		add_action( 'tagbridge_tags_applied', $spy, 10, 2 );
		add_action( 'tagbridge_tags_removed', $spy, 10, 2 );
		( new WP_User( $id ) )->set_role( 'tb_silver' ); // Fires remove → add → set.
		Plugin::instance()->roles->flush();
		remove_action( 'tagbridge_tags_applied', $spy, 10 );
		remove_action( 'tagbridge_tags_removed', $spy, 10 );
		$this->assertSame( array( array( 'Silver' ), array( 'Gold' ) ), $events, 'one apply and one removal' );
		$this->assertSame( array( 'Silver' ), tagbridge_get_tags( $id ) );
	}

	/**
	 * The role plan at the end of a request takes the user's tags from the tag change made
	 * earlier in the same request (a registration form's tags) instead of reading them back, but
	 * reads them when any other tag was written in this process since.
	 */
	public function test_the_role_plan_reuses_the_tags_just_written_unless_others_were_written_since(): void {
		$reads = static function ( callable $work ) {
			$count = 0;
			$spy   = static function ( $query ) use ( &$count ) {
				$count += false !== strpos( $query, 'SELECT tag FROM' ) ? 1 : 0;
				return $query;
			};
			add_filter( 'query', $spy );
			try {
				$work();
			} finally {
				remove_filter( 'query', $spy );
			}
			return $count;
		};
		$id    = $this->create_user( 'subscriber' );
		$other = $this->create_user( 'subscriber' );
		Plugin::instance()->roles->flush();

		tagbridge_apply_tags( $id, array( 'Form tag' ) );
		( new WP_User( $id ) )->set_role( 'tb_gold' );
		$this->assertSame( 0, $reads( static fn() => Plugin::instance()->roles->flush() ) );
		$this->assertSame( array( 'Form tag', 'Gold' ), tagbridge_get_tags( $id ) );

		tagbridge_apply_tags( $id, array( 'Another' ) );
		Plugin::instance()->tags->add( $other, array( 'Elsewhere' ) );
		( new WP_User( $id ) )->set_role( 'tb_silver' );
		$this->assertSame( 1, $reads( static fn() => Plugin::instance()->roles->flush() ) );
		$this->assertSame( array( 'Another', 'Form tag', 'Silver' ), tagbridge_get_tags( $id ) );
	}

	/**
	 * Roles written straight into the capabilities meta (no role hook fires; some plugins and
	 * imports do this) are noticed, between dozens of other meta writes, and so is a delete of it.
	 */
	public function test_raw_capabilities_writes_are_noticed(): void {
		global $wpdb;
		$key = $wpdb->get_blog_prefix() . 'capabilities';
		$id  = $this->create_user( 'subscriber' );
		Plugin::instance()->roles->flush();
		update_user_meta( $id, 'tb_unrelated', 'x' );
		update_user_meta( $id, $key, array( 'tb_gold' => true ) );
		update_user_meta( $id, 'tb_unrelated', 'y' );
		update_user_meta( $id, $key, array( 'tb_gold' => true ) ); // Unchanged: no second snapshot.
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Gold' ), tagbridge_get_tags( $id ) );
		$this->assertSame( array( 'tb_gold' ), self::roles_of( $id ) );

		update_user_meta( $id, 'tb_unrelated', 'z' );
		delete_user_meta( $id, $key );
		Plugin::instance()->roles->flush();
		$this->assertSame( array(), tagbridge_get_tags( $id ), 'the role went with the deleted meta, and its tag' );
	}

	/**
	 * WP User Manager's multiple-roles save (reference §7): core strips the user to one role, then
	 * WPUM re-adds the others at priority 99 — the net change is nothing.
	 */
	public function test_remove_then_readd_in_one_request_changes_no_tag(): void {
		$id = $this->create_user( 'tb_gold' );
		( new WP_User( $id ) )->add_role( 'tb_silver' );
		Plugin::instance()->roles->flush();
		$this->assertSame( array( 'Gold', 'Silver' ), tagbridge_get_tags( $id ) );
		$changes = 0;
		$count   = static function () use ( &$changes ) {
			$changes++;
		};
		add_action( 'tagbridge_tags_modified', $count );
		$user = new WP_User( $id );
		$user->set_role( 'tb_gold' );    // Core: strips tb_silver.
		$user->add_role( 'tb_silver' );  // WPUM at priority 99: adds it back.
		Plugin::instance()->roles->flush();
		remove_action( 'tagbridge_tags_modified', $count );
		$this->assertSame( 0, $changes );
		$this->assertSame( array( 'Gold', 'Silver' ), tagbridge_get_tags( $id ) );
	}

	public function test_administrators_are_never_changed(): void {
		$id = $this->create_user( 'administrator' );
		( new WP_User( $id ) )->add_role( 'tb_gold' );
		Plugin::instance()->roles->flush();
		tagbridge_remove_tags( $id, array( 'Gold' ) );
		$this->assertSame( array( 'administrator', 'tb_gold' ), self::roles_of( $id ) );
		$this->assertSame( array(), tagbridge_apply_tags( $id, array() ) );
	}

	public function test_bad_input_changes_nothing(): void {
		$id = $this->create_user( 'subscriber' );
		$this->assertSame( 'tagbridge_unknown_user', tagbridge_apply_tags( 999999999, array( 'Gold' ) )->get_error_code() );
		$this->assertSame( 'tagbridge_invalid_tags', tagbridge_apply_tags( $id, array( 'Gold', 5 ) )->get_error_code() );
		$this->assertSame( 'tagbridge_invalid_tags', tagbridge_apply_tags( $id, array( '' ) )->get_error_code() );
		$this->assertSame( 'tagbridge_invalid_tags', tagbridge_apply_tags( $id, 'Gold' )->get_error_code() );
		$this->assertSame( 'tagbridge_invalid_tags', tagbridge_apply_tags( $id, array( "\xff" ) )->get_error_code() );
		$this->assertSame( array(), tagbridge_get_tags( $id ) );
		$this->assertSame( array( 'subscriber' ), self::roles_of( $id ) );
	}

	public function test_link_role_sets_and_clears_a_link(): void {
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold VIP' ) );
		$links = array_column( tagbridge_get_settings()['role_links'], 'tag', 'role' );
		$this->assertSame( 'Gold VIP', $links['tb_gold'] );
		$this->assertTrue( tagbridge_link_role( 'tb_gold', null ) );
		$this->assertArrayNotHasKey( 'tb_gold', array_column( tagbridge_get_settings()['role_links'], 'tag', 'role' ) );
		$this->assertWPErrorCode( 'tagbridge_invalid_settings', tagbridge_link_role( 'no_such_role', 'X' ) );
	}

	/**
	 * Two PHP processes apply different tags to one user at the same moment: both survive
	 * (serialized user meta would lose one of them).
	 */
	public function test_concurrent_tag_application_loses_nothing(): void {
		$id   = $this->create_user( 'subscriber' );
		$outs = self::run_together( 'for ( $i = 0; $i < 50; $i++ ) { tagbridge_apply_tags( %d, array( $who . "-" . $i ) ); } echo "done";', $id );
		$this->assertSame( array( 'done', 'done' ), $outs );
		$this->assertCount( 100, tagbridge_get_tags( $id ) );
	}

	/**
	 * Two processes apply the same 40 tags to one user at the same moment, two at a time in the
	 * same order, so both find most tags missing and insert them together: each tag is announced
	 * as new by exactly one of them (the outbox and the linked roles act on that announcement).
	 */
	public function test_concurrent_applications_announce_each_tag_once(): void {
		$id   = $this->create_user( 'subscriber' );
		$outs = self::run_together(
			'$told = array();
			add_action( "tagbridge_tags_applied", function ( $user_id, $tags ) use ( &$told ) { $told = array_merge( $told, $tags ); }, 10, 2 );
			$tags = array();
			for ( $i = 0; $i < 40; $i++ ) { $tags[] = "shared-" . $i; }
			foreach ( array_chunk( $tags, 2 ) as $chunk ) { tagbridge_apply_tags( %d, $chunk ); }
			echo implode( ",", $told );',
			$id
		);
		$told = array();
		foreach ( $outs as $out ) {
			$told = array_merge( $told, '' === $out ? array() : explode( ',', $out ) );
		}
		sort( $told );
		$all = tagbridge_get_tags( $id );
		$this->assertCount( 40, $all );
		$this->assertSame( $all, $told, 'every tag announced exactly once across both processes' );
	}

	/**
	 * Runs $code (WordPress loaded, `%d` = $user_id, `$who` = "a" or "b") in two PHP processes
	 * that start it at the same moment; answers what each printed.
	 *
	 * @param string $code    PHP statements.
	 * @param int    $user_id User.
	 * @return string[]
	 */
	private static function run_together( string $code, int $user_id ): array {
		$start = microtime( true ) + 1.5;
		$procs = array();
		foreach ( array( 'a', 'b' ) as $who ) {
			$file = tempnam( sys_get_temp_dir(), 'tbc' );
			file_put_contents( $file, "<?php\n" . self::load_wordpress_code() . "\n\$who = '$who';\nwhile ( microtime( true ) < $start ) { usleep( 200 ); }\n" . sprintf( $code, $user_id ) );
			$procs[] = array( proc_open( array( PHP_BINARY, '-d', 'extension=' . getenv( 'TB_EXT' ), $file ), array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes ), $pipes, $file );
		}
		$outs = array();
		foreach ( $procs as list( $proc, $pipes, $file ) ) {
			$out  = stream_get_contents( $pipes[1] );
			$err  = stream_get_contents( $pipes[2] );
			$code = proc_close( $proc );
			unlink( $file );
			self::assertSame( 0, $code, $out . $err );
			self::assertSame( '', $err );
			$outs[] = $out;
		}
		return $outs;
	}

	/**
	 * The tag store writes several tags in one statement where the server answers RETURNING
	 * (MariaDB, as in this test bed) and one statement per tag elsewhere (MySQL): both answer
	 * exactly what they changed, for tags present, absent, repeated and non-ASCII.
	 */
	public function test_both_ways_of_writing_tags_answer_alike(): void {
		global $wpdb;
		foreach ( array( null, false ) as $returning ) {
			$store = new TagStore( $returning );
			$id    = $this->create_user( 'subscriber' );
			$this->assertSame( array( 'a', 'b' ), $store->add( $id, array( 'a', 'b' ) ) );
			$queries = $wpdb->num_queries;
			$this->assertSame( array( 'c', 'é "x\'' ), $store->add( $id, array( 'b', 'c', 'c', 'é "x\'' ) ) );
			// MariaDB 10.11 here: one statement for the three tags, or one each.
			$this->assertSame( null === $returning ? 1 : 3, $wpdb->num_queries - $queries );
			$this->assertSame( array(), $store->add( $id, array( 'a', 'c' ) ) );
			$this->assertSame( array( 'a', 'é "x\'' ), $store->remove( $id, array( 'x', 'a', 'é "x\'' ) ) );
			$this->assertSame( array(), $store->remove( $id, array( 'x', 'y' ) ) );
			$this->assertSame( array( 'b', 'c' ), $store->get( $id ) );
			$this->assertSame( 6, $store->writes() );
		}
	}

	public function test_deleting_a_user_forgets_their_tags(): void {
		$id = $this->create_user( 'subscriber' );
		tagbridge_apply_tags( $id, array( 'Bronze' ) );
		$this->assertContains( $id, Plugin::instance()->tags->users_with( 'Bronze' ) );
		wp_delete_user( $id );
		$this->forget_user( $id );
		$this->assertNotContains( $id, Plugin::instance()->tags->users_with( 'Bronze' ) );
	}

	private function assertWPErrorCode( string $code, $thing ): void {
		$this->assertInstanceOf( WP_Error::class, $thing );
		$this->assertSame( $code, $thing->get_error_code() );
	}
}
