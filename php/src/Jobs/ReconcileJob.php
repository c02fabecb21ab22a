<?php
/**
 * Reconciles every user of the site after role links changed: a resumable batch job.
 *
 * @package TagBridge
 */

namespace TagBridge\Jobs;

use TagBridge\Engine\Engine;
use TagBridge\Ext\InputException;
use TagBridge\Log\Logger;
use TagBridge\Roles\FactsBatch;
use TagBridge\Roles\BulkRoleWriter;
use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagEvents;
use TagBridge\Tags\TagStore;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One job at a time, its state in an option so any request (the admin's browser polling, WP-Cron
 * after the browser closed) can carry it on from where the last one stopped. Pages of users are
 * planned in one extension call each; a page interrupted half-way is simply planned again, which
 * is safe because plans are computed from the current state and converge.
 *
 * An applying run must follow a finished dry run with the same side, links and settings: linking
 * a role to a new, empty tag must never strip every holder of the role without someone seeing the
 * count first.
 */
final class ReconcileJob {

	/** Option holding the job state (not autoloaded). */
	const OPTION = 'tagbridge_reconcile_job';

	/** WP-Cron hook that carries a job on when nobody is polling. */
	const CRON_HOOK = 'tagbridge_reconcile_continue';

	/** Users planned per extension call. */
	const PAGE = 2000;

	/** Named database lock: one stepper at a time across PHP workers. */
	const LOCK = 'tagbridge_reconcile';

	/**
	 * Extension wrapper.
	 *
	 * @var Engine
	 */
	private $engine;

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Tag store.
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Facts reader.
	 *
	 * @var FactsBatch
	 */
	private $facts;

	/**
	 * Writes role changes in bulk.
	 *
	 * @var BulkRoleWriter
	 */
	private $roles;

	/**
	 * Activity log (a page's plan rows are written together).
	 *
	 * @var Logger
	 */
	private $log;

	/**
	 * Builds the job runner.
	 *
	 * @param Engine         $engine   Extension wrapper.
	 * @param SettingsStore  $settings Settings store.
	 * @param TagStore       $tags     Tag store.
	 * @param FactsBatch     $facts    Facts reader.
	 * @param BulkRoleWriter $roles    Bulk role writer.
	 * @param Logger         $log      Activity log.
	 */
	public function __construct( Engine $engine, SettingsStore $settings, TagStore $tags, FactsBatch $facts, BulkRoleWriter $roles, Logger $log ) {
		$this->engine   = $engine;
		$this->settings = $settings;
		$this->tags     = $tags;
		$this->facts    = $facts;
		$this->roles    = $roles;
		$this->log      = $log;
	}

	/**
	 * The current (or last) job, or null when none ever ran.
	 *
	 * @return array|null
	 */
	public function state() {
		$state = get_option( self::OPTION, null );
		return is_array( $state ) ? $state : null;
	}

	/**
	 * Starts a job.
	 *
	 * @param mixed $truth    'roles' (tags follow roles) or 'tags' (roles follow tags).
	 * @param mixed $dry_run  True to count without changing anything.
	 * @param mixed $roles    Linked roles to reconcile, or null for every link.
	 * @param mixed $dry_run_id For an applying run: the id of the finished dry run it follows.
	 * @return array|WP_Error The new job state.
	 */
	public function start( $truth, $dry_run, $roles = null, $dry_run_id = null ) {
		if ( 'roles' !== $truth && 'tags' !== $truth ) {
			return self::error( 'tagbridge_invalid_truth', __( 'Choose which side is the truth: "roles" (tags follow roles) or "tags" (roles follow tags).', 'tagbridge' ) );
		}
		if ( ! is_bool( $dry_run ) ) {
			return self::error( 'tagbridge_invalid_dry_run', __( 'dry_run must be true or false.', 'tagbridge' ) );
		}
		$version = $this->settings->compiled();
		if ( is_wp_error( $version ) ) {
			return $version;
		}
		$roles = $this->checked_roles( $roles );
		if ( is_wp_error( $roles ) ) {
			return $roles;
		}
		$current = $this->state();
		if ( $current && 'running' === $current['status'] ) {
			return self::error( 'tagbridge_job_running', __( 'A reconcile job is already running; wait for it to finish or cancel it.', 'tagbridge' ), 409 );
		}
		if ( ! $dry_run ) {
			$last = $current && $current['dry_run'] && 'done' === $current['status'] ? $current : null;
			if ( ! $last || $last['id'] !== $dry_run_id || $last['truth'] !== $truth || $last['roles'] !== $roles || $last['settings_version'] !== $version ) {
				return self::error( 'tagbridge_dry_run_first', __( 'Run a dry run with the same choices first and review its counts; then apply it by passing its id as dry_run_id.', 'tagbridge' ), 409 );
			}
		}
		$state = array(
			'id'               => wp_generate_uuid4(),
			'truth'            => $truth,
			'dry_run'          => $dry_run,
			'roles'            => $roles,
			'settings_version' => $version,
			'status'           => 'running',
			'cursor'           => 0,
			'total'            => $this->count_users(),
			'processed'        => 0,
			'users_changed'    => 0,
			'counts'           => array(
				'add_roles'    => array(),
				'remove_roles' => array(),
				'apply_tags'   => array(),
				'remove_tags'  => array(),
			),
			'started_at'       => time(),
			'updated_at'       => time(),
			'error'            => null,
		);
		update_option( self::OPTION, $state, false );
		$this->schedule();
		return $state;
	}

