<?php
/**
 * Tags per UM registration form: a box in the sidebar of each `um_form` whose `_um_mode` is
 * `register`, and the tags applied when a user registers through that form.
 *
 * Applied on `um_registration_complete` at 20: after UM saved the fields (pitfall 11), before its
 * status handler redirects and exits at 100. That hook also fires for users created in wp-admin
 * with `$form_data` null (pitfall 13); those get no form tags.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\UltimateMember;

use TagBridge\Admin\Notices;
use TagBridge\Roles\RoleTagSync;
use WP_Post;

defined( 'ABSPATH' ) || exit;

/**
 * The registration form's tag setting.
 */
final class RegistrationTags {

	/** Post meta holding the form's tags. */
	const META = '_tagbridge_um_register_tags';

	/** Nonce action and field. */
	const NONCE = 'tagbridge_um_form_tags';

	/** Posted field. */
	const FIELD = 'tagbridge_um_register_tags';

	/**
	 * Deferral.
	 *
	 * @var Deferral
	 */
	private $deferral;

	/**
	 * Roles ↔ tags flow.
	 *
	 * @var RoleTagSync
	 */
	private $sync;

	/**
	 * Admin notices.
	 *
	 * @var Notices
	 */
	private $notices;

	/**
	 * Builds the service.
	 *
	 * @param Deferral    $deferral Deferral.
	 * @param RoleTagSync $sync     Roles ↔ tags flow.
	 * @param Notices     $notices  Admin notices.
	 */
	public function __construct( Deferral $deferral, RoleTagSync $sync, Notices $notices ) {
		$this->deferral = $deferral;
		$this->sync     = $sync;
		$this->notices  = $notices;
	}

	/**
	 * Adds the box to registration forms only.
	 *
	 * @param WP_Post $post Form.
	 */
	public function add_box( $post ) {
		if ( 'register' === get_post_meta( $post->ID, '_um_mode', true ) ) {
			add_meta_box( 'tagbridge-um-form-tags', __( 'TagBridge', 'tagbridge' ), array( $this, 'render' ), 'um_form', 'side', 'default' );
		}
	}

	/**
	 * Prints the box.
	 *
	 * @param WP_Post $post Form.
	 */
	public function render( $post ) {
		wp_nonce_field( self::NONCE, self::NONCE );
		echo '<p><label for="tagbridge-um-register-tags">' . esc_html__( 'Apply tags on registration', 'tagbridge' ) . '</label><br />';
		echo '<input type="text" class="widefat" id="tagbridge-um-register-tags" name="' . esc_attr( self::FIELD ) . '" value="' . esc_attr( implode( ', ', $this->tags( $post->ID ) ) ) . '" /></p>';
		echo '<p class="description">' . esc_html__( 'Comma-separated tags applied to users who register through this form.', 'tagbridge' ) . '</p>';
	}

	/**
	 * Saves the box (only when it was posted, with its nonce, by someone who may edit the form).
	 *
	 * @param int $post_id Form.
	 */
	public function save( $post_id ) {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked just below.
		if ( ! isset( $_POST[ self::FIELD ] ) || wp_is_post_autosave( $post_id ) || wp_is_post_revision( $post_id ) ) {
			return;
		}
		$nonce = isset( $_POST[ self::NONCE ] ) ? sanitize_text_field( wp_unslash( $_POST[ self::NONCE ] ) ) : '';
		if ( ! wp_verify_nonce( $nonce, self::NONCE ) || ! current_user_can( 'edit_post', $post_id ) ) {
			$this->notices->add( 'error', __( 'TagBridge did not change the form\'s registration tags: the form expired or you may not edit it.', 'tagbridge' ) );
			return;
		}
		$tags = Options::tags_from_text( wp_unslash( $_POST[ self::FIELD ] ) ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised by tags_from_text().
		if ( is_wp_error( $tags ) ) {
			$this->notices->add( 'error', $tags->get_error_message() );
			return;
		}
		if ( $tags ) {
			update_post_meta( $post_id, self::META, $tags );
		} else {
			delete_post_meta( $post_id, self::META );
		}
	}

	/**
	 * A UM registration completed: apply the form's tags (or keep them for approval).
	 *
	 * @param int        $user_id   User.
	 * @param array      $args      Registration arguments.
	 * @param array|null $form_data Form data; null for users created in wp-admin.
	 */
	public function registered( $user_id, $args, $form_data ) {
		if ( ! is_array( $form_data ) ) {
			return;
		}
		$form_id = (int) ( $form_data['form_id'] ?? ( is_array( $args ) ? ( $args['form_id'] ?? 0 ) : 0 ) );
		if ( $form_id <= 0 || 'register' !== get_post_meta( $form_id, '_um_mode', true ) ) {
			return;
		}
		$tags = $this->tags( $form_id );
		if ( ! $tags ) {
			return;
		}
		if ( $this->deferral->is_deferred( (int) $user_id ) ) {
			$this->deferral->defer_tags( (int) $user_id, $tags );
		} else {
			$this->sync->change_tags( (int) $user_id, $tags, array() );
		}
	}

	/**
	 * A form's tags.
	 *
	 * @param int $form_id Form.
	 * @return string[]
	 */
	private function tags( $form_id ) {
		$tags = get_post_meta( $form_id, self::META, true );
		return is_array( $tags ) ? $tags : array();
	}
}
