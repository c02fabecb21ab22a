//! Inbound webhooks: a CRM's request (query parameters plus a raw body) → a typed command, or a
//! refusal that says what is wrong, where, and which HTTP status to answer.
//!
//! Authentication is not here: the shell checks the key or signature before calling [`parse`], so
//! an unauthenticated caller learns nothing about the payload rules. Everything after that — size,
//! UTF-8, JSON shape and depth, action names, which parameters an action takes, email and role slug
//! syntax, tag and field names — is decided here, so it can be property-tested and fuzzed. A
//! refusal is an expected outcome (the caller gets a 4xx), not an [`Error`](super::Error).

use serde_json::{Map, Value, json};

/// Largest body accepted, in bytes (a contact with many fields fits easily).
pub const MAX_BODY: usize = 256 * 1024;
/// Deepest JSON nesting accepted (the body object is level 1; field values may be lists).
pub const MAX_DEPTH: usize = 4;
/// Most JSON values (scalars, lists, maps) in a body.
pub const MAX_NODES: usize = 10_000;
/// Most tags in one request.
pub const MAX_TAGS: usize = 1_000;
/// Most fields in one request.
pub const MAX_FIELDS: usize = 500;
/// Longest tag or field name, in bytes (the tag table's column width).
pub const MAX_NAME: usize = 191;
/// Longest field value or query parameter, in bytes.
pub const MAX_VALUE: usize = 64 * 1024;

/// What the CRM asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Import the contact as a user (or update the matching user).
    Add,
    /// Pull the contact's fields and tags.
    Update,
    /// Pull the contact's tags only.
    UpdateTags,
    /// Check that the endpoint and the key work.
    Test,
}

impl Action {
    /// Every action, with its wire name.
    pub const ALL: [(Self, &'static str); 4] = [
        (Self::Add, "add"),
        (Self::Update, "update"),
        (Self::UpdateTags, "update_tags"),
        (Self::Test, "test"),
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(a, _)| *a == self).map_or("test", |(_, n)| n)
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(a, _)| *a)
    }

    /// The parameters this action takes besides `action` (anything else known is refused).
    fn takes(self, key: Key) -> bool {
        match self {
            Self::Add => true,
            Self::Update => !matches!(key, Key::Role | Key::SendNotification),
            Self::UpdateTags => matches!(key, Key::ContactId | Key::Email | Key::Tags),
            Self::Test => false,
        }
    }
}

/// The parameters the parser knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    ContactId,
    Email,
    FirstName,
    LastName,
    Role,
    SendNotification,
    Tags,
    Fields,
}

const KEYS: [(Key, &str); 8] = [
    (Key::ContactId, "contact_id"),
    (Key::Email, "email"),
    (Key::FirstName, "first_name"),
    (Key::LastName, "last_name"),
    (Key::Role, "role"),
    (Key::SendNotification, "send_notification"),
    (Key::Tags, "tags"),
    (Key::Fields, "fields"),
];

/// Query parameters that belong to the transport, not the command (never echoed back).
const TRANSPORT: [&str; 4] = ["key", "tagbridge_action", "action", "rest_route"];

/// Field names a webhook may never write: they would set roles, capabilities, the login or the
/// password through the pull layer. Compared in lower case; `*capabilities` and `*user_level`
/// also catch the prefixed meta keys (`wp_capabilities`, `wp_2_user_level`).
const RESERVED_FIELDS: [&str; 12] = [
    "role",
    "roles",
    "user_role",
    "user_roles",
    "user_pass",
    "user_login",
    "user_email",
    "user_activation_key",
    "session_tokens",
    "id",
    "user_id",
    "user_status",
];

/// A validated webhook command.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What to do.
    pub action: Action,
    /// The CRM's contact id, if given.
    pub contact_id: Option<String>,
    /// The contact's email, if given (trimmed; the domain in lower case).
    pub email: Option<String>,
    /// First name (add and update).
    pub first_name: Option<String>,
    /// Last name (add and update).
    pub last_name: Option<String>,
    /// Role slug for a new user (add only); the shell checks it against the site's roles.
    pub role: Option<String>,
    /// `None` when omitted (no WordPress email; membership plugins may send their own), else the
    /// caller's explicit choice.
    pub send_notification: Option<bool>,
    /// The contact's full tag list when given (replaces the user's tags); `None` = not given.
    pub tags: Option<Vec<String>>,
    /// CRM field → value, for the field pull layer.
    pub fields: Map<String, Value>,
    /// Top-level body keys that were not understood (CRMs send whole contact records).
    pub ignored: Vec<String>,
}

