//! A CRM's format profile: how dates, multi-value fields and countries are written for it.
//!
//! Each CRM adapter may bring its own profile (FluentCRM wants `Y-m-d H:i:s`, HubSpot midnight-UTC
//! milliseconds, Mailchimp `m/d/Y`); the site's settings hold the profile used when it does not.

use super::calendar::Pattern;
use super::error::Result;
use super::reader::Node;

/// How a date is written for the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateFormat {
    /// Unix seconds of midnight UTC.
    Unix,
    /// Unix milliseconds of midnight UTC.
    UnixMs,
    /// Text in a pattern of PHP `date()` letters.
    Pattern(Pattern),
}

/// How a country is written for the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryFormat {
    /// ISO 3166-1 alpha-2 code (`DE`).
    Alpha2,
    /// English short name (`Germany`).
    Name,
}

/// The formatting rules of one CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatProfile {
    /// Date fields.
    pub date_format: DateFormat,
    /// Multi-value fields are joined with this separator; `None` sends a list.
    pub multiselect_separator: Option<String>,
    /// Country fields.
    pub country_format: CountryFormat,
}

impl Default for FormatProfile {
    fn default() -> Self {
        Self {
            date_format: DateFormat::Pattern(Pattern::iso_date()),
            multiselect_separator: None,
            country_format: CountryFormat::Alpha2,
        }
    }
}

impl FormatProfile {
    /// Reads `{date_format, multiselect_separator, country_format}`; absent keys keep the defaults.
    pub fn read(node: Node<'_>) -> Result<Self> {
        let mut out = Self::default();
        let mut o = node.object()?;
        if let Some(d) = o.get("date_format") {
            let n = d.node();
            out.date_format = match n.str()? {
                "unix" => DateFormat::Unix,
                "unix_ms" => DateFormat::UnixMs,
                text => DateFormat::Pattern(Pattern::parse(text).map_err(|m| n.error(m))?),
            };
        }
        if let Some(s) = o.get("multiselect_separator") {
            let n = s.node();
            let sep = n.str()?;
            if sep.is_empty() || sep.len() > 8 || sep.chars().any(char::is_control) {
                return Err(
                    n.error("must be 1 to 8 characters without control characters, or null for a list")
                );
            }
            out.multiselect_separator = Some(sep.to_string());
        }
        if let Some(c) = o.get("country_format") {
            let n = c.node();
            out.country_format = match n.str()? {
                "alpha2" => CountryFormat::Alpha2,
                "name" => CountryFormat::Name,
                other => {
                    return Err(n.error(format!("unknown country format {other:?} (known: alpha2, name)")));
                }
            };
        }
        o.finish()?;
        Ok(out)
    }
}
