//! `tagbridge_site_filter()` and `tagbridge_site_check_timestamp()`: the site link decisions for PHP.

use super::convert::{Limits, from_zval, to_array};
use super::errors::to_php;
use crate::core::site_rules::{check_timestamp, filter, read};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};

/// Filters one user change between linked sites through one direction's rules.
///
/// @param array $rules `{create: bool, fields: list<string>, roles: list<string>, tags: bool, passwords: bool, delete: bool}`.
/// @param array $change `{op: "upsert"|"delete", email: string, previous_email?: ?string, fields?: array<string, mixed>, roles?: ?list<string>, role_scope?: list<string>, apply_tags?: list<string>, remove_tags?: list<string>, pass_hash?: ?string, origin?: ?string}`.
/// @param array $guard `{peer: string, protected_roles: list<string>, user_exists: bool, user_protected: bool, current_roles: list<string>, matched_by_previous: bool}`.
/// @return array{change: ?array, add_roles: list<string>, remove_roles: list<string>, skipped: list<array{what: string, reason: string}>}
/// @throws \TagBridge\Ext\InputException when an argument is not of the shape above.
#[php_function]
pub fn tagbridge_site_filter(rules: &Zval, change: &Zval, guard: &Zval) -> PhpResult<ZBox<ZendHashTable>> {
    let rules = from_zval(rules, "rules", Limits::FACTS).map_err(|e| to_php(&e))?;
    let change = from_zval(change, "change", Limits::OUTBOX).map_err(|e| to_php(&e))?;
    let guard = from_zval(guard, "guard", Limits::FACTS).map_err(|e| to_php(&e))?;
    let (rules, change, guard) = read(rules, change, guard).map_err(|e| to_php(&e))?;
    let outcome = filter(&rules, &change, &guard);
    let value = serde_json::to_value(outcome).unwrap_or_default();
    Ok(to_array(&value))
}

/// Whether a signed request's timestamp is within `$window` seconds of `$now`.
///
/// @param int $now Unix time on this site.
/// @param int $timestamp The request's timestamp.
/// @param int $window Seconds of tolerated clock difference and replay memory.
/// @return string|null `null` when fresh, else `expired` or `from_the_future`.
#[php_function]
pub fn tagbridge_site_check_timestamp(now: i64, timestamp: i64, window: i64) -> Option<String> {
    check_timestamp(now, timestamp, window).map(str::to_string)
}

/// Registers the site link functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(tagbridge_site_filter))
        .function(wrap_function!(tagbridge_site_check_timestamp))
}
