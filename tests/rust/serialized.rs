//! The serialized capabilities reader: it reads back exactly what PHP's serialize() writes for a
//! capabilities array, refuses everything else without panicking, and the facts it feeds the
//! planner are the ones the PHP split (unserialize, then WP_Roles::is_role) gives.

use proptest::prelude::*;
use serde_json::json;
use tagbridge::core::reader::Node;
use tagbridge::core::serialized::{MAX_ENTRIES, capabilities};
use tagbridge::core::{Settings, Site, UserFacts};

/// What PHP's serialize() writes for an array of string keys and booleans.
fn php_serialize(entries: &[(String, bool)]) -> Vec<u8> {
    let mut out = format!("a:{}:{{", entries.len()).into_bytes();
    for (key, granted) in entries {
        out.extend(format!("s:{}:\"", key.len()).bytes());
        out.extend(key.bytes());
        out.extend(format!("\";b:{};", u8::from(*granted)).bytes());
    }
    out.push(b'}');
    out
}

/// Capability arrays as WordPress could store them: distinct keys (any UTF-8, including the bytes
/// that delimit the format), granted or denied.
fn arb_entries() -> impl Strategy<Value = Vec<(String, bool)>> {
    prop::collection::btree_map(
        prop_oneof![
            "[a-z_]{1,12}",
            "[ -~]{0,12}", // printable ASCII: quotes, semicolons, braces
            any::<String>().prop_map(|s| s.chars().take(8).collect()), // any Unicode
        ],
        any::<bool>(),
        0..12,
    )
    .prop_map(|m| m.into_iter().collect::<Vec<_>>())
    .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reads_back_what_serialize_writes(entries in arb_entries()) {
        let raw = php_serialize(&entries);
        let read = capabilities(&raw).map_err(|r| TestCaseError::fail(r.to_string()))?;
        let expected: Vec<(&str, bool)> = entries.iter().map(|(k, g)| (k.as_str(), *g)).collect();
        prop_assert_eq!(read, expected);
    }

    #[test]
    fn every_cut_is_refused(entries in arb_entries(), cut in any::<prop::sample::Index>()) {
        let raw = php_serialize(&entries);
        let cut = cut.index(raw.len());
        prop_assert!(capabilities(&raw[..cut]).is_err());
    }

    /// Arbitrary bytes never panic, and whatever is accepted is exactly what serialize() would have
    /// written for the entries read: nothing outside the canonical shape gets through.
    #[test]
    fn accepts_only_the_canonical_shape(raw in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        arb_entries().prop_flat_map(|e| {
            let raw = php_serialize(&e);
            let len = raw.len();
            (Just(raw), 0..len, any::<u8>())
        }).prop_map(|(mut raw, at, byte)| { raw[at] = byte; raw }),
    ]) {
        if let Ok(read) = capabilities(&raw) {
            let owned: Vec<(String, bool)> = read.iter().map(|(k, g)| ((*k).to_string(), *g)).collect();
            prop_assert_eq!(php_serialize(&owned), raw);
        }
    }
}

#[test]
fn counts_beyond_the_limit_are_refused_before_reading() {
    let entries: Vec<(String, bool)> = (0..=MAX_ENTRIES).map(|i| (format!("c{i}"), true)).collect();
    assert!(capabilities(&php_serialize(&entries[..MAX_ENTRIES])).is_ok());
    assert_eq!(capabilities(&php_serialize(&entries)).map_err(|r| r.at), Err(2));
    assert!(capabilities(b"a:999999:{").is_err());
    assert!(capabilities(b"a:1:{s:999999:\"").is_err());
}

fn settings() -> Settings {
    let site = Site::read(&json!({"roles": {
        "editor": {"name": "Editor", "capabilities": {"edit_posts": true}},
        "gold": {"name": "Gold", "capabilities": {"read": true}},
    }}))
    .unwrap();
    Settings::compile(&json!({"role_links": [{"role": "gold", "tag": "Gold"}]}), &site).unwrap()
}

fn read(user: serde_json::Value) -> Result<UserFacts, String> {
    UserFacts::read(Node::root(&user, "user"), &settings()).map_err(|e| e.to_string())
}

#[test]
fn capabilities_split_as_wp_user_splits_them() {
    let raw = "a:5:{s:4:\"gold\";b:1;s:6:\"editor\";b:0;s:10:\"edit_posts\";b:0;s:12:\" edit_pages \";b:1;s:7:\"unknown\";b:1;}";
    let facts = read(json!({"user_id": 3, "capabilities": raw, "tags": ["Gold"]})).unwrap();
    let listed =
        read(json!({"user_id": 3, "roles": ["gold"], "caps": ["edit_pages", "unknown"], "tags": ["Gold"]}));
    // Denied entries are neither; a granted key that is no registered role is a capability; names
    // are trimmed as listed names are.
    assert_eq!(Ok(facts), listed);
}

#[test]
fn unreadable_or_doubled_capabilities_are_refused_with_the_path() {
    assert_eq!(
        read(json!({"user_id": 3, "capabilities": "a:1:{s:4:\"gold\";i:1;}"})),
        Err("user.capabilities: not the capabilities meta as WordPress writes it (expected true or false (b:1; or b:0;) at byte 16); unserialize it and give roles and caps".to_string())
    );
    assert_eq!(
        read(json!({"user_id": 3, "capabilities": "a:1:{s:0:\"\";b:1;}"})),
        Err("user.capabilities: entry \"\" must not be empty".to_string())
    );
    assert_eq!(
        read(json!({"user_id": 3, "capabilities": "a:0:{}", "roles": ["gold"]})),
        Err("user.capabilities: give either capabilities or roles and caps, not both".to_string())
    );
    // A denied entry is not read as a name, as PHP skips it before passing names on.
    assert!(read(json!({"user_id": 3, "capabilities": "a:1:{s:0:\"\";b:0;}"})).is_ok());
}