	/**
	 * Carries the running job on for about $budget seconds.
	 *
	 * @param float $budget Seconds to spend (a page always finishes).
	 * @return array|WP_Error The job state afterwards; `busy` is true when another worker holds the job.
	 */
	public function step( $budget = 5.0 ) {
		global $wpdb;
		$state = $this->state();
		if ( ! $state ) {
			return self::error( 'tagbridge_no_job', __( 'No reconcile job has been started.', 'tagbridge' ), 404 );
		}
		if ( 'running' !== $state['status'] ) {
			return $state;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', self::LOCK ) ) ) {
			return $state + array( 'busy' => true );
		}
		try {
			$deadline = microtime( true ) + (float) $budget;
			do {
				$state = $this->state(); // Re-read: a cancel may have landed meanwhile.
				if ( ! $state || 'running' !== $state['status'] ) {
					break;
				}
				$state = $this->page( $state );
				update_option( self::OPTION, $state, false );
			} while ( 'running' === $state['status'] && microtime( true ) < $deadline );
		} finally {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::LOCK ) );
		}
		if ( $state && 'running' === $state['status'] ) {
			$this->schedule();
		}
		return $state;
	}

	/**
	 * Stops the running job where it is.
	 *
	 * @return array|WP_Error
	 */
	public function cancel() {
		$state = $this->state();
		if ( ! $state ) {
			return self::error( 'tagbridge_no_job', __( 'No reconcile job has been started.', 'tagbridge' ), 404 );
		}
		if ( 'running' === $state['status'] ) {
			$state['status']     = 'cancelled';
			$state['updated_at'] = time();
			update_option( self::OPTION, $state, false );
		}
		wp_clear_scheduled_hook( self::CRON_HOOK );
		return $state;
	}

	/**
	 * WP-Cron: carries the job on when nobody is polling (the admin closed the page).
	 */
	public function continue_in_background() {
		$this->step( 20.0 );
	}

	/**
	 * Plans (and unless dry, applies) one page of users.
	 *
	 * @param array $state Job state.
	 * @return array New state.
	 */
	private function page( array $state ) {
		$facts = $this->facts->page( (int) $state['cursor'], self::PAGE );
		if ( ! $facts ) {
			$state['status']     = 'done';
			$state['updated_at'] = time();
			/**
			 * Fires when a reconcile job (dry run or not) has visited every user.
			 *
			 * @param array $state Final job state: truth, dry_run, roles, counts, users_changed...
			 */
			do_action( 'tagbridge_reconcile_done', $state );
			return $state;
		}
		$version = $this->settings->compiled();
		if ( is_wp_error( $version ) ) {
			$state['status'] = 'failed';
			$state['error']  = $version->get_error_message();
			return $state;
		}
		$event = array( 'resync' => $state['truth'] );
		if ( null !== $state['roles'] ) {
			$event['resync_roles'] = $state['roles'];
		}
		try {
			$plans = $this->engine->plan_batch( $version, $facts, $event );
		} catch ( InputException $e ) {
			// The extension reads only the capabilities meta WordPress writes; PHP reads the rest.
			$plans = $this->engine->plan_batch( $version, $this->facts->unserialized( $facts ), $event );
		}
		foreach ( $plans as $plan ) {
			foreach ( array( 'add_roles' => 'role', 'remove_roles' => 'role', 'apply_tags' => 'tag', 'remove_tags' => 'tag' ) as $list => $key ) {
				foreach ( $plan[ $list ] as $change ) {
					$name                               = $change[ $key ];
					$state['counts'][ $list ][ $name ] = ( $state['counts'][ $list ][ $name ] ?? 0 ) + 1;
				}
			}
		}
		if ( ! $state['dry_run'] && $plans ) {
			// The log hears of every change (tagbridge_plan_applied): a few INSERTs for the page, not one per change.
			$this->log->batch( fn() => $this->apply( $plans, array_column( $facts, 'tags', 'user_id' ) ) );
		}
		if ( ! wp_using_ext_object_cache() ) {
			// 100,000 users' objects and meta would otherwise pile up in the request's runtime cache
			// (role hooks may load them). Only their groups go: flushing everything would make the
			// next page reload every autoloaded option.
			foreach ( array( 'users', 'user_meta', 'userlogins', 'userslugs', 'useremail' ) as $group ) {
				wp_cache_flush_group( $group );
			}
		}
		$state['users_changed'] += count( $plans );
		$state['processed']     += count( $facts );
		$state['cursor']         = end( $facts )['user_id'];
		$state['updated_at']     = time();
		return $state;
	}

	/**
	 * Applies a page of plans: roles and tags with a few bulk statements (WordPress's role actions
	 * still fire per change), then the public tag actions per user.
	 *
	 * @param array[]                $plans Plans with changes.
	 * @param array<int, string[]>   $tags  Each user's tags before the change.
	 */
	private function apply( array $plans, array $tags ) {
		$roles  = array();
		$apply  = array();
		$remove = array();
		foreach ( $plans as $plan ) {
			$id = (int) $plan['user_id'];
			if ( $plan['add_roles'] || $plan['remove_roles'] ) {
				$roles[ $id ] = array(
					'add'    => array_column( $plan['add_roles'], 'role' ),
					'remove' => array_column( $plan['remove_roles'], 'role' ),
				);
			}
			foreach ( $plan['apply_tags'] as $change ) {
				$apply[] = array( $id, $change['tag'] );
			}
			foreach ( $plan['remove_tags'] as $change ) {
				$remove[] = array( $id, $change['tag'] );
			}
		}
		$this->roles->write( $roles );
		$this->tags->add_pairs( $apply );
		$this->tags->remove_pairs( $remove );
		foreach ( $plans as $plan ) {
			$id      = (int) $plan['user_id'];
			$applied = array_column( $plan['apply_tags'], 'tag' );
			$removed = array_column( $plan['remove_tags'], 'tag' );
			TagEvents::announce(
				$id,
				$applied,
				$removed,
				static fn() => array_values( array_diff( array_merge( $tags[ $id ] ?? array(), $applied ), $removed ) )
			);
			/** This action is documented in php/src/Roles/RoleTagSync.php */
			do_action( 'tagbridge_plan_applied', $plan, $id );
		}
	}

	/**
	 * Checks the roles a job is limited to: null, or linked roles.
	 *
	 * @param mixed $roles Input.
	 * @return string[]|null|WP_Error Sorted role slugs.
	 */
	private function checked_roles( $roles ) {
		if ( null === $roles ) {
			return null;
		}
		if ( ! is_array( $roles ) || ! $roles ) {
			return self::error( 'tagbridge_invalid_roles', __( 'roles must be null (every link) or a non-empty list of linked role slugs.', 'tagbridge' ) );
		}
		$linked = array_column( $this->settings->get()['role_links'], 'role' );
		foreach ( $roles as $role ) {
			if ( ! is_string( $role ) || ! in_array( $role, $linked, true ) ) {
				return self::error(
					'tagbridge_invalid_roles',
					/* translators: %s: what was given */
					sprintf( __( 'roles: %s is not a linked role.', 'tagbridge' ), is_string( $role ) ? '"' . $role . '"' : gettype( $role ) )
				);
			}
		}
		$roles = array_values( array_unique( $roles ) );
		sort( $roles );
		return $roles;
	}

	/**
	 * How many users the job will visit.
	 *
	 * @return int
	 */
	private function count_users() {
		global $wpdb;
		if ( is_multisite() ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->usermeta} WHERE meta_key = %s", $wpdb->get_blog_prefix() . 'capabilities' ) );
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->users}" );
	}

	/**
	 * Makes sure WP-Cron carries the job on in a minute if nobody polls.
	 */
	private function schedule() {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time() + MINUTE_IN_SECONDS, self::CRON_HOOK );
		}
	}

	/**
	 * A refusal with an HTTP status for REST.
	 *
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 * @return WP_Error
	 */
	private static function error( $code, $message, $status = 400 ) {
		return new WP_Error( $code, $message, array( 'status' => $status ) );
	}
}
