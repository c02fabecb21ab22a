//! A strict reader for the one shape of PHP's `serialize()` format that the reconcile job reads
//! for every user: the `{prefix}capabilities` meta as WordPress writes it,
//! `a:2:{s:6:"editor";b:1;s:10:"edit_posts";b:0;}` (names → granted or denied).
//!
//! Handing the stored string over saves PHP from unserializing it and splitting it into roles and
//! capabilities, a page of users at a time. The reader accepts only that shape, written the way
//! `serialize()` writes it: string keys, boolean values, no duplicate key, nothing before or after.
//! Anything else `unserialize()` might still read (integer keys or values, nested arrays, objects,
//! references, surrounding whitespace) is refused with the place it stopped, and the caller reads
//! it with PHP instead. So on every string it accepts it agrees with `unserialize()`, and it never
//! has to agree on more.

use std::fmt;

/// Most entries read. A user holds a few roles and capabilities; a count beyond this is not the
/// shape WordPress writes, and is refused before anything is allocated for it.
pub const MAX_ENTRIES: usize = 1000;

/// Where and why a string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Byte offset where reading stopped.
    pub at: usize,
    /// What was expected there.
    pub expected: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {} at byte {}", self.expected, self.at)
    }
}

/// The entries of a serialized capabilities array, in stored order: each name and whether it is
/// granted (`true`) or explicitly denied (`false`).
pub fn capabilities(raw: &[u8]) -> Result<Vec<(&str, bool)>, Refused> {
    let mut r = Bytes { raw, at: 0 };
    r.tag(b"a:", "an array (a:)")?;
    let count = r.number(b':')?;
    if count > MAX_ENTRIES {
        return Err(Refused { at: 2, expected: "at most 1000 entries" });
    }
    r.tag(b"{", "{")?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let key_at = r.at;
        let key = r.string()?;
        let granted = r.boolean()?;
        if entries.iter().any(|(k, _)| *k == key) {
            return Err(Refused { at: key_at, expected: "a key not seen before" });
        }
        entries.push((key, granted));
    }
    r.tag(b"}", "} after the entries")?;
    if r.at != raw.len() {
        return Err(Refused { at: r.at, expected: "the end" });
    }
    Ok(entries)
}

/// A cursor over the input.
struct Bytes<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    fn refuse<T>(&self, expected: &'static str) -> Result<T, Refused> {
        Err(Refused { at: self.at, expected })
    }

    /// Exactly `tag`.
    fn tag(&mut self, tag: &[u8], expected: &'static str) -> Result<(), Refused> {
        if self.raw[self.at..].starts_with(tag) {
            self.at += tag.len();
            Ok(())
        } else {
            self.refuse(expected)
        }
    }

    /// A count or length as `serialize()` writes it (`0`, or digits without a leading zero), then
    /// `end`. Longer than six digits is more than any entry count or name this reader takes.
    fn number(&mut self, end: u8) -> Result<usize, Refused> {
        let digits = self.raw[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 6 || (digits > 1 && self.raw[self.at] == b'0') {
            return self.refuse("a number without a sign or leading zero");
        }
        let n = self.raw[self.at..self.at + digits].iter().fold(0, |n, d| n * 10 + usize::from(d - b'0'));
        self.at += digits;
        self.tag(&[end], "the end of the number")?;
        Ok(n)
    }

    /// `s:<length>:"<bytes>";` holding UTF-8.
    fn string(&mut self) -> Result<&'a str, Refused> {
        self.tag(b"s:", "a string key (s:)")?;
        let len = self.number(b':')?;
        self.tag(b"\"", "\" opening the string")?;
        let start = self.at;
        let Some(bytes) = self.raw.get(start..start + len) else {
            return self.refuse("as many bytes as the length says");
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return self.refuse("UTF-8");
        };
        self.at += len;
        self.tag(b"\";", "\"; closing the string")?;
        Ok(text)
    }

    /// `b:1;` or `b:0;`.
    fn boolean(&mut self) -> Result<bool, Refused> {
        let granted = match self.raw.get(self.at..self.at + 4) {
            Some(b"b:1;") => true,
            Some(b"b:0;") => false,
            _ => return self.refuse("true or false (b:1; or b:0;)"),
        };
        self.at += 4;
        Ok(granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_wordpress_writes() {
        assert_eq!(capabilities(b"a:0:{}"), Ok(vec![]));
        assert_eq!(
            capabilities(b"a:2:{s:6:\"editor\";b:1;s:10:\"edit_posts\";b:0;}"),
            Ok(vec![("editor", true), ("edit_posts", false)])
        );
        // The length counts bytes, so quotes, semicolons and braces inside a name are plain bytes.
        assert_eq!(capabilities("a:1:{s:7:\"a\";}\"é\";b:1;}".as_bytes()), Ok(vec![("a\";}\"é", true)]));
    }

    #[test]
    fn refuses_every_other_shape() {
        for (raw, at) in [
            (&b""[..], 0),
            (b"a:1:{i:0;b:1;}", 5),                      // integer key
            (b"a:1:{s:1:\"a\";i:1;}", 13),               // integer value
            (b"a:1:{s:1:\"a\";s:1:\"1\";}", 13),         // string value
            (b"a:1:{s:1:\"a\";a:0:{}}", 13),             // nested array
            (b"a:1:{s:1:\"a\";b:2;}", 13),               // not a boolean
            (b"a:1:{s:1:\"a\";N;}", 13),                 // null
            (b"a:2:{s:1:\"a\";b:1;}", 17),               // fewer entries than counted
            (b"a:1:{s:1:\"a\";b:1;s:1:\"b\";b:1;}", 17), // more
            (b"a:2:{s:1:\"a\";b:1;s:1:\"a\";b:0;}", 17), // a key twice
            (b"a:1:{s:2:\"a\";b:1;}", 12),               // length past the closing quote
            (b"a:1:{s:9:\"a\";b:1;}", 10),               // length past the end
            (b"a:01:{}", 2),                             // leading zero
            (b"a:-1:{}", 2),                             // sign
            (b"a:1001:{}", 2),                           // too many
            (b"a:0:{} ", 6),                             // trailing bytes
            (b" a:0:{}", 0),                             // leading whitespace
            (b"O:8:\"stdClass\":0:{}", 0),               // an object
            (b"b:1;", 0),                                // not an array
            (b"a:1:{s:1:\"\xff\";b:1;}", 10),            // not UTF-8
        ] {
            let refused = capabilities(raw).expect_err(&String::from_utf8_lossy(raw));
            assert_eq!(refused.at, at, "{}: {refused}", String::from_utf8_lossy(raw));
        }
    }
}
