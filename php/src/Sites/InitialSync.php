<?php
/**
 * Initial sync: queues every existing user for a newly linked site, in pages of ids, with its
 * progress in an option (one job per link) so it resumes where it stopped; WP-Cron carries it on
 * when nobody steps it. The queued changes go through the link's send rules like any other.
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The initial sync job.
 */
final class InitialSync {

	/** Option: link id => job. */
	const OPTION = 'tagbridge_site_sync';

	/** WP-Cron event carrying jobs on. */
	const CRON_HOOK = 'tagbridge_site_sync_step';

	/** Users per step. */
	const PAGE = 200;

	/**
	 * Links.
	 *
	 * @var Links
	 */
	private $links;

	/**
	 * Sync.
	 *
	 * @var SiteSync
	 */
	private $sync;

	/**
	 * Builds the job.
	 *
	 * @param Links    $links Links.
	 * @param SiteSync $sync  Sync.
	 */
	public function __construct( Links $links, SiteSync $sync ) {
		$this->links = $links;
		$this->sync  = $sync;
	}

	/**
	 * The job of a link (null when none ran).
	 *
	 * @param string $link_id Link id.
	 * @return array|null
	 */
	public function get( $link_id ) {
		$jobs = get_option( self::OPTION, array() );
		return is_array( $jobs ) && isset( $jobs[ $link_id ] ) ? $jobs[ $link_id ] : null;
	}

	/**
	 * Stores a job.
	 *
	 * @param string $link_id Link id.
	 * @param array  $job     Job.
	 */
	private function put( $link_id, array $job ) {
		$jobs             = get_option( self::OPTION, array() );
		$jobs             = is_array( $jobs ) ? $jobs : array();
		$jobs[ $link_id ] = $job;
		update_option( self::OPTION, $jobs, false );
	}

	/**
	 * Starts (or restarts) the job of a link.
	 *
	 * @param string $link_id Link id.
	 * @return array|WP_Error
	 */
	public function start( $link_id ) {
		if ( null === $this->links->get( $link_id ) ) {
			return new WP_Error( 'tagbridge_unknown_site', __( 'No such linked site.', 'tagbridge' ), array( 'status' => 404 ) );
		}
		$counts = count_users();
		$job    = array(
			'status'    => 'running',
			'after_id'  => 0,
			'processed' => 0,
			'queued'    => 0,
			'total'     => (int) $counts['total_users'],
		);
		$this->put( $link_id, $job );
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time(), self::CRON_HOOK );
		}
		return $job;
	}

	/**
	 * One page of a link's job.
	 *
	 * @param string $link_id Link id.
	 * @return array|WP_Error The job.
	 */
	public function step( $link_id ) {
		global $wpdb;
		$job = $this->get( $link_id );
		if ( null === $job || null === $this->links->get( $link_id ) ) {
			return new WP_Error( 'tagbridge_no_sync', __( 'No initial sync was started for this site.', 'tagbridge' ), array( 'status' => 404 ) );
		}
		if ( 'running' !== $job['status'] ) {
			return $job;
		}
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->users} WHERE ID > %d ORDER BY ID LIMIT %d", $job['after_id'], self::PAGE ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		foreach ( $ids as $id ) {
			$user = get_userdata( (int) $id );
			if ( $user ) {
				$job['queued'] += $this->sync->queue_user( $user, true, array(), array(), $link_id );
			}
			$job['after_id'] = (int) $id;
			++$job['processed'];
		}
		if ( count( $ids ) < self::PAGE ) {
			$job['status'] = 'done';
		}
		$this->put( $link_id, $job );
		return $job;
	}

	/**
	 * WP-Cron: steps every running job once, and again later while any runs.
	 */
	public function step_all() {
		$jobs    = get_option( self::OPTION, array() );
		$running = false;
		foreach ( is_array( $jobs ) ? array_keys( $jobs ) : array() as $link_id ) {
			$job     = $this->step( (string) $link_id );
			$running = $running || ( is_array( $job ) && 'running' === $job['status'] );
		}
		if ( $running ) {
			wp_schedule_single_event( time() + 5, self::CRON_HOOK );
		}
	}
}
