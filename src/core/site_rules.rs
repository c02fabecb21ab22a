//! What one direction of a site link lets through, and whether a signed request is fresh.
//!
//! A change between linked sites is filtered twice by [`filter`]: by the sender's `send` rules and
//! by the receiver's `receive` rules, each with that site's protected roles. The flow of a
//! direction is therefore what both administrators allowed. Invariants (property-tested):
//! protected roles are never set or removed, a protected user is never deleted, never has a
//! password or roles changed, a change never goes back to the site it came from (loop), and only
//! WordPress password hashes pass (never a plain password). Users are matched by email; an email
//! change follows only where both sides list `user_email` among the fields, never for a protected
//! user, and a user known to the receiver only by the old address is then left alone rather than
//! duplicated.

use super::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Keys no rule can let through as a profile field (passwords, logins, roles, capabilities; the
/// email travels as the change's own `email`).
const NEVER_FIELDS: [&str; 7] =
    ["user_pass", "user_login", "ID", "user_registered", "roles", "role", EMAIL_FIELD];

/// Listed among a direction's fields, lets email changes flow (`previous_email` → `email`).
const EMAIL_FIELD: &str = "user_email";

/// One direction's rules.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Create users missing on the receiver.
    pub create: bool,
    /// Profile fields (user fields or meta keys) that flow.
    pub fields: Vec<String>,
    /// Roles that may be set remotely (protected roles never are, whatever is listed).
    pub roles: Vec<String>,
    /// Tag changes flow.
    pub tags: bool,
    /// WordPress password hashes flow (opt-in).
    pub passwords: bool,
    /// Deletions flow (off by default; protected users are never deleted).
    pub delete: bool,
}

/// A user change between linked sites.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Change {
    /// `upsert` or `delete`.
    pub op: String,
    /// The user's email: users are matched by email.
    pub email: String,
    /// The address the user had before an email change in this change, if any.
    pub previous_email: Option<String>,
    /// Profile fields: key → value (an empty PHP array arrives as an empty list).
    #[serde(deserialize_with = "map_or_empty_list")]
    pub fields: Map<String, Value>,
    /// The user's roles among `role_scope`, or `None` when roles do not travel.
    pub roles: Option<Vec<String>>,
    /// The roles the sender manages for this direction (roles absent from `roles` are removed).
    pub role_scope: Vec<String>,
    /// Tags newly applied.
    pub apply_tags: Vec<String>,
    /// Tags removed.
    pub remove_tags: Vec<String>,
    /// The WordPress password hash, when passwords travel.
    pub pass_hash: Option<String>,
    /// The linked site this change came from, if it was received from one (loop prevention).
    pub origin: Option<String>,
}

/// Facts about the site applying the rules.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guard {
    /// The link the change is going to (sender) or came from (receiver).
    pub peer: String,
    /// This site's protected roles.
    pub protected_roles: Vec<String>,
    /// Whether the user exists on this site.
    pub user_exists: bool,
    /// Whether the user on this site is protected (holds a protected capability or role).
    pub user_protected: bool,
    /// The user's current roles on this site (receiver; empty on the sender).
    pub current_roles: Vec<String>,
    /// The receiver found the user by `previous_email`, not by `email`.
    pub matched_by_previous: bool,
}

/// What passed, what to do with roles, and why anything was left out.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Outcome {
    /// The change that passes (`None`: nothing to send or apply).
    pub change: Option<Change>,
    /// Roles to add on the receiver (empty on the sender).
    pub add_roles: Vec<String>,
    /// Roles to remove on the receiver.
    pub remove_roles: Vec<String>,
    /// `{what, reason}` for each part left out.
    pub skipped: Vec<Skip>,
}

/// A part of a change left out, with a reason code.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skip {
    /// `change`, `field:KEY`, `role:ROLE`, `roles`, `tags`, `password`, `delete`, `create`, `email`.
    pub what: String,
    /// `loop`, `create_off`, `field_off`, `field_never`, `role_off`, `role_protected`,
    /// `user_protected`, `tags_off`, `passwords_off`, `not_a_hash`, `delete_off`, `unknown_user`,
    /// `email_off`.
    pub reason: String,
}

fn map_or_empty_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Map<String, Value>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(map) => Ok(map),
        Value::Array(list) if list.is_empty() => Ok(Map::new()),
        _ => Err(serde::de::Error::custom("fields must be a map of key to value")),
    }
}

fn skip(out: &mut Vec<Skip>, what: impl Into<String>, reason: &str) {
    out.push(Skip { what: what.into(), reason: reason.to_string() });
}

/// Whether `hash` looks like a WordPress password hash (phpass, bcrypt, WordPress 6.8's `$wp$`,
/// argon2) rather than a password: a plain password never passes.
#[must_use]
pub fn is_password_hash(hash: &str) -> bool {
    let ok_chars = hash.bytes().all(|b| b.is_ascii_alphanumeric() || b"$./=,+-".contains(&b));
    let phpass = hash.len() == 34 && (hash.starts_with("$P$") || hash.starts_with("$H$"));
    let modern = hash.len() >= 50
        && ["$2y$", "$2a$", "$2b$", "$wp$", "$argon2i$", "$argon2id$"].iter().any(|p| hash.starts_with(p));
    ok_chars && (phpass || modern)
}

