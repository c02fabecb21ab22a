<?php
/**
 * The roles ↔ tags planner through the PHP boundary.
 */

use PHPUnit\Framework\TestCase;
use TagBridge\Ext\InputException;
use TagBridge\Ext\NotCompiledException;

final class PlanTest extends TestCase {

	private const VERSION = 'plan-test';

	public static function setUpBeforeClass(): void {
		tagbridge_compile_settings(
			self::VERSION,
			array( 'role_links' => array( array( 'role' => 'gold', 'tag' => 'Gold' ) ) ),
			array(
				'roles'         => array(
					'administrator' => array( 'capabilities' => array( 'manage_options' => true ) ),
					'subscriber'    => array( 'capabilities' => array( 'read' => true ) ),
					'gold'          => array( 'capabilities' => array( 'read' => true ) ),
				),
				'fallback_role' => 'subscriber',
			)
		);
	}

	public function test_tag_applied_grants_the_linked_role_with_a_reason(): void {
		$plan = tagbridge_plan( self::VERSION, array( 'user_id' => 5, 'roles' => array( 'subscriber' ), 'tags' => array( 'Gold' ) ), array( 'tags_applied' => array( 'Gold' ) ) );
		$this->assertSame( 5, $plan['user_id'] );
		$this->assertSame( 'gold', $plan['add_roles'][0]['role'] );
		$this->assertSame( 'tag_applied', $plan['add_roles'][0]['reason'] );
		$this->assertStringContainsString( 'tag "Gold" is present', $plan['add_roles'][0]['detail'] );
		$this->assertSame( array(), $plan['remove_roles'] );
	}

	public function test_removal_falls_back_and_admins_are_left_alone(): void {
		$plan = tagbridge_plan( self::VERSION, array( 'user_id' => 6, 'roles' => array( 'gold' ), 'tags' => array() ), array( 'tags_removed' => array( 'Gold' ) ) );
		$this->assertSame( array( 'gold' ), array_column( $plan['remove_roles'], 'role' ) );
		$this->assertSame( array( 'subscriber' ), array_column( $plan['add_roles'], 'role' ) );
		$plan = tagbridge_plan( self::VERSION, array( 'user_id' => 1, 'roles' => array( 'administrator', 'gold' ), 'tags' => array() ), array( 'tags_removed' => array( 'Gold' ) ) );
		$this->assertSame( array(), $plan['remove_roles'] );
		$this->assertSame( 'protected_user', $plan['notes'][0]['code'] );
	}

	public function test_batch_plans_only_what_changes(): void {
		$users = array();
		for ( $i = 1; $i <= 5000; $i++ ) {
			$users[] = array( 'user_id' => $i, 'roles' => array( 'subscriber' ), 'tags' => 0 === $i % 2 ? array( 'Gold' ) : array() );
		}
		$plans = tagbridge_plan_batch( self::VERSION, $users, array( 'resync' => 'tags' ) );
		$this->assertCount( 2500, $plans );
		$this->assertSame( 2, $plans[0]['user_id'] );
		$this->assertSame( 'resync', $plans[0]['add_roles'][0]['reason'] );
	}

	public function test_unknown_version_is_refused(): void {
		$this->expectException( NotCompiledException::class );
		tagbridge_plan( 'never-compiled', array( 'user_id' => 1 ), array() );
	}

	/**
	 * @dataProvider bad_facts
	 */
	public function test_malformed_facts_are_refused( $user, $event, string $message ): void {
		try {
			tagbridge_plan( self::VERSION, $user, $event );
			$this->fail( 'no exception' );
		} catch ( InputException $e ) {
			$this->assertStringStartsWith( $message, $e->getMessage() );
		}
	}