impl Request {
    /// The ordering key: requests with the same key are processed in the order they arrived.
    /// Email when given (contact ids differ between CRMs and are absent in some payloads).
    pub fn contact_key(&self) -> String {
        match (&self.email, &self.contact_id) {
            (Some(e), _) => format!("email:{}", e.to_lowercase()),
            (None, Some(id)) => format!("id:{id}"),
            (None, None) => String::new(),
        }
    }

    /// As plain data for the shell.
    pub fn to_value(&self) -> Value {
        json!({
            "action": self.action.name(),
            "contact_id": self.contact_id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "role": self.role,
            "send_notification": self.send_notification,
            "tags": self.tags,
            "fields": self.fields,
            "ignored": self.ignored,
            "contact_key": self.contact_key(),
        })
    }
}

/// Why a request was refused, and the HTTP status to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable machine code (`invalid_json`, `unknown_action`, ...).
    pub code: &'static str,
    /// 400, 413 or 415.
    pub status: u16,
    /// Where the problem is (`body`, `tags[3]`, `fields.role`); empty for the whole request.
    pub path: String,
    /// A sentence the CRM's operator can act on.
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, status: u16, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code, status, path: path.into(), message: message.into() }
    }

    fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("invalid_parameter", 400, path, message)
    }

    /// The parameters as a whole could not be read (wrong types, not UTF-8, too large).
    pub fn invalid_params(message: &str) -> Self {
        Self::invalid("params", message)
    }

    /// As plain data for the shell.
    pub fn to_value(&self) -> Value {
        json!({ "code": self.code, "status": self.status, "path": self.path, "message": self.message })
    }
}

/// Parses one webhook: `params` are the query (and form) parameters as strings, `body` the raw
/// request body (empty, or a JSON object). A parameter may come from the query or the body, not both.
pub fn parse(params: &Map<String, Value>, body: &[u8]) -> Result<Request, Refusal> {
    let body = parse_body(body)?;
    let action = read_action(params, &body)?;
    let mut raw: Vec<(Key, String, &Value, bool)> = Vec::new();
    for (key, name) in KEYS {
        let from_query = params.get(name);
        let from_body = body.get(name);
        if from_query.is_some() && from_body.is_some() {
            return Err(Refusal::invalid(name, "is given both in the query and in the body"));
        }
        if let Some(v) = from_query.or(from_body).filter(|v| !v.is_null()) {
            if !action.takes(key) {
                return Err(Refusal::new(
                    "not_for_action",
                    400,
                    name,
                    format!("is not accepted by the {} action", action.name()),
                ));
            }
            raw.push((key, name.to_string(), v, from_query.is_some()));
        }
    }
    for (name, v) in params {
        if !TRANSPORT.contains(&name.as_str()) && !KEYS.iter().any(|(_, n)| n == name) && !v.is_string() {
            return Err(Refusal::invalid(name.as_str(), "query parameters must be plain strings"));
        }
    }
    let mut req = Request {
        action,
        contact_id: None,
        email: None,
        first_name: None,
        last_name: None,
        role: None,
        send_notification: None,
        tags: None,
        fields: Map::new(),
        ignored: body
            .keys()
            .filter(|k| *k != "action" && !KEYS.iter().any(|(_, n)| n == k))
            .take(20)
            .cloned()
            .collect(),
    };
    for (key, path, value, from_query) in raw {
        let p = path.as_str();
        match key {
            Key::ContactId => req.contact_id = Some(contact_id(p, value)?),
            Key::Email => req.email = Some(email(p, string(p, value)?)?),
            Key::FirstName => req.first_name = Some(person_name(p, value)?),
            Key::LastName => req.last_name = Some(person_name(p, value)?),
            Key::Role => req.role = Some(role_slug(p, string(p, value)?)?),
            Key::SendNotification => req.send_notification = Some(flag(p, value)?),
            Key::Tags => req.tags = Some(tags(p, value, from_query)?),
            Key::Fields if from_query => {
                return Err(Refusal::invalid(p, "fields can only be sent in a JSON body"));
            }
            Key::Fields => req.fields = fields(p, value)?,
        }
    }
    if matches!(action, Action::Add | Action::Update | Action::UpdateTags)
        && req.email.is_none()
        && req.contact_id.is_none()
    {
        return Err(Refusal::new(
            "missing_contact",
            400,
            "",
            format!("the {} action needs contact_id or email", action.name()),
        ));
    }
    Ok(req)
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal::new(
            "payload_too_large",
            413,
            "body",
            format!("is larger than {MAX_BODY} bytes"),
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        Refusal::new(
            "not_utf8",
            400,
            "body",
            format!("is not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
        )
    })?;
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Refusal::new("invalid_json", 400, "body", format!("is not valid JSON: {e}")))?;
    let mut nodes = 0;
    check_shape(&value, 1, &mut nodes)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Refusal::new("invalid_shape", 400, "body", "must be a JSON object")),
    }
}

