<?php
/**
 * TagBridge's public PHP API for site owners and other plugins.
 *
 * @package TagBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The TagBridge settings (the `tagbridge_settings` option, with defaults).
 *
 * @since 0.1.0
 * @return array
 */
function tagbridge_get_settings() {
	return TagBridge\Plugin::instance()->settings->get();
}

/**
 * Validates and saves the whole settings array; nothing is saved when any entry is refused.
 *
 * @since 0.1.0
 * @param array $settings New settings (see the README for the format).
 * @return true|WP_Error WP_Error `tagbridge_invalid_settings` names the bad entry in its message
 *                       and in its data's `path`.
 */
function tagbridge_update_settings( $settings ) {
	return TagBridge\Plugin::instance()->settings->update( $settings );
}

/**
 * Checks a user id and a list of tags for the tag functions.
 *
 * @internal
 * @param mixed $user_id User id.
 * @param mixed $tags    Tags.
 * @return string[]|WP_Error The tags, trimmed, or what is wrong.
 */
function tagbridge_checked_tags( $user_id, $tags ) {
	if ( ! is_int( $user_id ) && ! ( is_string( $user_id ) && ctype_digit( $user_id ) ) || ! get_userdata( (int) $user_id ) ) {
		return new WP_Error( 'tagbridge_unknown_user', __( 'No such user.', 'tagbridge' ), array( 'status' => 404 ) );
	}
	return tagbridge_clean_tags( $tags );
}

/**
 * Checks a list of tags (the tag functions' rules): non-empty UTF-8 strings of at most 191 bytes.
 *
 * @internal
 * @param mixed $tags Tags.
 * @return string[]|WP_Error The tags, trimmed and de-duplicated, or what is wrong.
 */
function tagbridge_clean_tags( $tags ) {
	if ( ! is_array( $tags ) ) {
		return new WP_Error( 'tagbridge_invalid_tags', __( 'Tags must be an array of strings.', 'tagbridge' ), array( 'status' => 400 ) );
	}
	$clean = array();
	foreach ( $tags as $i => $tag ) {
		if ( ! is_string( $tag ) || '' === trim( $tag ) || ! wp_check_invalid_utf8( $tag ) || strlen( trim( $tag ) ) > 191 ) {
			/* translators: %s: position of the bad tag in the list */
			return new WP_Error( 'tagbridge_invalid_tags', sprintf( __( 'Tag %s must be a non-empty UTF-8 string of at most 191 bytes.', 'tagbridge' ), (string) $i ), array( 'status' => 400 ) );
		}
		$clean[] = trim( $tag );
	}
	return array_values( array_unique( $clean ) );
}

/**
 * A user's tags.
 *
 * @since 0.1.0
 * @param int $user_id User id.
 * @return string[]|WP_Error
 */
function tagbridge_get_tags( $user_id ) {
	$ok = tagbridge_checked_tags( $user_id, array() );
	return is_wp_error( $ok ) ? $ok : TagBridge\Plugin::instance()->tags->get( (int) $user_id );
}

/**
 * Whether a user has a tag.
 *
 * @since 0.1.0
 * @param int    $user_id User id.
 * @param string $tag     Tag.
 * @return bool
 */
function tagbridge_has_tag( $user_id, $tag ) {
	$tags = tagbridge_get_tags( $user_id );
	return is_array( $tags ) && is_string( $tag ) && in_array( trim( $tag ), $tags, true );
}

/**
 * Applies tags to a user. With the embedded default this is the CRM event: linked roles follow at once.
 *
 * @since 0.1.0
 * @param int      $user_id User id.
 * @param string[] $tags    Tags.
 * @return string[]|WP_Error The tags that were newly applied; nothing changes on error.
 */
function tagbridge_apply_tags( $user_id, $tags ) {
	$tags = tagbridge_checked_tags( $user_id, $tags );
	if ( is_wp_error( $tags ) ) {
		return $tags;
	}
	$result = TagBridge\Plugin::instance()->sync->change_tags( (int) $user_id, $tags, array() );
	return is_wp_error( $result ) ? $result : $result['applied'];
}

/**
 * Removes tags from a user; linked roles follow at once.
 *
 * @since 0.1.0
 * @param int      $user_id User id.
 * @param string[] $tags    Tags.
 * @return string[]|WP_Error The tags that were removed; nothing changes on error.
 */
function tagbridge_remove_tags( $user_id, $tags ) {
	$tags = tagbridge_checked_tags( $user_id, $tags );
	if ( is_wp_error( $tags ) ) {
		return $tags;
	}
	$result = TagBridge\Plugin::instance()->sync->change_tags( (int) $user_id, array(), $tags );
	return is_wp_error( $result ) ? $result : $result['removed'];
}

/**
 * Links a role to a tag, or clears its link with null — the same as the settings screen.
 *
 * @since 0.1.0
 * @param string      $role Role slug.
 * @param string|null $tag  Tag, or null to clear.
 * @return true|WP_Error
 */
function tagbridge_link_role( $role, $tag ) {
	return TagBridge\Plugin::instance()->settings->link_role( $role, $tag );
}

/**
 * Queues a change for the CRM (stored first, delivered at the end of the request or in the
 * background; coalesced per user).
 *
 * @since 0.1.0
 * @param int   $user_id User id.
 * @param array $change  `{fields?: array<string, mixed>, apply_tags?: string[], remove_tags?: string[]}`.
 * @return int|WP_Error The outbox row id (0 when nothing needed queueing), or what is wrong.
 */
function tagbridge_enqueue_change( $user_id, $change ) {
	return TagBridge\Plugin::instance()->outbox->enqueue( $user_id, $change );
}

/**
 * Runs code that applies a change which came from the CRM (a webhook): nothing it changes is sent
 * back to the CRM.
 *
 * @since 0.1.0
 * @param callable $work Code to run.
 * @return mixed What $work returns.
 */
function tagbridge_from_crm( callable $work ) {
	return TagBridge\Plugin::instance()->outbox->from_crm( $work );
}

/**
 * The address that signs the current (or given) user in on a linked site: valid 60 seconds, once.
 *
 * @since 0.1.0
 * @param string   $site_id Link id (TagBridge → Linked sites).
 * @param string   $path    Path to arrive at on the linked site.
 * @param int|null $user_id User (default: the current user).
 * @return string|WP_Error
 */
function tagbridge_site_login_url( $site_id, $path = '/', $user_id = null ) {
	return TagBridge\Plugin::instance()->sites->handover->url( (string) $site_id, null === $user_id ? get_current_user_id() : (int) $user_id, (string) $path, time() );
}