	public static function bad_facts(): array {
		return array(
			'no user id'       => array( array( 'roles' => array() ), array(), 'user.user_id: is required' ),
			'negative id'      => array( array( 'user_id' => -1 ), array(), 'user.user_id: expected a whole number' ),
			'roles not a list' => array( array( 'user_id' => 1, 'roles' => 'gold' ), array(), 'user.roles: expected a list' ),
			'tag not a string' => array( array( 'user_id' => 1, 'tags' => array( 5 ) ), array(), 'user.tags[0]: expected a string' ),
			'non-UTF-8 tag'    => array( array( 'user_id' => 1, 'tags' => array( "\xff" ) ), array(), 'user[tags][0]: is not valid UTF-8' ),
			'unknown key'      => array( array( 'user_id' => 1, 'role' => array() ), array(), 'user.role: unknown key' ),
			'bad resync'       => array( array( 'user_id' => 1 ), array( 'resync' => 'both' ), 'event.resync: unknown resync side "both"' ),
			'event too deep'   => array( array( 'user_id' => 1 ), array( 'tags_applied' => array( array( array( array( array( 'x' ) ) ) ) ) ), 'event[tags_applied][0][0][0]' ),
		);
	}

	public function test_batch_refuses_a_bad_entry_by_index(): void {
		$this->expectException( InputException::class );
		$this->expectExceptionMessage( 'users[1].user_id: is required' );
		tagbridge_plan_batch( self::VERSION, array( array( 'user_id' => 1 ), array( 'roles' => array() ) ), array( 'resync' => 'tags' ) );
	}

	/**
	 * Facts the fast reader leaves to the checked one (padded or repeated names, nulls, references,
	 * a list stored as a hash) plan exactly like their plain form.
	 */
	public function test_unusual_but_valid_facts_plan_like_plain_ones(): void {
		$event = array( 'tags_applied' => array( 'Gold' ) );
		$plain = tagbridge_plan( self::VERSION, array( 'user_id' => 5, 'roles' => array( 'subscriber' ), 'tags' => array( 'Gold' ) ), $event );
		$this->assertSame( 'gold', $plain['add_roles'][0]['role'] );

		$hashed = array( 'x' => 1 );
		unset( $hashed['x'] );
		$hashed[0] = 'subscriber';
		$tags      = array( 'Gold' );
		$variants  = array(
			'padded and repeated names' => array( 'user_id' => 5, 'roles' => array( ' subscriber ', 'subscriber' ), 'tags' => array( 'Gold ' ) ),
			'nulls'                     => array( 'user_id' => 5, 'roles' => array( 'subscriber' ), 'tags' => array( 'Gold' ), 'caps' => null, 'super_admin' => null ),
			'a reference'               => array( 'user_id' => 5, 'roles' => array( 'subscriber' ), 'tags' => &$tags ),
			'a list stored as a hash'   => array( 'user_id' => 5, 'roles' => $hashed, 'tags' => array( 'Gold' ) ),
			'a long padded name'        => array( 'user_id' => 5, 'roles' => array( str_repeat( ' ', 300 ) . 'subscriber' ), 'tags' => array( 'Gold' ) ),
		);
		foreach ( $variants as $label => $user ) {
			$this->assertSame( $plain, tagbridge_plan( self::VERSION, $user, $event ), $label );
			$this->assertSame( array( $plain ), tagbridge_plan_batch( self::VERSION, array( $user ), $event ), $label );
		}
		$this->assertSame( $plain, tagbridge_plan( self::VERSION, $variants['nulls'], array( 'tags_applied' => array( ' Gold' ), 'resync' => null ) ) );
	}

	/**
	 * Refusals keep their order: structure anywhere in the input (UTF-8, nesting, types) before the
	 * meaning of an entry, users before the event, and a list whose keys are out of order is a map.
	 */
	public function test_refusals_keep_their_order_and_paths(): void {
		$users = array();
		for ( $i = 0; $i < 3000; $i++ ) {
			$users[] = array( 'user_id' => $i, 'roles' => array( 'subscriber' ) );
		}
		$users[1000]['roles']  = 'gold';
		$users[2500]['tags'][] = "\xff";
		$cases                 = array(
			array( $users, array(), 'users[2500][tags][0]: is not valid UTF-8' ),
			array( array_slice( $users, 0, 2000 ), array( 'resync' => 'both' ), 'users[1000].roles: expected a list' ),
			array( array( array( 'user_id' => 1 ) ), array( 'resync' => 'both' ), 'event.resync: unknown resync side "both"' ),
			array( array( array( 'user_id' => 1, 'roles' => array( 1 => 'gold', 0 => 'subscriber' ) ) ), array(), 'users[0].roles: expected a list' ),
		);
		foreach ( $cases as list( $batch, $event, $message ) ) {
			try {
				tagbridge_plan_batch( self::VERSION, $batch, $event );
				$this->fail( 'no exception: ' . $message );
			} catch ( InputException $e ) {
				$this->assertStringStartsWith( $message, $e->getMessage() );
			}
		}
		try {
			tagbridge_plan( self::VERSION, array( 'user_id' => 1, 'tags' => array( 5 ) ), array( 'resync' => 'both' ) );
			$this->fail( 'no exception' );
		} catch ( InputException $e ) {
			$this->assertStringStartsWith( 'user.tags[0]: expected a string', $e->getMessage() );
		}
	}

