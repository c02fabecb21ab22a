//! `tagbridge_fields_push()` and `tagbridge_fields_pull()`: the field sync planners for PHP.

use super::cache;
use super::convert::{Limits, entries_lenient, from_zval, to_array};
use super::errors::to_php;
use crate::core::Error;
use crate::core::field_plan::{SyncContext, plan_pull, plan_push};
use crate::core::reader::Node;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::{Map, Value};

/// Most fields one call may carry (a field map is far smaller).
const MAX_FIELDS: usize = 2_000;

/// Plans a push of one user's mapped fields: formats each push-enabled field for the CRM and keeps
/// only those that differ from the snapshot of the last successful push. Values that cannot be
/// formatted (or read: not UTF-8, objects) are left out and named in the log.
///
/// @param string $version A compiled settings version (see tagbridge_compile_settings()).
/// @param array $values WordPress key => current value (user field or meta, as stored).
/// @param array $snapshot CRM field => value last pushed successfully (`[]` before the first push).
/// @param array $context `['site_offset' => int seconds east of UTC, 'format' => ?array CRM format profile]`.
/// @return array{payload: array<string, mixed>, log: list<array{key: string, crm_field: string, code: string, message: string}>}
/// @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
/// @throws \TagBridge\Ext\InputException when the arrays are malformed.
#[php_function]
pub fn tagbridge_fields_push(
    version: String,
    values: &Zval,
    snapshot: &Zval,
    context: &Zval,
) -> PhpResult<ZBox<ZendHashTable>> {
    push(&version, values, snapshot, context).map(|v| to_array(&v)).map_err(|e| to_php(&e))
}

fn push(version: &str, values: &Zval, snapshot: &Zval, context: &Zval) -> Result<Value, Error> {
    let settings = cache::get(version)?;
    let values = entries_lenient(values, "values", Limits::FACTS, MAX_FIELDS)?;
    let snapshot = map(snapshot, "snapshot")?;
    let cx = read_context(context, false)?;
    Ok(plan_push(&settings, &values, &snapshot, &cx).to_value())
}

/// Plans a pull into one user: parses each pull-enabled CRM field back into what its source plugin
/// stores, and returns only the writes that change something. Blank CRM values, protected keys
/// (passwords, roles, capabilities, an existing user's login) and protected users are never
/// written; each skip is named in the log.
///
/// @param string $version A compiled settings version.
/// @param array $crm_values CRM field => value as the CRM returned it.
/// @param array $current WordPress key => current value of the user.
/// @param array $context `['site_offset' => int, 'format' => ?array, 'user' => ['exists' => bool, 'roles' => list<string>, 'caps' => list<string>]]`.
/// @return array{writes: array<string, mixed>, log: list<array{key: string, crm_field: string, code: string, message: string}>}
/// @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
/// @throws \TagBridge\Ext\InputException when the arrays are malformed.
#[php_function]
pub fn tagbridge_fields_pull(
    version: String,
    crm_values: &Zval,
    current: &Zval,
    context: &Zval,
) -> PhpResult<ZBox<ZendHashTable>> {
    pull(&version, crm_values, current, context).map(|v| to_array(&v)).map_err(|e| to_php(&e))
}

fn pull(version: &str, crm_values: &Zval, current: &Zval, context: &Zval) -> Result<Value, Error> {
    let settings = cache::get(version)?;
    let crm_values = entries_lenient(crm_values, "crm_values", Limits::FACTS, MAX_FIELDS)?;
    // A current value WordPress cannot hand over cleanly is treated as absent: the pull replaces it.
    let current: Map<String, Value> = entries_lenient(current, "current", Limits::FACTS, MAX_FIELDS)?
        .into_iter()
        .filter_map(|(k, v)| v.ok().map(|v| (k, v)))
        .collect();
    let cx = read_context(context, true)?;
    Ok(plan_pull(&settings, &crm_values, &current, &cx).to_value())
}

fn map(zv: &Zval, root: &str) -> Result<Map<String, Value>, Error> {
    let raw = from_zval(zv, root, Limits::FACTS)?;
    Ok(Node::root(&raw, root)
        .entries()?
        .into_iter()
        .map(|(k, c)| (k.to_string(), c.node().value().clone()))
        .collect())
}

fn read_context(zv: &Zval, with_user: bool) -> Result<SyncContext, Error> {
    let raw = from_zval(zv, "context", Limits::FACTS)?;
    SyncContext::read(Node::root(&raw, "context"), with_user)
}

/// Registers the field functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(tagbridge_fields_push)).function(wrap_function!(tagbridge_fields_pull))
}
