<?php
/**
 * The roles ↔ tags rules of src/core/reconcile.rs written in plain PHP, as a benchmark baseline
 * only: the straightforward way a plugin would do it without the extension. Same inputs, same
 * plan shape (reasons and details included), so bench/engine.php can check both agree.
 */

namespace TagBridge\Bench;

final class PurePhpPlanner {

	/** @var array<int, array{role: string, tag: string, may_grant: bool}> */
	private $links = array();

	/** @var array<string, true> */
	private $protected_roles = array();

	/** @var array<string, true> */
	private $protected_caps = array();

	/** @var string|null */
	private $fallback;

	/** @var array<string, string> role => tag */
	private $tag_of = array();

	/** Settings must name protection.capabilities (the extension's default list is not repeated here). */
	public function __construct( array $settings, array $site ) {
		$this->protected_caps = array_fill_keys( $settings['protection']['capabilities'], true );
		$allow                = array_fill_keys( $settings['protection']['allow_roles'] ?? array(), true );
		foreach ( $site['roles'] as $slug => $role ) {
			foreach ( $role['capabilities'] as $cap => $granted ) {
				if ( $granted && isset( $this->protected_caps[ $cap ] ) ) {
					$this->protected_roles[ $slug ] = true;
				}
			}
		}
		foreach ( $settings['role_links'] as $link ) {
			$this->links[]                  = array(
				'role'      => $link['role'],
				'tag'       => $link['tag'],
				'may_grant' => ! isset( $this->protected_roles[ $link['role'] ] ) || isset( $allow[ $link['role'] ] ),
			);
			$this->tag_of[ $link['role'] ] = $link['tag'];
		}
		$this->fallback = $site['fallback_role'] ?? null;
	}

	public function plan( array $user, array $event ): array {
		$roles     = array_fill_keys( $user['roles'], true );
		$tags      = array_fill_keys( $user['tags'], true );
		$had_roles = $roles;
		$had_tags  = $tags;
		$why_role  = array();
		$why_tag   = array();
		$notes     = array();
		$protected = ! empty( $user['super_admin'] );
		foreach ( $user['roles'] as $r ) {
			$protected = $protected || isset( $this->protected_roles[ $r ] );
		}
		foreach ( $user['caps'] ?? array() as $c ) {
			$protected = $protected || isset( $this->protected_caps[ $c ] );
		}
		$in = static fn( $key, $name ) => in_array( $name, $event[ $key ] ?? array(), true );
		foreach ( $this->links as $link ) {
			$has_role = isset( $had_roles[ $link['role'] ] );
			$has_tag  = isset( $had_tags[ $link['tag'] ] );
			if ( $has_role === $has_tag ) {
				continue;
			}
			if ( $in( 'tags_applied', $link['tag'] ) || $in( 'tags_removed', $link['tag'] ) ) {
				$truth = 'tags';
			} elseif ( $in( 'roles_added', $link['role'] ) || $in( 'roles_removed', $link['role'] ) ) {
				$truth = 'roles';
			} elseif ( isset( $event['resync_roles'] ) && ! in_array( $link['role'], $event['resync_roles'], true ) ) {
				$truth = null;
			} else {
				$truth = $event['resync'] ?? null;
			}
			if ( 'roles' === $truth ) {
				$reason = ( 'roles' === ( $event['resync'] ?? null ) && ! $in( 'roles_added', $link['role'] ) && ! $in( 'roles_removed', $link['role'] ) )
					? 'resync' : ( $has_role ? 'role_added' : 'role_removed' );
				if ( $has_role ) {
					$tags[ $link['tag'] ]    = true;
					$why_tag[ $link['tag'] ] = array( $reason, sprintf( 'role "%s" is held, so its linked tag "%s" applies', $link['role'], $link['tag'] ) );
				} else {
					unset( $tags[ $link['tag'] ] );
					$why_tag[ $link['tag'] ] = array( $reason, sprintf( 'role "%s" is not held, so its linked tag "%s" goes', $link['role'], $link['tag'] ) );
				}
			} elseif ( 'tags' === $truth ) {
				if ( $protected ) {
					$notes[] = array( 'code' => 'protected_user', 'message' => sprintf( 'role "%s" left as it is: this user is protected (administrator or protected capability)', $link['role'] ) );
					continue;
				}
				$touched = $in( 'tags_applied', $link['tag'] ) || $in( 'tags_removed', $link['tag'] );
				if ( $has_tag ) {
					if ( ! $link['may_grant'] ) {
						$notes[] = array( 'code' => 'protected_role', 'message' => sprintf( 'tag "%s" does not grant role "%s": the role holds a protected capability', $link['tag'], $link['role'] ) );
						continue;
					}
					$roles[ $link['role'] ]    = true;
					$why_role[ $link['role'] ] = array( $touched ? 'tag_applied' : 'resync', sprintf( 'tag "%s" is present, so its linked role "%s" is granted', $link['tag'], $link['role'] ) );
				} else {
					unset( $roles[ $link['role'] ] );
					$why_role[ $link['role'] ] = array( $touched ? 'tag_removed' : 'resync', sprintf( 'tag "%s" is absent, so its linked role "%s" is removed', $link['tag'], $link['role'] ) );
				}
			}
		}
		if ( ! $roles && $had_roles ) {
			if ( null !== $this->fallback ) {
				$roles[ $this->fallback ]    = true;
				$why_role[ $this->fallback ] = array( 'fallback', sprintf( 'no role would be left, so the fallback role "%s" is granted', $this->fallback ) );
				$tag                         = $this->tag_of[ $this->fallback ] ?? null;
				if ( null !== $tag && ! isset( $tags[ $tag ] ) ) {
					$tags[ $tag ]    = true;
					$why_tag[ $tag ] = array( 'fallback', sprintf( 'the fallback role "%s" is held, so its linked tag "%s" applies', $this->fallback, $tag ) );
				}
			} else {
				$notes[] = array( 'code' => 'no_fallback', 'message' => 'the user is left with no role: no fallback role is set' );
			}
		}
		$changes = static function ( array $a, array $b, array $why, string $key ) {
			$out   = array();
			$names = array_keys( array_diff_key( $a, $b ) );
			sort( $names, SORT_STRING );
			foreach ( $names as $name ) {
				$w     = $why[ $name ] ?? array( 'resync', 'reconciled' );
				$out[] = array( 'detail' => $w[1], 'reason' => $w[0], $key => (string) $name );
			}
			return $out;
		};
		return array(
			'add_roles'    => $changes( $roles, $had_roles, $why_role, 'role' ),
			'apply_tags'   => $changes( $tags, $had_tags, $why_tag, 'tag' ),
			'notes'        => $notes,
			'remove_roles' => $changes( $had_roles, $roles, $why_role, 'role' ),
			'remove_tags'  => $changes( $had_tags, $tags, $why_tag, 'tag' ),
			'user_id'      => $user['user_id'],
		);
	}

	public static function is_empty( array $plan ): bool {
		return ! $plan['add_roles'] && ! $plan['remove_roles'] && ! $plan['apply_tags'] && ! $plan['remove_tags'];
	}
}