	/**
	 * The capabilities meta as stored plans exactly like the split FactsBatch makes in PHP
	 * (unserialize, then keys naming a registered role are roles); every other shape unserialize()
	 * reads is refused, for the caller to split in PHP.
	 */
	public function test_stored_capabilities_plan_like_their_php_split(): void {
		$roles  = array( 'administrator', 'subscriber', 'gold' ); // As compiled in setUpBeforeClass().
		$stored = array(
			'role and fallback'        => array( 'gold' => true, 'subscriber' => true ),
			'protected by a cap'       => array( 'gold' => true, 'manage_options' => true ),
			'denied role and cap'      => array( 'gold' => false, 'manage_options' => false, 'subscriber' => true ),
			'nothing'                  => array(),
			'padded key is no role'    => array( ' gold ' => true ),
			'format bytes in a key'    => array( 'a";b:1;}' => true, 'gold' => true ),
			'non-ASCII key'            => array( 'gérer' => true, 'gold' => true ),
		);
		foreach ( array( array( 'resync' => 'tags' ), array( 'resync' => 'roles' ), array( 'tags_removed' => array( 'Gold' ) ) ) as $event ) {
			foreach ( $stored as $label => $caps ) {
				$split = array( 'roles' => array(), 'caps' => array() );
				foreach ( unserialize( serialize( $caps ) ) as $name => $granted ) {
					if ( $granted ) {
						$split[ in_array( $name, $roles, true ) ? 'roles' : 'caps' ][] = (string) $name;
					}
				}
				$php = array( 'user_id' => 9, 'tags' => array() ) + $split;
				$raw = array(
					'user_id'      => 9,
					'tags'         => array(),
					'capabilities' => serialize( $caps ),
				);
				$this->assertSame( tagbridge_plan( self::VERSION, $php, $event ), tagbridge_plan( self::VERSION, $raw, $event ), $label );
				$this->assertSame( tagbridge_plan_batch( self::VERSION, array( $php ), $event ), tagbridge_plan_batch( self::VERSION, array( $raw ), $event ), $label );
			}
		}

		$refused = array(
			'integer value'       => serialize( array( 'gold' => 1 ) ),
			'integer key'         => serialize( array( 5 => true ) ),
			'nested'              => serialize( array( 'gold' => array() ) ),
			'an object'           => serialize( new stdClass() ),
			'not an array'        => serialize( 'gold' ),
			'padding'             => ' ' . serialize( array( 'gold' => true ) ) . "\n",
			'longer than allowed' => serialize( array_fill_keys( array_map( static fn( $i ) => "cap_$i", range( 1, 400 ) ), true ) ),
		);
		foreach ( $refused as $label => $raw ) {
			foreach ( array( 'tagbridge_plan', 'tagbridge_plan_batch' ) as $call ) {
				$user = array(
					'user_id'      => 9,
					'capabilities' => $raw,
				);
				try {
					$call( self::VERSION, 'tagbridge_plan' === $call ? $user : array( $user ), array( 'resync' => 'tags' ) );
					$this->fail( "$call accepted: $label" );
				} catch ( InputException $e ) {
					$this->assertStringContainsString( 'capabilities', $e->getMessage(), $label );
				}
			}
		}
	}
}
