//! The field map: which WordPress keys travel to which CRM fields, with which type and direction.

use super::countries;
use super::error::{Error, Result};
use super::format_profile::FormatProfile;
use super::reader::Node;
use super::settings::MAX_NAME;
use std::collections::BTreeMap;

/// How a value is formatted for the CRM and parsed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldType {
    /// Single-line text.
    Text,
    /// Multi-line text.
    Textarea,
    /// Whole number.
    Int,
    /// Calendar date (with time zone handling).
    Date,
    /// Yes/no.
    Checkbox,
    /// Several values from a list.
    Multiselect,
    /// Telephone number.
    Tel,
    /// Country.
    Country,
    /// State or region.
    State,
    /// Passed through untouched.
    Raw,
}

impl FieldType {
    /// Every type with its settings name.
    pub const ALL: [(&'static str, FieldType); 10] = [
        ("text", Self::Text),
        ("textarea", Self::Textarea),
        ("int", Self::Int),
        ("date", Self::Date),
        ("checkbox", Self::Checkbox),
        ("multiselect", Self::Multiselect),
        ("tel", Self::Tel),
        ("country", Self::Country),
        ("state", Self::State),
        ("raw", Self::Raw),
    ];

    /// The type named `name` in settings.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The settings name of this type.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, t)| *t == self).map_or("raw", |(n, _)| n)
    }
}

/// Which way a field flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// WordPress → CRM only.
    Push,
    /// CRM → WordPress only.
    Pull,
    /// Both ways.
    Both,
}

impl Direction {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "push" => Some(Self::Push),
            "pull" => Some(Self::Pull),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    /// True when values flow to the CRM.
    pub fn pushes(self) -> bool {
        matches!(self, Self::Push | Self::Both)
    }

    /// True when values flow back from the CRM.
    pub fn pulls(self) -> bool {
        matches!(self, Self::Pull | Self::Both)
    }
}

/// Where a WordPress key comes from (the heading it is listed under).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// WordPress core user fields and meta.
    WordPress,
    /// Ultimate Member fields.
    UltimateMember,
    /// WP User Manager fields.
    WpUserManager,
    /// Anything else.
    Other,
}

impl Source {
    /// The source named `name` in settings.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "wordpress" => Some(Self::WordPress),
            "ultimate_member" => Some(Self::UltimateMember),
            "wp_user_manager" => Some(Self::WpUserManager),
            "other" => Some(Self::Other),
            _ => None,
        }
    }
}

/// One mapped field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMapping {
    /// WordPress key (user field or meta key).
    pub key: String,
    /// CRM field.
    pub crm_field: String,
    /// Value type.
    pub field_type: FieldType,
    /// Flow direction.
    pub direction: Direction,
    /// Where the key comes from.
    pub source: Source,
}

/// WordPress keys that never travel to a CRM: a password is never sent in plain text, and
/// capabilities/roles are decided by the role links, not by field sync.
pub const FORBIDDEN_KEYS: &[(&str, &str)] = &[
    ("user_pass", "passwords are never sent to a CRM: they would be stored there in plain text"),
    ("user_password", "passwords are never sent to a CRM: they would be stored there in plain text"),
    ("wp_capabilities", "roles travel through role links, never as a field"),
    ("wp_user_level", "roles travel through role links, never as a field"),
    ("session_tokens", "login sessions never leave the site"),
];

pub(crate) fn read_fields(node: Node<'_>) -> Result<Vec<FieldMapping>> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in node.list()?.iter().enumerate() {
        let n = item.node();
        let mut o = n.object()?;
        let key_child = o.require("key")?;
        let key = key_child.node().name(MAX_NAME)?.to_string();
        let crm_field = o.require("crm_field")?.node().name(MAX_NAME)?.to_string();
        let type_child = o.require("type")?;
        let type_name = type_child.node().str()?;
        let field_type = FieldType::parse(type_name).ok_or_else(|| {
            let known: Vec<&str> = FieldType::ALL.iter().map(|(n, _)| *n).collect();
            Error::settings(
                type_child.node().path(),
                format!("unknown field type {type_name:?} (known: {})", known.join(", ")),
            )
        })?;
        let direction = match o.get("direction") {
            Some(d) => {
                let name = d.node().str()?;
                Direction::parse(name).ok_or_else(|| {
                    Error::settings(
                        d.node().path(),
                        format!("unknown direction {name:?} (known: push, pull, both)"),
                    )
                })?
            }
            None => Direction::Push,
        };
        let source = match o.get("source") {
            Some(s) => {
                let name = s.node().str()?;
                Source::parse(name).ok_or_else(|| {
                    Error::settings(
                        s.node().path(),
                        format!("unknown source {name:?} (known: wordpress, ultimate_member, wp_user_manager, other)"),
                    )
                })?
            }
            None => Source::Other,
        };
        o.finish()?;
        if let Some((_, why)) = FORBIDDEN_KEYS.iter().find(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            return Err(Error::settings(key_child.node().path(), format!("{key:?} cannot be mapped: {why}")));
        }
        if direction.pushes() {
            if let Some(first) =
                out.iter().position(|f: &FieldMapping| f.direction.pushes() && f.crm_field == crm_field)
            {
                return Err(Error::settings(
                    n.path(),
                    format!(
                        "CRM field {crm_field:?} already receives fields[{first}]; two pushed keys would overwrite each other"
                    ),
                ));
            }
        }
        if let Some(first) = seen.insert(key.clone(), i) {
            return Err(Error::settings(
                n.path(),
                format!("duplicate field: {key:?} is already mapped by fields[{first}]"),
            ));
        }
        out.push(FieldMapping { key, crm_field, field_type, direction, source });
    }
    Ok(out)
}

/// How mapped fields are synced: the default format profile, the country assumed for national
/// telephone numbers, and whether pulls may write to protected users (administrators).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSync {
    /// Format profile used when the CRM adapter brings none.
    pub format: FormatProfile,
    /// ISO alpha-2 code used for national telephone numbers when a user has no country field.
    pub default_country: Option<String>,
    /// Whether CRM values may be written to users holding a protected capability.
    pub pull_protected_users: bool,
}

pub(crate) fn read_field_sync(node: Node<'_>) -> Result<FieldSync> {
    let mut out = FieldSync::default();
    let mut o = node.object()?;
    if let Some(f) = o.get("format") {
        out.format = FormatProfile::read(f.node())?;
    }
    if let Some(c) = o.get("default_country") {
        let n = c.node();
        let code = n.str()?;
        match countries::find(code) {
            Some((alpha2, _, _)) if code.trim().len() == 2 => out.default_country = Some(alpha2.to_string()),
            _ => return Err(n.error(format!("{code:?} is not an ISO 3166-1 alpha-2 country code"))),
        }
    }
    if let Some(p) = o.get("pull_protected_users") {
        out.pull_protected_users = p.node().bool()?;
    }
    o.finish()?;
    Ok(out)
}
