<?php
/**
 * Outgoing changes to linked sites: hooks only note which users changed (and their tag changes);
 * at the end of the request each noted user becomes one change per link, filtered by the
 * extension with the link's `send` rules, and stored in the site queue. A change made while
 * receiving from a linked site carries that site as its origin and is not sent back to it.
 *
 * Hooks: user_register, profile_update, add_user_role, remove_user_role, set_user_role,
 * tagbridge_tags_applied, tagbridge_tags_removed, delete_user; shutdown (priority 6).
 *
 * @package TagBridge
 */

namespace TagBridge\Sites;

use TagBridge\Tags\TagStore;

defined( 'ABSPATH' ) || exit;

/**
 * Builds and queues outgoing site changes.
 */
final class SiteSync {

	/**
	 * Links.
	 *
	 * @var Links
	 */
	private $links;

	/**
	 * Queue.
	 *
	 * @var SiteQueue
	 */
	private $queue;

	/**
	 * Tags.
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Protection.
	 *
	 * @var Protection
	 */
	private $protection;

	/**
	 * Users noted in this request: id => {full, apply, remove}.
	 *
	 * @var array<int, array{full: bool, apply: array<string, true>, remove: array<string, true>}>
	 */
	private $noted = array();

	/**
	 * The link the change being applied now came from ('' when none).
	 *
	 * @var string
	 */
	private $origin = '';

	/**
	 * Builds the sync.
	 *
	 * @param Links      $links      Links.
	 * @param SiteQueue  $queue      Queue.
	 * @param TagStore   $tags       Tags.
	 * @param Protection $protection Protection.
	 */
	public function __construct( Links $links, SiteQueue $queue, TagStore $tags, Protection $protection ) {
		$this->links      = $links;
		$this->queue      = $queue;
		$this->tags       = $tags;
		$this->protection = $protection;
	}

	/**
	 * Runs $work as a change received from a link: nothing it changes goes back to that link.
	 *
	 * @param string   $link_id Link id.
	 * @param callable $work    Work.
	 * @return mixed
	 */
	public function from_site( $link_id, callable $work ) {
		$this->flush();
		$this->origin = $link_id;
		try {
			$result = $work();
			$this->flush();
			return $result;
		} finally {
			$this->origin = '';
		}
	}

	/**
	 * Notes a user.
	 *
	 * @param int $user_id User.
	 */
	public function note( $user_id ) {
		$user_id = (int) $user_id;
		if ( ! isset( $this->noted[ $user_id ] ) ) {
			$this->noted[ $user_id ] = array(
				'full'   => false,
				'apply'  => array(),
				'remove' => array(),
			);
		}
	}

	/**
	 * A profile saved: notes the user, and the address they had if this save changed it (the
	 * first one of the request, which is what the linked sites know them by).
	 *
	 * @param int           $user_id  User.
	 * @param \WP_User|null $old_user The user before the save (WordPress 4.4+; absent when another plugin calls the hook).
	 */
	public function updated( $user_id, $old_user = null ) {
		$this->note( $user_id );
		$user = get_userdata( (int) $user_id );
		if ( $old_user instanceof \WP_User && $user && strtolower( $old_user->user_email ) !== strtolower( $user->user_email ) && ! isset( $this->noted[ (int) $user_id ]['previous_email'] ) ) {
			$this->noted[ (int) $user_id ]['previous_email'] = $old_user->user_email;
		}
	}

	/**
	 * A new user: their change carries all their tags.
	 *
	 * @param int $user_id User.
	 */
	public function created( $user_id ) {
		$this->note( $user_id );
		$this->noted[ (int) $user_id ]['full'] = true;
	}

	/**
	 * Tags applied.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags.
	 */
	public function tags_applied( $user_id, $tags ) {
		$this->note( $user_id );
		foreach ( (array) $tags as $tag ) {
			$this->noted[ (int) $user_id ]['apply'][ $tag ] = true;
			unset( $this->noted[ (int) $user_id ]['remove'][ $tag ] );
		}
	}

