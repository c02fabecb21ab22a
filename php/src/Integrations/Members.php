<?php
/**
 * Members (3.2.19+ and older): a "TagBridge" box on the Edit Role and New Role screens.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations;

use TagBridge\Admin\Notices;
use TagBridge\Settings\SettingsStore;
use TagBridge\Tags\TagStore;
use WP_Role;

defined( 'ABSPATH' ) || exit;

/**
 * Members keeps roles as plain WordPress roles, so role ↔ tag sync itself needs nothing from
 * Members (its multiple-roles UI calls add_role/remove_role, which the role watcher sees); this
 * class only adds the link setting to Members' role screens.
 *
 * The hooks are registered whether or not Members is active: they carry Members-only names, so
 * they cost nothing without it, and Members fires its save hooks before its screen-load hooks.
 */
final class Members {

	/** Nonce action and field of the box. */
	const NONCE = 'tagbridge_members_role_link';

	/** Posted field holding the tag. */
	const FIELD = 'tagbridge_role_tag';

	/** Screens of Members' role editor (Edit Role, New Role). */
	const SCREENS = array( 'members_page_roles', 'toplevel_page_members' );

	/**
	 * Settings store.
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * Tag store (known tags for the picker).
	 *
	 * @var TagStore
	 */
	private $tags;

	/**
	 * Admin notices.
	 *
	 * @var Notices
	 */
	private $notices;

	/**
	 * Builds the integration.
	 *
	 * @param SettingsStore $settings Settings store.
	 * @param TagStore      $tags     Tag store.
	 * @param Notices       $notices  Admin notices.
	 */
	public function __construct( SettingsStore $settings, TagStore $tags, Notices $notices ) {
		$this->settings = $settings;
		$this->tags     = $tags;
		$this->notices  = $notices;
	}

	/**
	 * A Members role screen is loading: add the box through whichever hook this Members fires.
	 */
	public function on_screen() {
		add_action( 'members_add_role_meta_boxes', array( $this, 'add_box' ) );
		add_action( 'add_meta_boxes', array( $this, 'add_box' ) );
	}

	/**
	 * Adds the box (side context: the only one Members renders, inside its role form).
	 *
	 * @param string $screen_id Screen id.
	 */
	public function add_box( $screen_id ) {
		if ( ! in_array( $screen_id, self::SCREENS, true ) || ! current_user_can( 'manage_options' ) ) {
			return;
		}
		add_meta_box( 'tagbridge-role-link', __( 'TagBridge', 'tagbridge' ), array( $this, 'render' ), $screen_id, 'side', 'default' );
	}

	/**
	 * Prints the box. Members passes the WP_Role on Edit Role and '' on New Role.
	 *
	 * @param WP_Role|string $role Role being edited.
	 */
	public function render( $role ) {
		$slug = $role instanceof WP_Role ? $role->name : '';
		$tag  = '' === $slug ? '' : (string) $this->settings->linked_tag( $slug );
		wp_nonce_field( self::NONCE, self::NONCE );
		echo '<p><label for="tagbridge-role-tag">' . esc_html__( 'Linked tag', 'tagbridge' ) . '</label><br />';
		echo '<input type="text" class="widefat" id="tagbridge-role-tag" name="' . esc_attr( self::FIELD ) . '" value="' . esc_attr( $tag ) . '" list="tagbridge-known-tags" maxlength="191" /></p>';
		echo '<datalist id="tagbridge-known-tags">';
		foreach ( $this->tags->known() as $known ) {
			echo '<option value="' . esc_attr( $known ) . '"></option>';
		}
		echo '</datalist>';
		echo '<p class="description">' . esc_html__( 'Users who get this role get the tag; applying the tag grants the role; removing the tag removes the role. Leave empty for no link.', 'tagbridge' ) . '</p>';
	}

	/**
	 * Saves the box on members_role_updated / members_role_added, using the slug Members passes
	 * (not the posted label). Nothing happens when the box was not posted.
	 *
	 * @param string $role Role slug.
	 */
	public function save( $role ) {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked just below.
		if ( ! isset( $_POST[ self::FIELD ] ) ) {
			return;
		}
		$nonce = isset( $_POST[ self::NONCE ] ) ? sanitize_text_field( wp_unslash( $_POST[ self::NONCE ] ) ) : '';
		if ( ! wp_verify_nonce( $nonce, self::NONCE ) ) {
			$this->notices->add( 'error', __( 'TagBridge did not change the role\'s linked tag: the form expired. Reload the page and save again.', 'tagbridge' ) );
			return;
		}
		if ( ! current_user_can( 'manage_options' ) ) {
			$this->notices->add( 'error', __( 'TagBridge did not change the role\'s linked tag: only administrators can link roles to tags.', 'tagbridge' ) );
			return;
		}
		$tag    = trim( sanitize_text_field( wp_unslash( $_POST[ self::FIELD ] ) ) );
		$result = $this->settings->link_role( (string) $role, '' === $tag ? null : $tag );
		if ( is_wp_error( $result ) ) {
			$this->notices->add( 'error', $result->get_error_message() );
		}
	}
}
