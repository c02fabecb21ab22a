<?php
/**
 * Bootstrap of the binding tests: the built extension alone, no WordPress.
 */

if ( ! extension_loaded( 'tagbridge' ) ) {
	fwrite( STDERR, "The tagbridge extension is not loaded: run these tests with php -d extension=target/release/libtagbridge.so\n" );
	exit( 1 );
}