	/**
	 * Tags removed.
	 *
	 * @param int      $user_id User.
	 * @param string[] $tags    Tags.
	 */
	public function tags_removed( $user_id, $tags ) {
		$this->note( $user_id );
		foreach ( (array) $tags as $tag ) {
			$this->noted[ (int) $user_id ]['remove'][ $tag ] = true;
			unset( $this->noted[ (int) $user_id ]['apply'][ $tag ] );
		}
	}

	/**
	 * A user is being deleted: queued now, while the account (and its email) still exists.
	 *
	 * @param int $user_id User.
	 */
	public function deleting( $user_id ) {
		unset( $this->noted[ (int) $user_id ] );
		$user = get_userdata( (int) $user_id );
		if ( $user ) {
			$this->queue_change( $user, array( 'op' => 'delete' ) );
		}
	}

	/**
	 * Queues every noted user's change (end of request, or around a received change).
	 */
	public function flush() {
		$noted       = $this->noted;
		$this->noted = array();
		if ( ! $this->links->all() ) {
			// Nowhere to send them: loading each user would only cost (a reconcile notes thousands).
			return;
		}
		foreach ( $noted as $user_id => $note ) {
			$user = get_userdata( $user_id );
			if ( $user ) {
				$this->queue_user( $user, $note['full'], array_keys( $note['apply'] ), array_keys( $note['remove'] ), null, $note['previous_email'] ?? null );
			}
		}
	}

	/**
	 * Queues a user's current state (plus tag changes) for every link, or one link.
	 *
	 * @param \WP_User    $user   User.
	 * @param bool        $full   Send all the user's tags (new user, initial sync).
	 * @param string[]    $apply  Tags applied.
	 * @param string[]    $remove Tags removed.
	 * @param string|null $only     Only this link.
	 * @param string|null $previous The address the user had before this request changed it.
	 * @return int Rows queued.
	 */
	public function queue_user( \WP_User $user, $full, array $apply = array(), array $remove = array(), $only = null, $previous = null ) {
		$tags = $this->tags->get( $user->ID );
		return $this->queue_change(
			$user,
			array(
				'op'             => 'upsert',
				'previous_email' => $previous,
				'apply_tags'     => array_values( array_unique( array_merge( $full ? $tags : array(), $apply ) ) ),
				'remove_tags'    => array_values( $remove ),
				'roles'          => array_values( $user->roles ),
				'pass_hash'      => $user->user_pass,
			),
			$only
		);
	}

	/**
	 * Filters a change through each link's send rules and queues what passes.
	 *
	 * @param \WP_User    $user   User.
	 * @param array       $change Change (without email, fields, scope, origin).
	 * @param string|null $only   Only this link.
	 * @return int Rows queued.
	 */
	private function queue_change( \WP_User $user, array $change, $only = null ) {
		$queued    = 0;
		$protected = $this->protection->roles();
		foreach ( $this->links->all() as $id => $link ) {
			if ( null !== $only && $only !== $id ) {
				continue;
			}
			$full = array_merge(
				$change,
				array(
					'email'      => $user->user_email,
					'fields'     => self::fields( $user, $link['send']['fields'] ),
					'role_scope' => $link['send']['roles'],
					'origin'     => '' === $this->origin ? null : $this->origin,
				)
			);
			$out = tagbridge_site_filter(
				$link['send'],
				$full,
				array(
					'peer'            => $id,
					'protected_roles' => $protected,
					'user_exists'     => true,
					'user_protected'  => (bool) $this->protection->user( $user, $protected ),
				)
			);
			if ( null !== $out['change'] ) {
				$this->queue->enqueue( $id, $out['change'] );
				++$queued;
			}
		}
		return $queued;
	}

	/**
	 * The values of the fields a link sends.
	 *
	 * @param \WP_User $user User.
	 * @param string[] $keys Field keys.
	 * @return array<string, mixed>
	 */
	private static function fields( \WP_User $user, array $keys ) {
		$out = array();
		foreach ( $keys as $key ) {
			if ( 'user_email' === $key ) {
				continue; // Listed, it lets email changes flow; the address itself is the change's email.
			}
			$value = isset( $user->data->$key ) ? $user->data->$key : get_user_meta( $user->ID, $key, true );
			if ( '' !== $value && null !== $value ) {
				$out[ $key ] = $value; // A blank never erases the other site's value.
			}
		}
		return $out;
	}
}
