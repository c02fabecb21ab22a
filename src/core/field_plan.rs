//! The field sync plans: which fields to send (push) and which to write back (pull).
//!
//! Push sends only the push-enabled fields whose formatted value differs from the snapshot of the
//! last successful push (keyed by CRM field, so a changed mapping or format profile re-sends).
//! A blank value is sent only as `null` to clear a value pushed before: a first push never sends
//! blanks over CRM data. Pull writes only pull-enabled fields, skips blanks (a CRM that returns
//! nothing never erases WordPress data), never writes protected keys, and leaves protected users
//! alone unless the settings allow it. Unusable values are logged per field and left out.

use super::error::Result;
use super::field_format::{self, FormatContext};
use super::fields::{FieldMapping, FieldType};
use super::format_profile::FormatProfile;
use super::reader::Node;
use super::settings::{MAX_NAME, Settings};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Field values by key (a WordPress key for push, a CRM field for pull); `Err` says why a value
/// could not be read at all (not UTF-8, an object, too large).
pub type Values = BTreeMap<String, std::result::Result<Value, String>>;

/// Why a field was left out, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// WordPress key.
    pub key: String,
    /// CRM field.
    pub crm_field: String,
    /// Stable code: `unparseable`, `blank_kept`, `protected_key`, `protected_user`.
    pub code: &'static str,
    /// A sentence for the owner; it never quotes the value.
    pub message: String,
}

impl LogEntry {
    fn new(f: &FieldMapping, code: &'static str, message: String) -> Self {
        Self { key: f.key.clone(), crm_field: f.crm_field.clone(), code, message }
    }

    fn to_value(&self) -> Value {
        json!({"key": self.key, "crm_field": self.crm_field, "code": self.code, "message": self.message})
    }
}

/// Facts a push or pull needs besides the values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncContext {
    /// The site's offset from UTC in seconds.
    pub site_offset: i64,
    /// The CRM adapter's format profile; the settings' profile when absent.
    pub format: Option<FormatProfile>,
    /// Pull only: whether the user already exists (a new user's login may be set).
    pub user_exists: bool,
    /// Pull only: the user's roles.
    pub roles: BTreeSet<String>,
    /// Pull only: capabilities granted to the user directly.
    pub caps: BTreeSet<String>,
}

/// Longest UTC offset WordPress allows (±14 h), with room for historical zones.
const MAX_OFFSET: i64 = 18 * 3600;

impl SyncContext {
    /// Reads `['site_offset' => int, 'format' => array|null, 'user' => ['exists' => bool,
    /// 'roles' => list, 'caps' => list]]`; `user` is accepted only when `with_user`.
    pub fn read(node: Node<'_>, with_user: bool) -> Result<Self> {
        let mut out = Self::default();
        let mut o = node.object()?;
        if let Some(s) = o.get("site_offset") {
            let n = s.node();
            out.site_offset = n
                .value()
                .as_i64()
                .filter(|o| o.abs() <= MAX_OFFSET)
                .ok_or_else(|| n.error("must be whole seconds between -64800 and 64800"))?;
        }
        if let Some(f) = o.get("format") {
            out.format = Some(FormatProfile::read(f.node())?);
        }
        if with_user {
            let u = o.require("user")?;
            let un = u.node();
            let mut uo = un.object()?;
            out.user_exists = uo.require("exists")?.node().bool()?;
            for (name, set) in [("roles", &mut out.roles), ("caps", &mut out.caps)] {
                let Some(list) = uo.get(name) else { continue };
                for item in list.node().list()? {
                    set.insert(item.node().name(MAX_NAME)?.to_string());
                }
            }
            uo.finish()?;
        }
        o.finish()?;
        Ok(out)
    }
}

/// What to send for one user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushPlan {
    /// CRM field → formatted value (`null` clears the CRM field).
    pub payload: Map<String, Value>,
    /// Fields left out, with reasons.
    pub log: Vec<LogEntry>,
}

impl PushPlan {
    /// `{payload, log}` for PHP.
    pub fn to_value(&self) -> Value {
        json!({"payload": self.payload, "log": self.log.iter().map(LogEntry::to_value).collect::<Vec<_>>()})
    }
}

/// What to write for one user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullPlan {
    /// WordPress key → value as the source plugin stores it.
    pub writes: Map<String, Value>,
    /// Fields left out, with reasons.
    pub log: Vec<LogEntry>,
}

impl PullPlan {
    /// `{writes, log}` for PHP.
    pub fn to_value(&self) -> Value {
        json!({"writes": self.writes, "log": self.log.iter().map(LogEntry::to_value).collect::<Vec<_>>()})
    }
}

/// The ISO code of the first readable country among `candidates`, else the site's default.
fn country<'a>(
    settings: &'a Settings,
    candidates: impl Iterator<Item = Option<&'a Value>>,
) -> Option<&'a str> {
    candidates
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|s| super::countries::find(s).map(|(code, _, _)| code))
        .or(settings.field_sync.default_country.as_deref())
}

fn format_context<'a>(
    settings: &'a Settings,
    cx: &'a SyncContext,
    country: Option<&'a str>,
) -> FormatContext<'a> {
    FormatContext {
        profile: cx.format.as_ref().unwrap_or(&settings.field_sync.format),
        site_offset: cx.site_offset,
        country,
    }
}

