<?php
/**
 * WP User Manager registrations: defer the new user when "Defer until activation" is on and the
 * User Verification add-on is configured, and apply the registration form's tags (or keep them
 * for activation).
 *
 * Hooked on `wpum_after_registration( $user_id, $values, $form )`, where everything of the
 * registration is saved (`user_register` fires with login, email and password only). Nothing is
 * delivered before the end of the request, so a hold placed here covers the whole registration.
 *
 * @package TagBridge
 */

namespace TagBridge\Integrations\WpUserManager;

defined( 'ABSPATH' ) || exit;

/**
 * Registration through a WPUM form.
 */
final class Registration {

	/**
	 * Deferral.
	 *
	 * @var Deferral
	 */
	private $deferral;

	/**
	 * Builds the service.
	 *
	 * @param Deferral $deferral Deferral.
	 */
	public function __construct( Deferral $deferral ) {
		$this->deferral = $deferral;
	}

	/**
	 * A user registered through a WPUM form.
	 *
	 * @param int   $user_id User.
	 * @param array $values  Submitted values (unused: the stored values are read at the push).
	 * @param mixed $form    The `WPUM_Registration_Form`.
	 */
	public function registered( $user_id, $values, $form ) {
		$user_id = (int) $user_id;
		$options = Options::get();
		if ( $options['defer'] && Options::verification_configured() ) {
			$this->deferral->start( $user_id );
		}
		$tags = $options['form_tags'][ RegistrationForms::id_of( $form ) ] ?? array();
		if ( ! $tags ) {
			return;
		}
		if ( $this->deferral->is_deferred( $user_id ) ) {
			$this->deferral->defer_tags( $user_id, $tags );
		} else {
			tagbridge_apply_tags( $user_id, $tags );
		}
	}
}
