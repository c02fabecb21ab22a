//! `tagbridge_webhook_parse()`: the webhook request rules for PHP.

use super::convert::{Limits, from_zval};
use crate::core::webhook::{Refusal, parse};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::{Value, json};

/// Query parameters: a flat map of short strings.
const PARAMS: Limits = Limits { max_depth: 2, max_nodes: 1_000, max_string: 64 * 1024 };

/// Validates one inbound webhook (after the shell authenticated it) and answers either the typed
/// command or a refusal with the HTTP status to send. Never throws for bad input: a refused
/// webhook is an expected outcome.
///
/// @param array $params Query (and form) parameters, unslashed; `key` and `rest_route` are ignored.
/// @param string $body The raw request body: empty or a JSON object (bytes; non-UTF-8 is refused).
/// @return array{ok: bool, request?: array{action: string, contact_id: ?string, email: ?string, first_name: ?string, last_name: ?string, role: ?string, send_notification: ?bool, tags: ?list<string>, fields: array<string, mixed>, ignored: list<string>, contact_key: string}, error?: array{code: string, status: int, path: string, message: string}}
#[php_function]
pub fn tagbridge_webhook_parse(params: &Zval, body: &Zval) -> ZBox<ZendHashTable> {
    super::convert::to_array(&decide(params, body))
}

fn decide(params: &Zval, body: &Zval) -> Value {
    let params = match from_zval(params, "params", PARAMS) {
        Ok(Value::Object(m)) => m,
        Ok(Value::Array(a)) if a.is_empty() => serde_json::Map::new(),
        Ok(_) => return refused(&Refusal::invalid_params("must be a map of parameter => string")),
        Err(e) => return refused(&Refusal::invalid_params(&e.to_string())),
    };
    let bytes: &[u8] = match body.dereference().zend_str() {
        Some(s) => s.as_bytes(),
        None if body.is_null() => b"",
        None => return refused(&Refusal::invalid_params("the body must be a string")),
    };
    match parse(&params, bytes) {
        Ok(request) => json!({ "ok": true, "request": request.to_value() }),
        Err(refusal) => refused(&refusal),
    }
}

fn refused(refusal: &Refusal) -> Value {
    json!({ "ok": false, "error": refusal.to_value() })
}

/// Registers the webhook functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(tagbridge_webhook_parse))
}
