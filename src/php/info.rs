//! Version and build facts, and the panic self-test.

use ext_php_rs::prelude::*;
use std::collections::HashMap;

/// The version of the TagBridge extension (the crate version); the plugin refuses to run when it
/// differs from its own.
#[php_function]
pub fn tagbridge_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Facts about this build: `version`, `php_api` (the PHP module API it was built for),
/// `php_version` and `profile` (`release` or `debug`).
///
/// @return array{version: string, php_api: string, php_version: string, profile: string}
#[php_function]
pub fn tagbridge_build_info() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("version", env!("CARGO_PKG_VERSION")),
        ("php_api", env!("TAGBRIDGE_PHP_API")),
        ("php_version", env!("TAGBRIDGE_PHP_VERSION")),
        ("profile", if cfg!(debug_assertions) { "debug" } else { "release" }),
    ])
}

/// Diagnostics: panics inside the extension on purpose, to show that a Rust panic reaches PHP as
/// an `\Error` ("Rust panic: …") and the PHP process carries on. Never called by the plugin.
#[php_function]
#[allow(clippy::panic)]
pub fn tagbridge_debug_panic(message: String) {
    panic!("{message}");
}

/// Registers the info functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(tagbridge_version))
        .function(wrap_function!(tagbridge_build_info))
        .function(wrap_function!(tagbridge_debug_panic))
}
