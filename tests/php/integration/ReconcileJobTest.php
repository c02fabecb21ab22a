<?php
/**
 * The reconcile-all-users job in real WordPress over thousands of real users (created in bulk in
 * the real users/usermeta/tag tables): dry run first, choice of truth, restriction to changed
 * links, progress, resume after interruption, one stepper at a time, REST and its permissions.
 */

use TagBridge\Ext\InputException;
use TagBridge\Jobs\ReconcileJob;
use TagBridge\Plugin;
use TagBridge\Roles\FactsBatch;
use TagBridge\Tests\BulkUsers;
use TagBridge\Tests\TestCase;

final class ReconcileJobTest extends TestCase {

	private const PREFIX = 'tbrecon_';
	private const USERS  = 5000;

	/** @var int[] */
	private $ids = array();

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'tb_gold', 'tb_silver' ) as $role ) {
			if ( ! get_role( $role ) ) {
				add_role( $role, ucfirst( $role ), array( 'read' => true ) );
			}
		}
		update_option( 'default_role', 'subscriber' );
		$this->assertTrue( tagbridge_update_settings( array( 'role_links' => array( array( 'role' => 'tb_silver', 'tag' => 'Silver' ) ) ) ) );
		delete_option( ReconcileJob::OPTION );
		delete_option( \TagBridge\Roles\LinkChanges::OPTION );
		// Every 2nd user holds tb_gold (with subscriber every 4th); every 3rd has tag Gold;
		// every 5th holds tb_silver with its tag (already in agreement); user 0 is an administrator.
		$this->ids = BulkUsers::create(
			self::PREFIX,
			self::USERS,
			static function ( $i ) {
				if ( 0 === $i ) {
					return array( 'administrator' );
				}
				$roles = array();
				if ( 0 === $i % 2 ) {
					$roles[] = 'tb_gold';
				}
				if ( 0 === $i % 4 || ! $roles ) {
					$roles[] = 'subscriber';
				}
				if ( 0 === $i % 5 ) {
					$roles[] = 'tb_silver';
				}
				return $roles;
			},
			static function ( $i ) {
				$tags = array();
				if ( 0 === $i % 3 ) {
					$tags[] = 'Gold';
				}
				if ( 0 === $i % 5 && $i > 0 ) {
					$tags[] = 'Silver';
				}
				return $tags;
			}
		);
	}

	protected function tearDown(): void {
		BulkUsers::remove( self::PREFIX );
		wp_clear_scheduled_hook( ReconcileJob::CRON_HOOK );
		parent::tearDown();
	}

	private function job(): ReconcileJob {
		return Plugin::instance()->reconcile;
	}

	private function run_to_end( array $job ): array {
		$this->assertIsArray( $job );
		for ( $i = 0; $i < 1000 && 'running' === $job['status']; $i++ ) {
			$job = $this->job()->step( 0.0 ); // One page a step.
		}
		$this->assertSame( 'done', $job['status'] );
		return $job;
	}

	/** Expected counts, computed from the generator independently of the planner. */
	private function expected_gold( string $truth ): array {
		$gain = 0;
		$lose = 0;
		$fallback = 0;
		// The administrator (user 0, tag Gold, no tb_gold) keeps their roles, but under roles-as-truth
		// their tag follows the roles they hold like anyone's.
		for ( $i = 'roles' === $truth ? 0 : 1; $i < self::USERS; $i++ ) {
			$role = $i > 0 && 0 === $i % 2;
			$tag  = 0 === $i % 3;
			if ( $role && ! $tag ) {
				$lose++;
				if ( 'tags' === $truth && 0 !== $i % 4 && 0 !== $i % 5 ) {
					$fallback++; // tb_gold was the only role.
				}
			} elseif ( $tag && ! $role ) {
				$gain++;
			}
		}
		return array( $gain, $lose, $fallback );
	}

	private function role_holders( string $role ): int {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->usermeta} m JOIN {$wpdb->users} u ON u.ID = m.user_id WHERE u.user_login LIKE %s AND m.meta_key = %s AND m.meta_value LIKE %s", self::PREFIX . '%', $wpdb->get_blog_prefix() . 'capabilities', '%"' . $role . '"%' ) );
	}

	public function test_linking_to_a_tag_offers_a_dry_run_and_applies_only_after_it(): void {
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$this->assertSame( array( 'tb_gold' ), Plugin::instance()->link_changes->pending() );
		$gold_before = $this->role_holders( 'tb_gold' );
		$tags_before = count( Plugin::instance()->tags->users_with( 'Gold' ) );

		// Applying without a dry run is refused.
		$refused = $this->job()->start( 'tags', false, array( 'tb_gold' ) );
		$this->assertWPError( $refused );
		$this->assertSame( 'tagbridge_dry_run_first', $refused->get_error_code() );

		$dry = $this->run_to_end( $this->job()->start( 'tags', true, array( 'tb_gold' ) ) );
		[ $gain, $lose, $fallback ] = $this->expected_gold( 'tags' );
		$this->assertGreaterThanOrEqual( self::USERS, $dry['processed'] );
		$this->assertSame( $gain, $dry['counts']['add_roles']['tb_gold'] );
		$this->assertSame( $lose, $dry['counts']['remove_roles']['tb_gold'] );
		$this->assertSame( $fallback, $dry['counts']['add_roles']['subscriber'] );
		$this->assertArrayNotHasKey( 'tb_silver', $dry['counts']['remove_roles'], 'other links are not touched' );
		$this->assertSame( $gold_before, $this->role_holders( 'tb_gold' ), 'a dry run changes nothing' );
		$this->assertSame( array( 'tb_gold' ), Plugin::instance()->link_changes->pending() );

		// Applying a different choice than the dry run is refused too.
		$this->assertWPError( $this->job()->start( 'roles', false, array( 'tb_gold' ), $dry['id'] ) );

		$done = $this->run_to_end( $this->job()->start( 'tags', false, array( 'tb_gold' ), $dry['id'] ) );
		$this->assertSame( $dry['counts'], $done['counts'] );
		$this->assertSame( $gold_before + $gain - $lose, $this->role_holders( 'tb_gold' ) );
		$this->assertSame( $tags_before, count( Plugin::instance()->tags->users_with( 'Gold' ) ), 'tags are the truth: unchanged' );
		$this->assertSame( array( 'administrator' ), get_userdata( $this->ids[0] )->roles, 'administrator untouched' );
		$this->assertSame( array(), Plugin::instance()->link_changes->pending(), 'reconciled' );

		// Converged: a second dry run finds nothing.
		$again = $this->run_to_end( $this->job()->start( 'tags', true, array( 'tb_gold' ) ) );
		$this->assertSame( 0, $again['users_changed'] );
	}

	public function test_roles_as_truth_applies_the_new_tag_to_every_holder(): void {
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$dry  = $this->run_to_end( $this->job()->start( 'roles', true, null ) );
		$done = $this->run_to_end( $this->job()->start( 'roles', false, null, $dry['id'] ) );
		[ $gain, $lose ] = $this->expected_gold( 'roles' );
		$this->assertSame( $lose, $done['counts']['apply_tags']['Gold'], 'role holders without the tag get it' );
		$this->assertSame( $gain, $done['counts']['remove_tags']['Gold'], 'tag holders without the role lose it' );
		$holders = $this->role_holders( 'tb_gold' );
		$tagged  = array_intersect( Plugin::instance()->tags->users_with( 'Gold' ), $this->ids );
		$this->assertCount( $holders, $tagged );
		$this->assertSame( 0, $this->run_to_end( $this->job()->start( 'roles', true, null ) )['users_changed'] );
	}

	public function test_bulk_role_writes_match_what_wp_user_stores_and_fire_role_hooks(): void {
		global $wpdb;
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$id = $this->create_user( 'author' ); // author carries level_0..level_2, editor up to level_7.
		get_userdata( $id )->add_cap( 'edit_posts', false ); // An explicit denial must survive.
		get_userdata( $id )->add_cap( 'editor', false ); // A denied role: WP_User still counts its level_7.
		tagbridge_apply_tags( $id, array( 'Gold' ) ); // Grants tb_gold at once...
		// ...then the role is taken away without TagBridge hearing of it.
		Plugin::instance()->roles->pause( static fn() => get_userdata( $id )->remove_role( 'tb_gold' ) );
		$heard = array();
		$hook  = static function ( $user_id, $role ) use ( &$heard, $id ) {
			if ( $user_id === $id ) {
				$heard[] = current_action() . ':' . $role;
			}
		};
		add_action( 'add_user_role', $hook, 10, 2 );
		$dry = $this->run_to_end( $this->job()->start( 'tags', true, array( 'tb_gold' ) ) );
		$this->run_to_end( $this->job()->start( 'tags', false, array( 'tb_gold' ), $dry['id'] ) );
		remove_action( 'add_user_role', $hook, 10 );

		$this->assertSame( array( 'add_user_role:tb_gold' ), $heard );
		clean_user_cache( $id );
		$caps = get_user_meta( $id, $wpdb->get_blog_prefix() . 'capabilities', true );
		$this->assertSame( array( 'author' => true, 'edit_posts' => false, 'editor' => false, 'tb_gold' => true ), $caps );
		$stored = (int) get_user_meta( $id, $wpdb->get_blog_prefix() . 'user_level', true );
		$user   = new WP_User( $id );
		$user->update_user_level_from_caps(); // What WordPress itself computes.
		$this->assertSame( 7, $stored );
		$this->assertSame( (int) get_user_meta( $id, $wpdb->get_blog_prefix() . 'user_level', true ), $stored );
	}

	/**
	 * The extension reads capabilities meta as WordPress stores it, with the split PHP makes; meta
	 * in another shape (an integer where WordPress writes true) is refused and read by PHP, and the
	 * job reconciles that user all the same.
	 */
	public function test_stored_capabilities_are_read_by_the_extension_or_else_by_php(): void {
		global $wpdb;
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$ids = array();
		Plugin::instance()->roles->pause(
			function () use ( &$ids, $wpdb ) {
				$ids[] = $this->create_user( 'author' );
				$user  = get_userdata( end( $ids ) );
				$user->add_role( 'tb_gold' );
				$user->add_cap( 'edit_posts', false );
				$user->add_cap( 'tb_extra' );
				$ids[] = $this->create_user( 'subscriber' );
				$user  = get_userdata( end( $ids ) );
				$user->set_role( 'tb_gold' );
				$user->remove_role( 'tb_gold' ); // No role left: a:0:{}.
				$ids[] = $this->create_user( 'editor' );
				get_userdata( end( $ids ) )->add_cap( 'tb_gold', false ); // A denied role.
				$ids[] = $this->create_user( 'subscriber' );
				update_user_meta( end( $ids ), $wpdb->get_blog_prefix() . 'capabilities', array( 'tb_gold' => 1, 'subscriber' => true ) );
			}
		);
		$version = Plugin::instance()->settings->compiled();
		$facts   = ( new FactsBatch( Plugin::instance()->tags ) )->page( $ids[0] - 1, 4 );
		$this->assertSame( $ids, array_column( $facts, 'user_id' ) );
		$stored = array_slice( $facts, 0, 3 );
		foreach ( array( array( 'resync' => 'tags' ), array( 'resync' => 'roles' ) ) as $event ) {
			$plans = tagbridge_plan_batch( $version, $stored, $event );
			$this->assertCount( 1, $plans, 'the author holds tb_gold without its tag' );
			$this->assertSame( tagbridge_plan_batch( $version, ( new FactsBatch( Plugin::instance()->tags ) )->unserialized( $stored ), $event ), $plans );
		}
		try {
			tagbridge_plan_batch( $version, array( $facts[3] ), array( 'resync' => 'tags' ) );
			$this->fail( 'an integer value is not the shape WordPress writes' );
		} catch ( InputException $e ) {
			$this->assertStringStartsWith( 'users[0].capabilities: not the capabilities meta as WordPress writes it', $e->getMessage() );
		}

		$dry = $this->run_to_end( $this->job()->start( 'tags', true, array( 'tb_gold' ) ) );
		$this->run_to_end( $this->job()->start( 'tags', false, array( 'tb_gold' ), $dry['id'] ) );
		clean_user_cache( $ids[3] );
		$this->assertSame( array( 'subscriber' ), get_userdata( $ids[3] )->roles, 'tb_gold taken from the user PHP read' );
		$this->assertSame( array( 'author', 'tb_extra' ), array_keys( array_filter( get_userdata( $ids[0] )->caps ) ) );
	}

	public function test_an_interrupted_job_resumes_where_it_stopped(): void {
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$dry = $this->run_to_end( $this->job()->start( 'roles', true, null ) );
		$job = $this->job()->start( 'roles', false, null, $dry['id'] );
		$job = $this->job()->step( 0.0 );
		$this->assertSame( 'running', $job['status'] );
		$this->assertSame( ReconcileJob::PAGE, $job['processed'] );
		$this->assertNotFalse( wp_next_scheduled( ReconcileJob::CRON_HOOK ), 'WP-Cron carries it on if nobody polls' );

		// A new PHP process (the browser closed, the worker died) carries on from the stored cursor.
		[ $code, $out ] = $this->run_php(
			self::load_wordpress_code() . '
			do { $j = TagBridge\Plugin::instance()->reconcile->step( 30.0 ); } while ( "running" === $j["status"] );
			echo json_encode( array( $j["status"], $j["processed"], $j["users_changed"] ) );'
		);
		$this->assertSame( 0, $code, $out );
		[ $status, $processed ] = json_decode( $out, true );
		$this->assertSame( 'done', $status );
		wp_cache_delete( ReconcileJob::OPTION, 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		$final = $this->job()->state();
		$this->assertSame( $processed, $final['processed'] );
		$this->assertSame( $dry['counts'], $final['counts'], 'every user visited exactly once' );
	}

	public function test_one_stepper_at_a_time(): void {
		global $wpdb;
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$this->job()->start( 'roles', true, null );
		// Another worker holds the job's lock (a second connection, as another PHP worker would).
		$other = new wpdb( DB_USER, DB_PASSWORD, DB_NAME, DB_HOST );
		$this->assertSame( '1', (string) $other->get_var( "SELECT GET_LOCK('tagbridge_reconcile', 0)" ) );
		$job = $this->job()->step( 0.0 );
		$this->assertTrue( $job['busy'] );
		$this->assertSame( 0, $job['processed'] );
		$other->query( "SELECT RELEASE_LOCK('tagbridge_reconcile')" );
		$other->close();
		$this->assertSame( ReconcileJob::PAGE, $this->job()->step( 0.0 )['processed'] );
		$this->assertSame( 'cancelled', $this->job()->cancel()['status'] );
		$this->assertSame( 'cancelled', $this->job()->step( 0.0 )['status'], 'a cancelled job stays stopped' );
	}

	public function test_bad_requests_are_refused_with_reasons(): void {
		$this->assertWPError( $this->job()->start( 'both', true ) );
		$this->assertWPError( $this->job()->start( 'roles', 'yes' ) );
		$bad = $this->job()->start( 'roles', true, array( 'administrator' ) );
		$this->assertWPError( $bad );
		$this->assertStringContainsString( 'not a linked role', $bad->get_error_message() );
		$this->assertNull( $this->job()->state() );
		$this->job()->start( 'roles', true, null );
		$this->assertSame( 409, $this->job()->start( 'roles', true, null )->get_error_data()['status'], 'one job at a time' );
	}

	public function test_rest_routes_drive_the_job_for_administrators_only(): void {
		$this->assertTrue( tagbridge_link_role( 'tb_gold', 'Gold' ) );
		$request = static function ( string $method, string $path, ?array $body = null ) {
			$r = new WP_REST_Request( $method, '/tagbridge/v1/' . $path );
			if ( null !== $body ) {
				$r->set_header( 'Content-Type', 'application/json' );
				$r->set_body( wp_json_encode( $body ) );
			}
			return rest_do_request( $r );
		};
		wp_set_current_user( $this->create_user( 'subscriber' ) );
		$this->assertSame( 403, $request( 'POST', 'reconcile', array( 'truth' => 'roles', 'dry_run' => true ) )->get_status() );
		$this->assertSame( 403, $request( 'GET', 'reconcile' )->get_status() );

		wp_set_current_user( $this->create_user( 'administrator' ) );
		$this->assertSame( 400, $request( 'POST', 'reconcile', array( 'truth' => 'nope', 'dry_run' => true ) )->get_status() );
		$started = $request( 'POST', 'reconcile', array( 'truth' => 'roles', 'dry_run' => true ) );
		$this->assertSame( 201, $started->get_status() );
		do {
			$res = $request( 'POST', 'reconcile/step' );
			$this->assertSame( 200, $res->get_status() );
			$job = $res->get_data()['job'];
		} while ( 'running' === $job['status'] );
		$this->assertSame( 'done', $job['status'] );
		$this->assertSame( $job['id'], $request( 'GET', 'reconcile' )->get_data()['job']['id'] );
		$apply = $request( 'POST', 'reconcile', array( 'truth' => 'roles', 'dry_run' => false, 'dry_run_id' => $job['id'] ) );
		$this->assertSame( 201, $apply->get_status() );
		$this->assertSame( 'cancelled', $request( 'DELETE', 'reconcile' )->get_data()['job']['status'] );
	}
}