fn check_shape(v: &Value, depth: usize, nodes: &mut usize) -> Result<(), Refusal> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        return Err(Refusal::new(
            "payload_too_large",
            413,
            "body",
            format!("has more than {MAX_NODES} values"),
        ));
    }
    if depth > MAX_DEPTH && (v.is_array() || v.is_object()) {
        return Err(Refusal::new(
            "invalid_shape",
            400,
            "body",
            format!("is nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    match v {
        Value::Array(items) => items.iter().try_for_each(|i| check_shape(i, depth + 1, nodes)),
        Value::Object(m) => m.values().try_for_each(|i| check_shape(i, depth + 1, nodes)),
        _ => Ok(()),
    }
}

fn read_action(params: &Map<String, Value>, body: &Map<String, Value>) -> Result<Action, Refusal> {
    let given: Vec<(&str, &Value)> =
        [("tagbridge_action", params.get("tagbridge_action")), ("action", params.get("action"))]
            .into_iter()
            .chain([("action", body.get("action"))])
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
    let mut names = Vec::new();
    for (path, v) in &given {
        names.push(string(path, v)?.trim());
    }
    let Some(first) = names.first() else {
        return Err(Refusal::new(
            "missing_action",
            400,
            "action",
            "is required (add, update, update_tags or test)",
        ));
    };
    if names.iter().any(|n| n != first) {
        return Err(Refusal::invalid("action", "is given more than once with different values"));
    }
    Action::parse(first).ok_or_else(|| {
        let shown: String = first.chars().take(40).collect();
        Refusal::new(
            "unknown_action",
            400,
            "action",
            format!("unknown action {shown:?} (known: add, update, update_tags, test)"),
        )
    })
}

fn string<'a>(path: &str, v: &'a Value) -> Result<&'a str, Refusal> {
    let s =
        v.as_str().ok_or_else(|| Refusal::invalid(path, format!("expected a string, got {}", kind(v))))?;
    if s.len() > MAX_VALUE {
        return Err(Refusal::invalid(path, format!("is longer than {MAX_VALUE} bytes")));
    }
    Ok(s)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// A short name: trimmed, not empty, at most `max` bytes, no control characters.
fn short_name<'a>(path: &str, s: &'a str, max: usize) -> Result<&'a str, Refusal> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Refusal::invalid(path, "must not be empty"));
    }
    if s.len() > max {
        return Err(Refusal::invalid(path, format!("is longer than {max} bytes")));
    }
    if s.chars().any(char::is_control) {
        return Err(Refusal::invalid(path, "must not contain control characters"));
    }
    Ok(s)
}

