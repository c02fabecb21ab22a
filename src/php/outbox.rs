//! `tagbridge_outbox_coalesce()` and `tagbridge_outbox_schedule()`: the outbox's decisions for PHP.

use super::convert::{Limits, from_zval, to_array};
use super::errors::to_php;
use crate::core::Error;
use crate::core::outbox::{Change, Failure, Target, coalesce, schedule};
use crate::core::reader::Node;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::Value;

/// Coalesces one contact's pending changes (oldest first) into one delivery: fields merged (last
/// write wins per field), for each tag only its last change, and the CRM calls that send it.
///
/// @param array $changes `list<array{id: int, fields?: array<string, mixed>, apply_tags?: list<string>, remove_tags?: list<string>}>`, in enqueue order.
/// @param bool $has_contact Whether the contact's id is known (else the one call is a `create` carrying the fields and the tags to apply; on a duplicate answer, look the contact up and coalesce again with `true`).
/// @param bool $combined Whether the CRM takes fields and tags in one request.
/// @return array{ids: list<int>, fields: array<string, mixed>, apply_tags: list<string>, remove_tags: list<string>, calls: list<array{op: string, fields?: array, tags?: list<string>, apply_tags?: list<string>, remove_tags?: list<string>}>} `op` is `create` (with `fields` and `apply_tags`), `update`, `apply`, `remove` or `combined`.
/// @throws \TagBridge\Ext\InputException when a change is malformed.
#[php_function]
pub fn tagbridge_outbox_coalesce(
    changes: &Zval,
    has_contact: bool,
    combined: bool,
) -> PhpResult<ZBox<ZendHashTable>> {
    read_changes(changes)
        .map(|c| to_array(&coalesce(&c, Target { has_contact, combined }).to_value()))
        .map_err(|e| to_php(&e))
}

fn read_changes(changes: &Zval) -> Result<Vec<Change>, Error> {
    let raw = from_zval(changes, "changes", Limits::OUTBOX)?;
    Node::root(&raw, "changes").list()?.iter().map(|c| Change::read(c.node())).collect()
}

/// Decides what follows a failed delivery: retry after a delay (exponential backoff with a cap,
/// jitter derived from `$key`, retry-after as a floor) or park with a reason.
///
/// @param int $key The oldest outbox row id of the delivery (seeds the jitter).
/// @param int $attempt Which attempt failed (1 = the first).
/// @param string $failure A `TagBridge\Crm\Result` failure status (`transient`, `rate_limited`, `not_found`, `auth_failed`, `permanent`, `duplicate`).
/// @param int|null $retry_after Seconds the CRM asked to wait, if it said.
/// @return array{action: string, delay: ?int, reason: ?string} `action` is `retry` (with `delay` seconds) or `park` (with `reason`).
/// @throws \TagBridge\Ext\InputException when a number is negative or the failure is unknown.
#[php_function]
pub fn tagbridge_outbox_schedule(
    key: i64,
    attempt: i64,
    failure: String,
    retry_after: Option<i64>,
) -> PhpResult<ZBox<ZendHashTable>> {
    decide(key, attempt, &failure, retry_after).map(|v| to_array(&v)).map_err(|e| to_php(&e))
}

fn decide(key: i64, attempt: i64, failure: &str, retry_after: Option<i64>) -> Result<Value, Error> {
    let key = u64::try_from(key).map_err(|_| Error::input("key", "must be zero or more"))?;
    let attempt = u32::try_from(attempt)
        .ok()
        .filter(|a| *a >= 1)
        .ok_or_else(|| Error::input("attempt", "must be a whole number from 1"))?;
    let retry_after = retry_after
        .map(|s| u64::try_from(s).map_err(|_| Error::input("retry_after", "must be zero or more")))
        .transpose()?;
    let failure = Failure::parse(failure).ok_or_else(|| {
        Error::input(
            "failure",
            format!(
                "unknown failure {failure:?} (known: transient, rate_limited, not_found, auth_failed, permanent, duplicate)"
            ),
        )
    })?;
    Ok(schedule(key, attempt, failure, retry_after).to_value())
}

/// Registers the outbox functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(tagbridge_outbox_coalesce))
        .function(wrap_function!(tagbridge_outbox_schedule))
}
