//! `tagbridge_compile_settings()` and `tagbridge_settings_is_compiled()`.

use super::cache;
use super::convert::{Limits, from_array_or_json, from_zval, to_array};
use super::errors::to_php;
use crate::core::{Error, Settings, Site};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::{Value, json};
use std::sync::Arc;

/// Validates and compiles TagBridge settings, and keeps the result in this PHP process under
/// `$version` so later requests only look it up.
///
/// @param string $version A key that changes whenever the settings or the site's roles change.
/// @param array|string $settings The `tagbridge_settings` option, as an array or JSON text.
/// @param array $site `['roles' => wp_roles()->roles, 'fallback_role' => get_option('default_role')]`.
/// @return array{version: string, role_links: int, fields: int, protected_roles: list<string>, protected_capabilities: list<string>, fallback_role: ?string, warnings: list<string>}
/// @throws \TagBridge\Ext\SettingsException when an entry is invalid; the message starts with its path.
/// @throws \TagBridge\Ext\InputException when `$settings` or `$site` is not plain data.
#[php_function]
pub fn tagbridge_compile_settings(
    version: String,
    settings: &Zval,
    site: &Zval,
) -> PhpResult<ZBox<ZendHashTable>> {
    compile(version, settings, site).map(|summary| to_array(&summary)).map_err(|e| to_php(&e))
}

fn compile(version: String, settings: &Zval, site: &Zval) -> Result<Value, Error> {
    if version.trim().is_empty() || version.len() > 200 {
        return Err(Error::input("version", "must be a non-empty string of at most 200 bytes"));
    }
    let raw = from_array_or_json(settings, "settings", Limits::SETTINGS)?;
    let site = Site::read(&from_zval(site, "site", Limits::SETTINGS)?)?;
    let compiled = Settings::compile(&raw, &site)?;
    let summary = json!({
        "version": version,
        "role_links": compiled.role_links.len(),
        "fields": compiled.fields.len(),
        "protected_roles": compiled.protected_roles,
        "protected_capabilities": compiled.protected_capabilities,
        "fallback_role": compiled.fallback_role,
        "warnings": compiled.warnings,
    });
    cache::put(version, Arc::new(compiled));
    Ok(summary)
}

/// Whether settings of `$version` are already compiled in this PHP process (a cheap lookup).
#[php_function]
pub fn tagbridge_settings_is_compiled(version: String) -> bool {
    cache::has(&version)
}

/// Registers the settings functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(tagbridge_compile_settings))
        .function(wrap_function!(tagbridge_settings_is_compiled))
}
