//! One value of one field type: formatted for the CRM (push) and parsed back into what the source
//! plugin stores (pull).
//!
//! Every function here is total: a value that cannot be formatted gives `Err(reason)`, which the
//! plan reports for that field and leaves out — never a guess. Reasons describe the value's kind,
//! never its content, so a log line cannot leak what a user typed.

use super::calendar::{self, Date, Pattern};
use super::countries;
use super::fields::{FieldType, Source};
use super::format_profile::{CountryFormat, DateFormat, FormatProfile};
use super::phone;
use serde_json::Value;

/// What formatting needs besides the value.
#[derive(Debug, Clone, Copy)]
pub struct FormatContext<'a> {
    /// The CRM's format profile.
    pub profile: &'a FormatProfile,
    /// The site's offset from UTC in seconds (WordPress `gmt_offset` × 3600).
    pub site_offset: i64,
    /// ISO alpha-2 code of the user's country, for national telephone numbers.
    pub country: Option<&'a str>,
}

/// A value that says nothing: `null`, blank text, an empty list.
pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) | Value::Object(_) => "a list",
    }
}

/// The scalar items of a list (a PHP array, keyed or not); nested lists are refused.
fn items(v: &Value) -> Result<Vec<&Value>, String> {
    let all: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) => m.values().collect(),
        other => vec![other],
    };
    if all.iter().any(|i| i.is_array() || i.is_object()) {
        return Err("is a nested list; only a flat list of values can be sent".into());
    }
    Ok(all)
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".into(),
        Value::Bool(false) | Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => {
            !matches!(s.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "no" | "off")
        }
        Value::Array(_) | Value::Object(_) => items(v).is_ok_and(|i| i.iter().any(|x| truthy(x))),
    }
}

fn integer(v: &Value) -> Result<i64, String> {
    let whole = |f: f64| {
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            #[allow(clippy::cast_possible_truncation)]
            Ok(f as i64)
        } else {
            Err("is not a whole number".to_string())
        }
    };
    match v {
        Value::Number(n) => {
            n.as_i64().map_or_else(|| n.as_f64().map_or(Err("is out of range".into()), whole), Ok)
        }
        Value::Bool(true) => Ok(1),
        Value::String(s) => {
            let t = s.trim();
            let t = t.strip_prefix('+').unwrap_or(t);
            t.parse::<i64>().or_else(|_| {
                if t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
                    t.parse::<f64>().map_err(|_| "is not a whole number".to_string()).and_then(whole)
                } else {
                    Err("is not a whole number".into())
                }
            })
        }
        other => Err(format!("is {}, not a whole number", kind(other))),
    }
}

/// A WordPress-side date: Unix seconds (a number or digits) for an instant, or text.
fn site_date(v: &Value, cx: &FormatContext<'_>) -> Result<Date, String> {
    let invalid =
        || "is not a date (use YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, ISO 8601 or a Unix timestamp)".to_string();
    match v {
        Value::Number(_) => Date::from_unix(integer(v)?, cx.site_offset).ok_or_else(invalid),
        Value::String(s) => {
            let t = s.trim();
            let unsigned = t.strip_prefix('-').unwrap_or(t);
            if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
                let secs = t.parse::<i64>().map_err(|_| invalid())?;
                return Date::from_unix(secs, cx.site_offset).ok_or_else(invalid);
            }
            if let DateFormat::Pattern(p) = &cx.profile.date_format {
                if let Some(d) = p.read(t) {
                    return Ok(d);
                }
            }
            calendar::read_text(t, cx.site_offset).ok_or_else(invalid)
        }
        other => Err(format!("is {}, not a date", kind(other))),
    }
}

fn multiselect(v: &Value, split_on: &str) -> Result<Vec<String>, String> {
    let raw: Vec<String> = match v {
        Value::String(s) => s.split(split_on).map(str::to_string).collect(),
        other => items(other)?.into_iter().map(scalar_text).collect(),
    };
    let mut out: Vec<String> = Vec::new();
    for item in raw {
        let item = item.trim().to_string();
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

fn single_text(v: &Value, field: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("is {}, not a {field}", kind(other))),
    }
}