fn contact_id(path: &str, v: &Value) -> Result<String, Refusal> {
    let id = match v {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
    .ok_or_else(|| Refusal::invalid(path, format!("expected a string or a whole number, got {}", kind(v))))?;
    let ok = (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(id)
    } else {
        Err(Refusal::invalid(path, "must be 1-64 letters, digits, '-', '_', '.' or ':'"))
    }
}

fn person_name(path: &str, v: &Value) -> Result<String, Refusal> {
    short_name(path, string(path, v)?, 100).map(str::to_string)
}

/// Checks an email address the way a mail server would take it: one `@`, a dot-atom local part
/// of at most 64 bytes, a domain of letter/digit/hyphen labels with at least one dot.
pub fn email(path: &str, s: &str) -> Result<String, Refusal> {
    let bad =
        |why: &str| Refusal::new("invalid_email", 400, path, format!("is not a valid email address ({why})"));
    let s = s.trim();
    if s.len() > 254 {
        return Err(bad("longer than 254 bytes"));
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(|| bad("no @"))?;
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    if local.is_empty() || local.len() > 64 || local.split('.').any(|p| p.is_empty() || !p.chars().all(atext))
    {
        return Err(bad("bad local part"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad("bad domain"));
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A role slug as WordPress's `sanitize_key()` leaves it: lower-case letters, digits, `_` and `-`.
pub fn role_slug(path: &str, s: &str) -> Result<String, Refusal> {
    let s = s.trim();
    let ok = (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(Refusal::new("invalid_role", 400, path, "must be a role slug: 1-64 of a-z, 0-9, '_' and '-'"))
    }
}

fn flag(path: &str, v: &Value) -> Result<bool, Refusal> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(Refusal::invalid(path, "must be true or false")),
        },
        Value::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => Ok(n.as_u64() == Some(1)),
        _ => Err(Refusal::invalid(path, format!("must be true or false, got {}", kind(v)))),
    }
}

/// Tags: a JSON list of names (or of `{"slug": ...}` objects, as FluentCRM sends them), or a
/// comma-separated query parameter. Trimmed, de-duplicated, order kept.
fn tags(path: &str, v: &Value, from_query: bool) -> Result<Vec<String>, Refusal> {
    let mut names: Vec<(String, &str)> = Vec::new();
    if from_query {
        let s = string(path, v)?;
        if !s.trim().is_empty() {
            names = s.split(',').enumerate().map(|(i, t)| (format!("{path}[{i}]"), t)).collect();
        }
    } else {
        let items = v
            .as_array()
            .ok_or_else(|| Refusal::invalid(path, format!("expected a list, got {}", kind(v))))?;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let name = match item {
                Value::Object(o) => {
                    o.get("slug").ok_or_else(|| Refusal::invalid(&p, "a tag object needs a slug"))?
                }
                other => other,
            };
            let name = string(&p, name)?;
            names.push((p, name));
        }
    }
    if names.len() > MAX_TAGS {
        return Err(Refusal::invalid(path, format!("has more than {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (p, name) in names {
        let tag = short_name(&p, name, MAX_NAME)?;
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    Ok(out)
}

/// Whether a field name would write a role, capability, login or password.
pub fn is_reserved_field(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    RESERVED_FIELDS.contains(&n.as_str()) || n.ends_with("capabilities") || n.ends_with("user_level")
}

fn fields(path: &str, v: &Value) -> Result<Map<String, Value>, Refusal> {
    let map =
        v.as_object().ok_or_else(|| Refusal::invalid(path, format!("expected a map, got {}", kind(v))))?;
    if map.len() > MAX_FIELDS {
        return Err(Refusal::invalid(path, format!("has more than {MAX_FIELDS} fields")));
    }
    let mut out = Map::new();
    for (name, value) in map {
        let p = format!("{path}.{name}");
        let clean = short_name(&p, name, MAX_NAME)?;
        if is_reserved_field(clean) {
            return Err(Refusal::new(
                "reserved_field",
                400,
                p,
                "cannot be set by a webhook (roles, capabilities, login, email and password are not fields)",
            ));
        }
        let ok = match value {
            Value::String(s) => s.len() <= MAX_VALUE,
            Value::Array(items) => items.iter().all(|i| i.is_string() || i.is_number() || i.is_boolean()),
            Value::Object(_) => false,
            _ => true,
        };
        if !ok {
            return Err(Refusal::invalid(&p, "must be a string, number, boolean, null or a list of those"));
        }
        out.insert(clean.to_string(), value.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string()))).collect()
    }

    #[test]
    fn query_form_add() {
        let r =
            parse(&q(&[("tagbridge_action", "add"), ("email", "Ann@Example.COM"), ("tags", "a, b,a")]), b"")
                .unwrap();
        assert_eq!(r.action, Action::Add);
        assert_eq!(r.email.as_deref(), Some("Ann@example.com"));
        assert_eq!(r.tags, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(r.send_notification, None);
        assert_eq!(r.contact_key(), "email:ann@example.com");
    }

    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [u8], &'a str, u16);

    #[test]
    fn refusals_have_codes_and_statuses() {
        let cases: [Case; 8] = [
            (&[], b"", "missing_action", 400),
            (&[("action", "drop")], b"", "unknown_action", 400),
            (&[("action", "add")], b"{", "invalid_json", 400),
            (&[("action", "add")], b"\xff\xfe", "not_utf8", 400),
            (&[("action", "add")], b"[1]", "invalid_shape", 400),
            (&[("action", "add")], b"{}", "missing_contact", 400),
            (&[("action", "update_tags"), ("email", "a@b.co"), ("role", "x")], b"", "not_for_action", 400),
            (
                &[("action", "add"), ("email", "a@b.co")],
                br#"{"fields":{"wp_capabilities":"x"}}"#,
                "reserved_field",
                400,
            ),
        ];
        for (params, body, code, status) in cases {
            let e = parse(&q(params), body).unwrap_err();
            assert_eq!((e.code, e.status), (code, status), "{params:?}: {e:?}");
        }
        let huge = vec![b' '; MAX_BODY + 1];
        assert_eq!(parse(&q(&[("action", "test")]), &huge).unwrap_err().status, 413);
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "x_y@xn--bcher-kva.ch"] {
            assert!(email("e", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a..b@c.co", "a b@c.co", "a@-b.co", "ä@b.co"] {
            assert!(email("e", bad).is_err(), "{bad:?}");
        }
    }
}
