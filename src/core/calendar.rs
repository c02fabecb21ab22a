//! Civil (proleptic Gregorian) dates without a date crate: day counting, Unix time and the few
//! textual forms a date field accepts.
//!
//! A `date` field carries a calendar date, not an instant: a birthday stays the same day in every
//! time zone. Only inputs that name an instant (a Unix timestamp, or a time with an explicit UTC
//! offset) are turned into the site's local date, using the site's UTC offset.

/// Seconds in a day.
const DAY: i64 = 86_400;

/// A calendar date between the years 1 and 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year (1–9999).
    pub year: i32,
    /// Month (1–12).
    pub month: u32,
    /// Day of the month (1–31).
    pub day: u32,
}

/// Days in `month` of `year`.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date, if it exists in the calendar and lies in the years 1–9999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        ((1..=9999).contains(&year) && day >= 1 && day <= days_in_month(year, month)).then_some(Self {
            year,
            month,
            day,
        })
    }

    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`), if in range.
    pub fn from_days(days: i64) -> Option<Self> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self::new(i32::try_from(year).ok()?, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
    }

    /// The local date of the instant `unix` (seconds) at `offset` seconds east of UTC.
    pub fn from_unix(unix: i64, offset: i64) -> Option<Self> {
        Self::from_days(unix.checked_add(offset)?.div_euclid(DAY))
    }

    /// Midnight UTC of this date as Unix seconds (what CRMs with timestamp date fields expect).
    pub fn midnight_utc(self) -> i64 {
        self.days() * DAY
    }
}

/// One piece of a date pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Year,
    Month,
    Day,
    /// Hours, minutes or seconds: always `00` for a calendar date.
    Zero,
    Literal(char),
}

/// A date pattern in PHP `date()` letters: `Y`, `m`, `d` (each once) and `H`, `i`, `s`, with
/// other punctuation, spaces or `T` as literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<Piece>,
    text: String,
}

impl Pattern {
    /// Parses a pattern; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        for c in text.chars() {
            pieces.push(match c {
                'Y' => Piece::Year,
                'm' => Piece::Month,
                'd' => Piece::Day,
                'H' | 'i' | 's' => Piece::Zero,
                'T' | ' ' | '-' | '/' | '.' | ':' | ',' => Piece::Literal(c),
                other => {
                    return Err(format!(
                        "date format {text:?} uses {other:?}; use Y, m, d, H, i, s and the separators - / . : , T or space"
                    ));
                }
            });
        }
        for (piece, letter) in [(Piece::Year, 'Y'), (Piece::Month, 'm'), (Piece::Day, 'd')] {
            if pieces.iter().filter(|p| **p == piece).count() != 1 {
                return Err(format!("date format {text:?} must contain {letter} exactly once"));
            }
        }
        Ok(Self { pieces, text: text.to_string() })
    }

    /// `Y-m-d`, the ISO 8601 calendar date.
    pub fn iso_date() -> Self {
        let pieces = vec![Piece::Year, Piece::Literal('-'), Piece::Month, Piece::Literal('-'), Piece::Day];
        Self { pieces, text: "Y-m-d".to_string() }
    }

    /// `Y/m/d`, the form Ultimate Member stores its date fields in.
    pub fn slashed_date() -> Self {
        let pieces = vec![Piece::Year, Piece::Literal('/'), Piece::Month, Piece::Literal('/'), Piece::Day];
        Self { pieces, text: "Y/m/d".to_string() }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `date` written in this pattern.
    pub fn format(&self, date: Date) -> String {
        let mut out = String::with_capacity(self.text.len() + 4);
        for p in &self.pieces {
            match p {
                Piece::Year => out.push_str(&format!("{:04}", date.year)),
                Piece::Month => out.push_str(&format!("{:02}", date.month)),
                Piece::Day => out.push_str(&format!("{:02}", date.day)),
                Piece::Zero => out.push_str("00"),
                Piece::Literal(c) => out.push(*c),
            }
        }
        out
    }

    /// Reads `text` written exactly in this pattern (times must be midnight-agnostic digits).
    pub fn read(&self, text: &str) -> Option<Date> {
        let mut rest = text;
        let (mut y, mut m, mut d) = (None, None, None);
        for p in &self.pieces {
            match p {
                Piece::Literal(c) => rest = rest.strip_prefix(*c)?,
                Piece::Year => (y, rest) = (Some(digits(rest, 4)?), &rest[4..]),
                Piece::Month => (m, rest) = (Some(digits(rest, 2)?), &rest[2..]),
                Piece::Day => (d, rest) = (Some(digits(rest, 2)?), &rest[2..]),
                Piece::Zero => (_, rest) = (digits(rest, 2)?, &rest[2..]),
            }
        }
        if !rest.is_empty() {
            return None;
        }
        Date::new(i32::try_from(y?).ok()?, m?, d?)
    }
}

/// The number written by the first `n` bytes of `s`, which must all be ASCII digits.
fn digits(s: &str, n: usize) -> Option<u32> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    head.parse().ok()
}

/// Reads a date written as `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by a time
/// (`T` or a space, `HH:MM[:SS[.fraction]]`) and a UTC offset (`Z`, `±HH:MM`, `±HHMM`), or as
/// `DD.MM.YYYY`. A time with an offset names an instant, which becomes the date at
/// `site_offset`; without an offset the date is taken as written.
pub fn read_text(text: &str, site_offset: i64) -> Option<Date> {
    let t = text.trim();
    if let (Some(d), Some(m), Some(y)) = (digits(t, 2), digits(t.get(3..)?, 2), digits(t.get(6..)?, 4)) {
        if t.len() == 10 && t.as_bytes()[2] == b'.' && t.as_bytes()[5] == b'.' {
            return Date::new(i32::try_from(y).ok()?, m, d);
        }
    }
    let y = digits(t, 4)?;
    let sep = *t.as_bytes().get(4)?;
    if !(sep == b'-' || sep == b'/') || t.as_bytes().get(7) != Some(&sep) {
        return None;
    }
    let date = Date::new(i32::try_from(y).ok()?, digits(t.get(5..)?, 2)?, digits(t.get(8..)?, 2)?)?;
    let rest = t.get(10..)?;
    if rest.is_empty() {
        return Some(date);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let (h, mi) = (digits(rest, 2)?, digits(rest.get(3..)?, 2)?);
    if rest.as_bytes().get(2) != Some(&b':') || h > 23 || mi > 59 {
        return None;
    }
    let mut rest = &rest[5..];
    let mut s = 0;
    if let Some(r) = rest.strip_prefix(':') {
        s = digits(r, 2)?;
        if s > 60 {
            return None;
        }
        rest = &r[2..];
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            rest = &r[n..];
        }
    }
    let offset = match rest {
        "" => return Some(date),
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            let (oh, om) = match r.len() {
                5 if r.as_bytes()[2] == b':' => (digits(r, 2)?, digits(&r[3..], 2)?),
                4 => (digits(r, 2)?, digits(&r[2..], 2)?),
                2 => (digits(r, 2)?, 0),
                _ => return None,
            };
            if oh > 18 || om > 59 {
                return None;
            }
            sign * (i64::from(oh) * 3600 + i64::from(om) * 60)
        }
    };
    let instant = date.midnight_utc() + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - offset;
    Date::from_unix(instant, site_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counting_matches_known_dates() {
        assert_eq!(Date::new(1970, 1, 1).map(Date::days), Some(0));
        assert_eq!(Date::new(2000, 3, 1).map(Date::days), Some(11_017));
        assert_eq!(Date::from_days(-1), Date::new(1969, 12, 31));
        assert_eq!(Date::from_unix(951_782_400, 0), Date::new(2000, 2, 29));
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
    }

    #[test]
    fn instants_with_offsets_become_the_site_date() {
        let d = |y, m, day| Date::new(y, m, day);
        assert_eq!(read_text("2024-03-10", 7200), d(2024, 3, 10));
        assert_eq!(read_text("2024/03/10 23:30", -3600), d(2024, 3, 10), "no offset: as written");
        assert_eq!(read_text("2024-03-10T23:30:00Z", 3600), d(2024, 3, 11));
        assert_eq!(read_text("2024-03-10T01:00:00+02:00", 0), d(2024, 3, 9));
        assert_eq!(read_text("10.03.2024", 0), d(2024, 3, 10));
        assert_eq!(read_text("2024-02-30", 0), None);
        assert_eq!(read_text("03/10/2024", 0), None, "ambiguous day/month order");
    }

    #[test]
    fn patterns_format_and_read_back() {
        let p = Pattern::parse("m/d/Y").unwrap();
        let date = Date::new(2024, 3, 9).unwrap();
        assert_eq!(p.format(date), "03/09/2024");
        assert_eq!(p.read("03/09/2024"), Some(date));
        assert!(Pattern::parse("Y-m").is_err());
        assert!(Pattern::parse("D, d M Y").is_err());
    }
}
