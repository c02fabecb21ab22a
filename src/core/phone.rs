//! Telephone numbers to E.164 (`+` country code, national number; at most 15 digits).
//!
//! Numbers written internationally (`+44 …`, `0044 …`) need no country; national numbers need the
//! user's country (or the site's default) to know the calling code and the trunk prefix to drop.
//! Anything that is not clearly one number — letters, extensions, too few or too many digits — is
//! refused with a reason rather than sent half-right.

use super::countries;

/// Calling codes whose national numbers keep their leading 0 (Italy, Vatican, San Marino, and Côte
/// d'Ivoire since its 2021 renumbering).
const KEEPS_LEADING_ZERO: &[u16] = &[39, 378, 225];

/// The number in E.164 form, or why it cannot be written so. `country` is an ISO alpha-2 code.
pub fn to_e164(text: &str, country: Option<&str>) -> Result<String, String> {
    let t = text.trim();
    if t.chars().any(char::is_alphabetic) || t.contains('#') {
        return Err("contains letters or an extension; only a telephone number can be sent".into());
    }
    if let Some(bad) = t.chars().find(|c| !(c.is_ascii_digit() || " -./()+\u{a0}".contains(*c))) {
        return Err(format!("contains {bad:?}, which is not part of a telephone number"));
    }
    if t.rfind('+').is_some_and(|i| i > 0) {
        return Err("has a + that is not at the start".into());
    }
    let international = t.starts_with('+');
    // "+44 (0)20 …" writes the trunk 0 that callers from abroad leave out.
    let cleaned = if international { t.replace("(0)", "") } else { t.to_string() };
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    if international {
        return international_number(&digits);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return international_number(rest);
    }
    let Some(country) = country else {
        return Err("is a national number and no country is known for this user".into());
    };
    let Some((_, code, _)) = countries::find(country) else {
        return Err(format!("country {country:?} is not an ISO 3166-1 code"));
    };
    let national = match code {
        1 if digits.starts_with("011") => return international_number(&digits[3..]),
        1 if digits.len() == 11 && digits.starts_with('1') => &digits[1..],
        7 if digits.len() == 11 && digits.starts_with('8') => &digits[1..],
        36 if digits.starts_with("06") => &digits[2..],
        c if !KEEPS_LEADING_ZERO.contains(&c) && digits.starts_with('0') => &digits[1..],
        _ => digits.as_str(),
    };
    assemble(code, national)
}

/// `digits` after the `+` (or `00`): a calling code, then the national number.
fn international_number(digits: &str) -> Result<String, String> {
    let code = (1..=3)
        .filter_map(|n| digits.get(..n))
        .filter_map(|p| p.parse::<u16>().ok())
        .find(|c| !digits.starts_with('0') && countries::is_calling_code(*c))
        .ok_or("does not start with a known country calling code")?;
    let national = &digits[code.to_string().len()..];
    // "+49 030 …": the trunk 0 is not dialled from abroad.
    let national = match national.strip_prefix('0') {
        Some(rest) if !KEEPS_LEADING_ZERO.contains(&code) => rest,
        _ => national,
    };
    assemble(code, national)
}

fn assemble(code: u16, national: &str) -> Result<String, String> {
    let out = format!("+{code}{national}");
    let total = out.len() - 1;
    if national.len() < 4 || total < 7 {
        return Err("has too few digits for a telephone number".into());
    }
    if total > 15 {
        return Err("has more than the 15 digits a telephone number can have".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::to_e164;

    #[test]
    fn national_and_international_forms() {
        assert_eq!(to_e164("030 1234567", Some("DE")).unwrap(), "+49301234567");
        assert_eq!(to_e164("+49 (0)30 123-4567", None).unwrap(), "+49301234567");
        assert_eq!(to_e164("0049 30 1234567", None).unwrap(), "+49301234567");
        assert_eq!(to_e164("(415) 555-0100", Some("us")).unwrap(), "+14155550100");
        assert_eq!(to_e164("1 415 555 0100", Some("US")).unwrap(), "+14155550100");
        assert_eq!(to_e164("06 123 45678", Some("IT")).unwrap(), "+390612345678");
        assert_eq!(to_e164("020 7946 0958", Some("GB")).unwrap(), "+442079460958");
        assert_eq!(to_e164("8 912 345 67 89", Some("RU")).unwrap(), "+79123456789");
    }

    #[test]
    fn refusals_say_why() {
        assert!(to_e164("030 1234567", None).unwrap_err().contains("no country"));
        assert!(to_e164("555-0100 ext 12", Some("US")).unwrap_err().contains("extension"));
        assert!(to_e164("+999 1234567", None).unwrap_err().contains("calling code"));
        assert!(to_e164("12", Some("DE")).unwrap_err().contains("too few"));
        assert!(to_e164("+49 1234567890123456", None).unwrap_err().contains("15 digits"));
        assert!(to_e164("12+34", Some("DE")).is_err());
    }
}