/// `v` (a non-empty WordPress value) formatted for the CRM as a field of type `t`.
pub fn push(t: FieldType, v: &Value, cx: &FormatContext<'_>) -> Result<Value, String> {
    match t {
        FieldType::Text | FieldType::Textarea => match v {
            Value::Array(_) | Value::Object(_) => {
                Ok(Value::String(items(v)?.into_iter().map(scalar_text).collect::<Vec<_>>().join(", ")))
            }
            other => Ok(Value::String(scalar_text(other))),
        },
        FieldType::Int => integer(v).map(Value::from),
        FieldType::Date => {
            let date = site_date(v, cx)?;
            Ok(match &cx.profile.date_format {
                DateFormat::Unix => Value::from(date.midnight_utc()),
                DateFormat::UnixMs => Value::from(date.midnight_utc() * 1000),
                DateFormat::Pattern(p) => Value::String(p.format(date)),
            })
        }
        FieldType::Checkbox => Ok(Value::Bool(truthy(v))),
        FieldType::Multiselect => {
            let list = multiselect(v, ",")?;
            match &cx.profile.multiselect_separator {
                None => Ok(Value::from(list)),
                Some(sep) => {
                    if list.iter().any(|i| i.contains(sep.as_str())) {
                        return Err(format!("has an option containing the separator {sep:?}"));
                    }
                    Ok(Value::String(list.join(sep)))
                }
            }
        }
        FieldType::Tel => phone::to_e164(&single_text(v, "telephone number")?, cx.country).map(Value::String),
        FieldType::Country => {
            let text = single_text(v, "country")?;
            let (code, _, name) =
                countries::find(&text).ok_or("is not an ISO 3166-1 country code or name")?;
            Ok(Value::String(match cx.profile.country_format {
                CountryFormat::Alpha2 => code.to_string(),
                CountryFormat::Name => name.to_string(),
            }))
        }
        FieldType::State => single_text(v, "state").map(Value::String),
        FieldType::Raw => Ok(v.clone()),
    }
}

/// `v` (a non-blank CRM value) parsed back into what `source` stores for a field of type `t`.
/// `current` is the WordPress value now, whose style (a country name or code) is kept.
pub fn pull(
    t: FieldType,
    v: &Value,
    source: Source,
    current: &Value,
    cx: &FormatContext<'_>,
) -> Result<Value, String> {
    match t {
        FieldType::Text | FieldType::Textarea | FieldType::State => push(t, v, cx),
        FieldType::Int => integer(v).map(|i| Value::String(i.to_string())),
        FieldType::Date => {
            let date = match (v, &cx.profile.date_format) {
                (Value::Number(_), DateFormat::UnixMs) => Date::from_unix(integer(v)?.div_euclid(1000), 0),
                // A CRM timestamp is midnight UTC of the date, so it is read in UTC.
                (Value::Number(_), _) => Date::from_unix(integer(v)?, 0),
                (Value::String(s), DateFormat::Pattern(p)) => {
                    p.read(s.trim()).or_else(|| calendar::read_text(s, cx.site_offset))
                }
                (Value::String(s), _) => calendar::read_text(s, cx.site_offset),
                (other, _) => return Err(format!("is {}, not a date", kind(other))),
            }
            .ok_or("is not a date in the CRM's date format")?;
            let stored =
                if source == Source::UltimateMember { Pattern::slashed_date() } else { Pattern::iso_date() };
            Ok(Value::String(stored.format(date)))
        }
        FieldType::Checkbox => {
            let on = truthy(v);
            Ok(match source {
                Source::WpUserManager => Value::Bool(on),
                // UM keeps checked options as a list.
                Source::UltimateMember if on => Value::from(vec!["1"]),
                Source::UltimateMember => Value::Array(Vec::new()),
                _ => Value::String(if on { "1" } else { "0" }.into()),
            })
        }
        FieldType::Multiselect => {
            let sep = cx.profile.multiselect_separator.as_deref().unwrap_or(",");
            multiselect(v, sep).map(Value::from)
        }
        FieldType::Tel => push(t, v, cx),
        FieldType::Country => {
            let text = single_text(v, "country")?;
            let (code, _, name) =
                countries::find(&text).ok_or("is not an ISO 3166-1 country code or name")?;
            let by_name = match current {
                Value::String(s) if !s.trim().is_empty() => s.trim().len() > 2,
                _ => source == Source::UltimateMember,
            };
            Ok(Value::String(if by_name { name } else { code }.to_string()))
        }
        FieldType::Raw => Ok(v.clone()),
    }
}