/// The payload of the push-enabled fields in `values` that changed since `snapshot` (CRM field →
/// value last pushed successfully). Keys without a push mapping are ignored.
pub fn plan_push(
    settings: &Settings,
    values: &Values,
    snapshot: &Map<String, Value>,
    cx: &SyncContext,
) -> PushPlan {
    let pushed = || settings.fields.iter().filter(|f| f.direction.pushes());
    let user_country = country(
        settings,
        pushed()
            .filter(|f| f.field_type == FieldType::Country)
            .map(|f| values.get(&f.key).and_then(|v| v.as_ref().ok())),
    );
    let fcx = format_context(settings, cx, user_country);
    let mut plan = PushPlan::default();
    for f in pushed() {
        let Some(value) = values.get(&f.key) else { continue };
        let value = match value {
            Ok(v) => v,
            Err(why) => {
                plan.log.push(LogEntry::new(f, "unparseable", format!("{} could not be read: {why}", f.key)));
                continue;
            }
        };
        let blank = match f.field_type {
            FieldType::Raw | FieldType::Checkbox => false,
            _ => field_format::is_blank(value) || *value == Value::Bool(false),
        };
        let formatted = if blank {
            Value::Null
        } else {
            match field_format::push(f.field_type, value, &fcx) {
                Ok(v) => v,
                Err(why) => {
                    plan.log.push(LogEntry::new(
                        f,
                        "unparseable",
                        format!("{} {why} ({} field); not sent", f.key, f.field_type.name()),
                    ));
                    continue;
                }
            }
        };
        let before = snapshot.get(&f.crm_field).unwrap_or(&Value::Null);
        // An unticked checkbox says no more than a blank: neither overwrites CRM data on a first push.
        let nothing_to_clear = before.is_null() && formatted == Value::Bool(false);
        if *before != formatted && !nothing_to_clear {
            plan.payload.insert(f.crm_field.clone(), formatted);
        }
    }
    plan
}

/// Why a WordPress key may never be written from the CRM, if it may not.
fn protected_key(key: &str, user_exists: bool) -> Option<&'static str> {
    let k = key.to_ascii_lowercase();
    match k.as_str() {
        "user_pass" | "user_password" => Some("passwords are never written from a CRM"),
        "role" | "roles" => Some("roles change only through role links"),
        "user_login" if user_exists => Some("the login name of an existing user never changes"),
        "id" | "user_registered" | "session_tokens" => Some("WordPress manages this value"),
        _ if k.ends_with("capabilities") || k.ends_with("user_level") => {
            Some("roles change only through role links")
        }
        _ => None,
    }
}

/// The WordPress writes for the pull-enabled fields in `crm_values` (CRM field → value), given
/// the `current` WordPress values (key → value). A value equal, once formatted, to the current one
/// is not written.
pub fn plan_pull(
    settings: &Settings,
    crm_values: &Values,
    current: &Map<String, Value>,
    cx: &SyncContext,
) -> PullPlan {
    let pulled: Vec<&FieldMapping> = settings.fields.iter().filter(|f| f.direction.pulls()).collect();
    let mut plan = PullPlan::default();
    let protected_user = cx.roles.iter().any(|r| settings.is_protected_role(r))
        || cx.caps.iter().any(|c| settings.protected_capabilities.contains(c));
    if protected_user && !settings.field_sync.pull_protected_users {
        for f in pulled.iter().filter(|f| crm_values.contains_key(&f.crm_field)) {
            plan.log.push(LogEntry::new(
                f,
                "protected_user",
                format!("{} not written: the user holds a protected capability (field_sync.pull_protected_users is off)", f.key),
            ));
        }
        return plan;
    }
    let countries = settings.fields.iter().filter(|f| f.field_type == FieldType::Country);
    let user_country = country(
        settings,
        countries
            .clone()
            .filter(|f| f.direction.pulls())
            .map(|f| crm_values.get(&f.crm_field).and_then(|v| v.as_ref().ok()))
            .chain(countries.map(|f| current.get(&f.key))),
    );
    let fcx = format_context(settings, cx, user_country);
    for f in pulled {
        let Some(value) = crm_values.get(&f.crm_field) else { continue };
        if let Some(why) = protected_key(&f.key, cx.user_exists) {
            plan.log.push(LogEntry::new(f, "protected_key", format!("{} not written: {why}", f.key)));
            continue;
        }
        let value = match value {
            Ok(v) => v,
            Err(why) => {
                plan.log.push(LogEntry::new(
                    f,
                    "unparseable",
                    format!("{} could not be read: {why}", f.crm_field),
                ));
                continue;
            }
        };
        if field_format::is_blank(value) {
            plan.log.push(LogEntry::new(
                f,
                "blank_kept",
                format!("{} is empty in the CRM; the WordPress value is kept", f.crm_field),
            ));
            continue;
        }
        let now = current.get(&f.key).unwrap_or(&Value::Null);
        let parsed = match field_format::pull(f.field_type, value, f.source, now, &fcx) {
            Ok(v) => v,
            Err(why) => {
                plan.log.push(LogEntry::new(
                    f,
                    "unparseable",
                    format!("{} {why} ({} field); not written", f.crm_field, f.field_type.name()),
                ));
                continue;
            }
        };
        let same = |v: &Value| field_format::push(f.field_type, v, &fcx).ok();
        // A blank checkbox means "off"; any other blank differs from a real value.
        let comparable = f.field_type == FieldType::Checkbox || !field_format::is_blank(now);
        let unchanged = *now == parsed || (comparable && same(now).is_some_and(|a| Some(a) == same(&parsed)));
        if !unchanged {
            plan.writes.insert(f.key.clone(), parsed);
        }
    }
    plan
}
