//! The field map: which WordPress keys travel to which CRM fields, with which type and direction.

use super::error::{Error, Result};
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
    fn parse(name: &str) -> Option<Self> {
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
