<?php
/**
 * A "TagBridge" box on UM's role edit screen: the role's linked tag (TagBridge's role link, same
 * semantics as every other screen) and, with the Profile Completeness add-on, the tags applied
 * when a user of the role completes their profile.
 *
 * UM saves the role inside its page template and fires no action afterwards; the only hook is the
 * filter `um_role_edit_data( $data, $id, $update )`, with our `role[...]` fields in `$data`. The
 * values are saved to TagBridge's own settings and taken out of `$data`, so nothing depends on UM
 * keeping unknown keys in the role meta option it replaces on every save (pitfall 20). A field
 * that was not shown (the completeness field without the add-on) is not posted and changes nothing.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use TagBridge\Admin\Notices;
use TagBridge\Settings\SettingsStore;

defined( 'ABSPATH' ) || exit;

/**
 * UM role screen box.
 */
final class RoleBox {

	/** Nonce action and field. */
	const NONCE = 'tagbridge_um_role_box';

	/** `role[...]` key of the linked tag. */
	const TAG_KEY = 'tagbridge_tag';

	/** `role[...]` key of the completeness tags. */
	const COMPLETE_KEY = 'tagbridge_complete_tags';

	/**
	 * Settings store (role links).
	 *
	 * @var SettingsStore
	 */
	private $settings;

	/**
	 * UM settings (completeness tags).
	 *
	 * @var Options
	 */
	private $options;

	/**
	 * Admin notices.
	 *
	 * @var Notices
	 */
	private $notices;

	/**
	 * Builds the box.
	 *
	 * @param SettingsStore $settings Settings store.
	 * @param Options       $options  UM settings.
	 * @param Notices       $notices  Admin notices.
	 */
	public function __construct( SettingsStore $settings, Options $options, Notices $notices ) {
		$this->settings = $settings;
		$this->options  = $options;
		$this->notices  = $notices;
	}

	/**
	 * The WordPress role slug of a UM role key (`um_{key}` for UM's own roles).
	 *
	 * @param string $key Key from UM's role screen.
	 * @return string
	 */
	public static function slug( $key ) {
		$um_roles = get_option( 'um_roles', array() );
		return is_array( $um_roles ) && in_array( $key, $um_roles, true ) ? 'um_' . $key : $key;
	}

	/**
	 * Adds the box to UM's list.
	 *
	 * @param array $metaboxes UM's boxes.
	 * @return array
	 */
	public function add_box( $metaboxes ) {
		if ( ! current_user_can( 'manage_options' ) ) {
			return $metaboxes;
		}
		$metaboxes   = is_array( $metaboxes ) ? $metaboxes : array();
		$metaboxes[] = array(
			'id'       => 'tagbridge-um-role',
			'title'    => __( 'TagBridge', 'tagbridge' ),
			'callback' => array( $this, 'render' ),
			'screen'   => 'um_role_meta',
			'context'  => 'side',
			'priority' => 'default',
		);
		return $metaboxes;
	}

	/**
	 * Prints the box (the role key is in the screen's `id` query argument).
	 */
	public function render() {
		$key  = isset( $_GET['id'] ) ? sanitize_title( wp_unslash( $_GET['id'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only.
		$slug = '' === $key ? '' : self::slug( $key );
		wp_nonce_field( self::NONCE, self::NONCE );
		echo '<p><label for="tagbridge-um-role-tag">' . esc_html__( 'Linked tag', 'tagbridge' ) . '</label><br />';
		echo '<input type="text" class="widefat" id="tagbridge-um-role-tag" name="role[' . esc_attr( self::TAG_KEY ) . ']" value="' . esc_attr( '' === $slug ? '' : (string) $this->settings->linked_tag( $slug ) ) . '" maxlength="191" /></p>';
		echo '<p class="description">' . esc_html__( 'Users who get this role get the tag; applying the tag grants the role; removing it removes the role.', 'tagbridge' ) . '</p>';
		if ( class_exists( 'UM_Profile_Completeness_API' ) ) {
			echo '<p><label for="tagbridge-um-complete-tags">' . esc_html__( 'Apply tags when the profile is complete', 'tagbridge' ) . '</label><br />';
			echo '<input type="text" class="widefat" id="tagbridge-um-complete-tags" name="role[' . esc_attr( self::COMPLETE_KEY ) . ']" value="' . esc_attr( implode( ', ', '' === $slug ? array() : $this->options->complete_tags( $slug ) ) ) . '" /></p>';
		}
	}

	/**
	 * Saves the box from UM's role data (`um_role_edit_data`), and removes its keys from that data.
	 *
	 * @param array  $data   Sanitised role data UM is about to store.
	 * @param string $id     Role key.
	 * @param bool   $update Whether an existing role is edited.
	 * @return array
	 */
	public function save( $data, $id, $update ) {
		if ( ! is_array( $data ) || ! array_key_exists( self::TAG_KEY, $data ) ) {
			return $data;
		}
		$posted = array_intersect_key( $data, array_flip( array( self::TAG_KEY, self::COMPLETE_KEY ) ) );
		$data   = array_diff_key( $data, $posted );
		$nonce  = isset( $_POST[ self::NONCE ] ) ? sanitize_text_field( wp_unslash( $_POST[ self::NONCE ] ) ) : '';
		if ( ! wp_verify_nonce( $nonce, self::NONCE ) || ! current_user_can( 'manage_options' ) ) {
			$this->notices->add( 'error', __( 'TagBridge did not change the role\'s tags: the form expired or only administrators can link roles to tags.', 'tagbridge' ) );
			return $data;
		}
		$slug = self::slug( sanitize_title( (string) $id ) );
		$tag  = trim( sanitize_text_field( (string) $posted[ self::TAG_KEY ] ) );
		// Checked before anything is saved, so a refusal changes nothing.
		$tags = isset( $posted[ self::COMPLETE_KEY ] ) ? Options::tags_from_text( (string) $posted[ self::COMPLETE_KEY ] ) : null;
		$result = is_wp_error( $tags ) ? $tags : $this->settings->link_role( $slug, '' === $tag ? null : $tag );
		if ( ! is_wp_error( $result ) && null !== $tags ) {
			$result = $this->options->set_complete_tags( $slug, $tags );
		}
		if ( is_wp_error( $result ) ) {
			$this->notices->add( 'error', $result->get_error_message() );
		}
		return $data;
	}
}
