//! `tagbridge_plan()` and `tagbridge_plan_batch()`: the roles ↔ tags planner for PHP.

use super::cache;
use super::convert::{Limits, from_zval, to_array};
use super::errors::to_php;
use crate::core::reader::Node;
use crate::core::reconcile::{plan, plan_batch};
use crate::core::{Error, Event, UserFacts};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::Value;

/// Plans the role and tag changes that bring one user's roles and tags into agreement.
///
/// @param string $version A compiled settings version (see tagbridge_compile_settings()).
/// @param array $user `['user_id' => int, 'roles' => list<string>, 'tags' => list<string>, 'caps' => list<string>, 'super_admin' => bool]`.
/// @param array $event `['roles_added' => [], 'roles_removed' => [], 'tags_applied' => [], 'tags_removed' => [], 'resync' => null|'roles'|'tags', 'resync_roles' => null|[]]` (resync_roles limits a resync to those roles' links).
/// @return array{user_id: int, add_roles: list<array{role: string, reason: string, detail: string}>, remove_roles: list<array{role: string, reason: string, detail: string}>, apply_tags: list<array{tag: string, reason: string, detail: string}>, remove_tags: list<array{tag: string, reason: string, detail: string}>, notes: list<array{code: string, message: string}>}
/// @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
/// @throws \TagBridge\Ext\InputException when the facts are malformed.
#[php_function]
pub fn tagbridge_plan(version: String, user: &Zval, event: &Zval) -> PhpResult<ZBox<ZendHashTable>> {
    single(&version, user, event).map(|v| to_array(&v)).map_err(|e| to_php(&e))
}

fn single(version: &str, user: &Zval, event: &Zval) -> Result<Value, Error> {
    let settings = cache::get(version)?;
    let user = from_zval(user, "user", Limits::FACTS)?;
    let user = UserFacts::read(Node::root(&user, "user"))?;
    let event = read_event(event)?;
    Ok(plan(&settings, &user, &event).to_value())
}

/// Plans many users with one event, for reconciling a whole site; returns only the plans that
/// change something, in input order.
///
/// @param string $version A compiled settings version.
/// @param array $users A list of user facts, each as for tagbridge_plan().
/// @param array $event The event, as for tagbridge_plan() (usually `['resync' => 'roles'|'tags']`).
/// @return list<array> Plans shaped as tagbridge_plan()'s.
/// @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
/// @throws \TagBridge\Ext\InputException when the facts are malformed.
#[php_function]
pub fn tagbridge_plan_batch(version: String, users: &Zval, event: &Zval) -> PhpResult<ZBox<ZendHashTable>> {
    batch(&version, users, event).map(|v| to_array(&v)).map_err(|e| to_php(&e))
}

fn batch(version: &str, users: &Zval, event: &Zval) -> Result<Value, Error> {
    let settings = cache::get(version)?;
    let raw = from_zval(users, "users", Limits::BATCH)?;
    let facts = Node::root(&raw, "users")
        .list()?
        .iter()
        .map(|c| UserFacts::read(c.node()))
        .collect::<Result<Vec<_>, _>>()?;
    let event = read_event(event)?;
    Ok(Value::Array(plan_batch(&settings, &facts, &event).iter().map(|p| p.to_value()).collect()))
}

fn read_event(event: &Zval) -> Result<Event, Error> {
    let raw = from_zval(event, "event", Limits::FACTS)?;
    Event::read(Node::root(&raw, "event"))
}

/// Registers the planner functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(tagbridge_plan)).function(wrap_function!(tagbridge_plan_batch))
}