/// Reads rules, a change and a guard from plain data.
///
/// # Errors
/// An input error naming the part that is not of the expected shape.
pub fn read(rules: Value, change: Value, guard: Value) -> Result<(Rules, Change, Guard)> {
    let rules = serde_json::from_value(rules).map_err(|e| Error::input("rules", e.to_string()))?;
    let change: Change = serde_json::from_value(change).map_err(|e| Error::input("change", e.to_string()))?;
    if change.op != "upsert" && change.op != "delete" {
        return Err(Error::input("change.op", "must be \"upsert\" or \"delete\""));
    }
    if !change.email.contains('@') {
        return Err(Error::input("change.email", "must be an email address"));
    }
    if change.previous_email.as_ref().is_some_and(|p| !p.contains('@')) {
        return Err(Error::input("change.previous_email", "must be an email address"));
    }
    let guard = serde_json::from_value(guard).map_err(|e| Error::input("guard", e.to_string()))?;
    Ok((rules, change, guard))
}

/// Filters `change` through `rules` on the site described by `guard`.
#[must_use]
pub fn filter(rules: &Rules, change: &Change, guard: &Guard) -> Outcome {
    let mut out = Outcome::default();
    if change.origin.as_deref() == Some(guard.peer.as_str()) {
        skip(&mut out.skipped, "change", "loop");
        return out;
    }
    if change.op == "delete" {
        if !rules.delete {
            skip(&mut out.skipped, "delete", "delete_off");
        } else if guard.user_protected {
            skip(&mut out.skipped, "delete", "user_protected");
        } else {
            out.change =
                Some(Change { op: "delete".into(), email: change.email.clone(), ..Change::default() });
        }
        return out;
    }
    if !guard.user_exists && !rules.create {
        skip(&mut out.skipped, "create", "create_off");
        return out;
    }
    let mut kept = Change { op: "upsert".into(), email: change.email.clone(), ..Change::default() };
    if let Some(previous) = change.previous_email.as_ref().filter(|p| !p.eq_ignore_ascii_case(&change.email))
    {
        if !rules.fields.iter().any(|f| f == EMAIL_FIELD) {
            skip(&mut out.skipped, "email", "email_off");
        } else if guard.user_protected {
            skip(&mut out.skipped, "email", "user_protected");
        } else {
            kept.previous_email = Some(previous.clone());
        }
    }
    if guard.matched_by_previous && kept.previous_email.is_none() {
        // Known here only by the old address, which may not change: nothing, rather than a twin.
        return out;
    }
    for (key, value) in &change.fields {
        if NEVER_FIELDS.contains(&key.as_str())
            || key.ends_with("capabilities")
            || key.ends_with("user_level")
        {
            skip(&mut out.skipped, format!("field:{key}"), "field_never");
        } else if rules.fields.contains(key) {
            kept.fields.insert(key.clone(), value.clone());
        } else {
            skip(&mut out.skipped, format!("field:{key}"), "field_off");
        }
    }
    if let Some(roles) = &change.roles {
        filter_roles(rules, change, roles, guard, &mut kept, &mut out);
    }
    if rules.tags {
        kept.apply_tags.clone_from(&change.apply_tags);
        kept.remove_tags.clone_from(&change.remove_tags);
    } else if !change.apply_tags.is_empty() || !change.remove_tags.is_empty() {
        skip(&mut out.skipped, "tags", "tags_off");
    }
    if let Some(hash) = &change.pass_hash {
        if !rules.passwords {
            skip(&mut out.skipped, "password", "passwords_off");
        } else if guard.user_protected {
            skip(&mut out.skipped, "password", "user_protected");
        } else if !is_password_hash(hash) {
            skip(&mut out.skipped, "password", "not_a_hash");
        } else {
            kept.pass_hash = Some(hash.clone());
        }
    }
    let creates = !guard.user_exists;
    let empty = kept.fields.is_empty()
        && kept.roles.is_none()
        && kept.apply_tags.is_empty()
        && kept.remove_tags.is_empty()
        && kept.pass_hash.is_none()
        && kept.previous_email.is_none();
    if creates || !empty {
        out.change = Some(kept);
    }
    out
}

fn filter_roles(
    rules: &Rules,
    change: &Change,
    roles: &[String],
    guard: &Guard,
    kept: &mut Change,
    out: &mut Outcome,
) {
    if guard.user_protected {
        skip(&mut out.skipped, "roles", "user_protected");
        return;
    }
    let mut scope: BTreeSet<&String> = BTreeSet::new();
    let named: BTreeSet<&String> = change.role_scope.iter().chain(roles).collect();
    for role in named {
        if guard.protected_roles.contains(role) {
            skip(&mut out.skipped, format!("role:{role}"), "role_protected");
        } else if rules.roles.contains(role) {
            scope.insert(role);
        } else {
            skip(&mut out.skipped, format!("role:{role}"), "role_off");
        }
    }
    if scope.is_empty() {
        return;
    }
    let has: BTreeSet<&String> = roles.iter().filter(|r| scope.contains(r)).collect();
    kept.roles = Some(has.iter().map(|r| (*r).clone()).collect());
    kept.role_scope = scope.iter().map(|r| (*r).clone()).collect();
    out.add_roles = has.iter().filter(|r| !guard.current_roles.contains(r)).map(|r| (*r).clone()).collect();
    let removable: Vec<String> =
        guard.current_roles.iter().filter(|r| scope.contains(r) && !has.contains(r)).cloned().collect();
    // Never leave a user with no role: a removal that would empty the list is not made.
    let left = guard.current_roles.len() - removable.len() + out.add_roles.len();
    if left == 0 {
        skip(&mut out.skipped, "roles", "last_role");
    } else {
        out.remove_roles = removable;
    }
}

/// Whether a signed request's timestamp is within `window` seconds of `now`: `None` when fresh,
/// else the refusal code (`expired` or `from_the_future`).
#[must_use]
pub fn check_timestamp(now: i64, timestamp: i64, window: i64) -> Option<&'static str> {
    if timestamp < now.saturating_sub(window) {
        Some("expired")
    } else if timestamp > now.saturating_add(window) {
        Some("from_the_future")
    } else {
        None
    }
}
