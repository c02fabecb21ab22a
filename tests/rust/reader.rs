//! The name rule shared by the core reader and the binding's direct readers.

use tagbridge::core::reader::{NameProblem, name};

#[test]
fn names_are_trimmed_and_checked_alike_on_the_ascii_and_unicode_paths() {
    assert_eq!(name("  gold  ", 191), Ok("gold"));
    assert_eq!(name("\tgold\n", 191), Ok("gold"), "ASCII whitespace controls at the ends are trimmed");
    assert_eq!(name("\u{2003}gold\u{a0}", 191), Ok("gold"), "Unicode spaces are trimmed");
    assert_eq!(name("Gold plan é", 191), Ok("Gold plan é"));
    assert_eq!(name("go\tld", 191), Err(NameProblem::Control));
    assert_eq!(name("gold\u{7f}", 191), Err(NameProblem::Control));
    assert_eq!(name("gold\u{0b}x", 191), Err(NameProblem::Control));
    assert_eq!(name("   ", 191), Err(NameProblem::Empty));
    assert_eq!(name("", 191), Err(NameProblem::Empty));
    assert_eq!(name(&"x".repeat(192), 191), Err(NameProblem::TooLong));
    assert_eq!(name(&format!("  {}  ", "x".repeat(191)), 191), Ok("x".repeat(191).as_str()));
}
