//! Webhook parsing: properties over generated requests, and a fuzz-style run over hostile input
//! (arbitrary bytes, mutated JSON, a corpus of known-nasty bodies). Nothing may panic; every
//! answer is a typed request that satisfies the rules, or a 4xx refusal.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tagbridge::core::webhook::{
    Action, MAX_BODY, MAX_NAME, Request, email, is_reserved_field, parse, role_slug,
};

fn params(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string()))).collect()
}

/// The invariants every accepted request keeps.
fn check_accepted(r: &Request) {
    assert!(Action::ALL.iter().any(|(a, _)| *a == r.action));
    if let Some(e) = &r.email {
        assert_eq!(email("e", e).as_ref(), Ok(e), "email is canonical");
    }
    if let Some(role) = &r.role {
        assert_eq!(r.action, Action::Add);
        assert_eq!(role_slug("r", role).as_ref(), Ok(role));
    }
    if r.send_notification.is_some() {
        assert_eq!(r.action, Action::Add);
    }
    if let Some(tags) = &r.tags {
        for (i, t) in tags.iter().enumerate() {
            assert!(
                !t.is_empty() && t.len() <= MAX_NAME && t.trim() == t && !t.chars().any(char::is_control)
            );
            assert!(!tags[..i].contains(t), "tags are unique");
        }
    }
    for (name, value) in &r.fields {
        assert!(!is_reserved_field(name), "{name}");
        assert!(!value.is_object());
    }
    if r.action != Action::Test {
        assert!(r.email.is_some() || r.contact_id.is_some());
        assert!(!r.contact_key().is_empty());
    }
}

fn outcome(p: &Map<String, Value>, body: &[u8]) {
    match parse(p, body) {
        Ok(r) => check_accepted(&r),
        Err(e) => {
            assert!(matches!(e.status, 400 | 413), "{e:?}");
            assert!(!e.message.is_empty());
        }
    }
}

fn action() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["add", "update", "update_tags", "test"])
}

fn tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 _-]{1,20}".prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes as the body, with any action: never a panic, only the two kinds of answer.
    #[test]
    fn arbitrary_bytes_never_panic(a in action(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        outcome(&params(&[("action", a)]), &body);
    }

    /// Arbitrary strings in every known parameter of the query form.
    #[test]
    fn arbitrary_query_values(a in ".{0,12}", e in ".{0,40}", id in ".{0,20}", role in ".{0,20}", tags in ".{0,60}", n in ".{0,6}") {
        let p = params(&[("tagbridge_action", &a), ("email", &e), ("contact_id", &id), ("role", &role), ("tags", &tags), ("send_notification", &n)]);
        outcome(&p, b"");
    }

    /// A valid JSON request with a few bytes flipped: never a panic.
    #[test]
    fn mutated_json(flips in prop::collection::vec((0usize..200, any::<u8>()), 1..6)) {
        let mut body = serde_json::to_vec(&json!({
            "action": "add", "email": "ann@example.com", "contact_id": 42, "role": "subscriber",
            "send_notification": true, "tags": ["Gold", {"slug": "silver"}], "fields": {"city": "Oslo", "n": [1, 2]}
        })).unwrap_or_default();
        for (at, byte) in flips {
            let len = body.len();
            body[at % len] = byte;
        }
        outcome(&Map::new(), &body);
    }

    /// Arbitrary JSON values in each body key.
    #[test]
    fn arbitrary_json_values(a in action(), v in arb_json()) {
        for key in ["contact_id", "email", "first_name", "role", "send_notification", "tags", "fields"] {
            let body = serde_json::to_vec(&json!({ "action": a, "email": "x@y.zz", key: v.clone() })).unwrap_or_default();
            outcome(&Map::new(), &body);
        }
    }

    /// Well-formed requests round-trip: what is sent is what comes out.
    #[test]
    fn valid_add_round_trips(local in "[a-z0-9]{1,10}", tags in prop::collection::vec(tag(), 0..8), notify in prop::option::of(any::<bool>())) {
        let mut body = json!({ "action": "add", "email": format!("{local}@example.org"), "tags": tags, "role": "gold_member" });
        if let Some(n) = notify { body["send_notification"] = json!(n); }
        let r = parse(&Map::new(), &serde_json::to_vec(&body).unwrap_or_default()).unwrap();
        check_accepted(&r);
        let mut want: Vec<String> = Vec::new();
        for t in &tags { let t = t.trim().to_string(); if !want.contains(&t) { want.push(t); } }
        prop_assert_eq!(r.tags, Some(want));
        prop_assert_eq!(r.send_notification, notify);
        prop_assert_eq!(r.role.as_deref(), Some("gold_member"));
    }

    /// A reserved field name is refused however it is spelled.
    #[test]
    fn reserved_fields_refused(name in prop::sample::select(vec!["role", "ROLE", " wp_capabilities", "wp_2_capabilities", "user_pass", "User_Login", "wp_user_level", "user_email"])) {
        let body = serde_json::to_vec(&json!({ "action": "update", "email": "a@b.co", "fields": { name: "administrator" } })).unwrap_or_default();
        let e = parse(&Map::new(), &body).unwrap_err();
        prop_assert_eq!(e.code, "reserved_field");
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Known-nasty bodies: each must be refused (or accepted) without a panic, and the listed ones
/// must be refused with the listed code.
#[test]
fn hostile_corpus() {
    let deep_list = format!(
        "{{\"action\":\"add\",\"email\":\"a@b.co\",\"tags\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_map = format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000));
    let many =
        format!("{{\"action\":\"add\",\"email\":\"a@b.co\",\"tags\":[{}\"x\"]}}", "\"x\",".repeat(20_000));
    let big_tag = format!("{{\"action\":\"add\",\"email\":\"a@b.co\",\"tags\":[\"{}\"]}}", "t".repeat(192));
    let huge = vec![b'{'; MAX_BODY + 10];
    let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
        (deep_list.into_bytes(), Some("invalid_json")),
        (deep_map.into_bytes(), Some("invalid_json")),
        (many.into_bytes(), Some("payload_too_large")),
        (big_tag.into_bytes(), Some("invalid_parameter")),
        (huge, Some("payload_too_large")),
        (b"\xef\xbb\xbf{\"action\":\"test\"}".to_vec(), Some("invalid_json")),
        (b"{\"action\":\"test\"}\x00".to_vec(), Some("invalid_json")),
        (b"{\"action\":\"te\\u0000st\"}".to_vec(), Some("unknown_action")),
        (b"{\"action\":\"add\",\"email\":\"a@b.co\",\"contact_id\":1e999}".to_vec(), Some("invalid_json")),
        (b"{\"action\":\"add\",\"email\":\"a@b.co\",\"contact_id\":-1}".to_vec(), Some("invalid_parameter")),
        (b"{\"action\":\"add\",\"email\":\"a@b.co\",\"contact_id\":1.5}".to_vec(), Some("invalid_parameter")),
        (b"{\"action\":\"add\",\"action\":\"test\"}".to_vec(), None),
        (b"{\"action\":[\"add\"]}".to_vec(), Some("invalid_parameter")),
        (
            b"{\"action\":\"add\",\"email\":\"a@b.co\",\"role\":\"Administrator\"}".to_vec(),
            Some("invalid_role"),
        ),
        (
            b"{\"action\":\"add\",\"email\":\"a@b.co\",\"role\":\"admin istrator\"}".to_vec(),
            Some("invalid_role"),
        ),
        (
            b"{\"action\":\"add\",\"email\":\"a@b.co\",\"tags\":[\"a\\nb\"]}".to_vec(),
            Some("invalid_parameter"),
        ),
        (
            b"{\"action\":\"add\",\"email\":\"a@b.co\",\"fields\":{\"x\":{\"y\":1}}}".to_vec(),
            Some("invalid_parameter"),
        ),
        (b"{\"action\":\"add\",\"email\":\"<script>@b.co\"}".to_vec(), Some("invalid_email")),
        (
            b"{\"action\":\"add\",\"email\":\"a@b.co\",\"send_notification\":\"maybe\"}".to_vec(),
            Some("invalid_parameter"),
        ),
        (b"\"add\"".to_vec(), Some("invalid_shape")),
        (b"null".to_vec(), Some("invalid_shape")),
        (b"\xc3\x28".to_vec(), Some("not_utf8")),
        (b"\xed\xa0\x80".to_vec(), Some("not_utf8")),
    ];
    for (body, code) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).to_string();
        match (parse(&Map::new(), &body), code) {
            (Err(e), Some(code)) => assert_eq!(e.code, code, "{shown}: {e:?}"),
            (Ok(r), Some(code)) => panic!("{shown}: accepted {r:?}, expected {code}"),
            (r, None) => {
                let _ = r;
            }
        }
    }
}

#[test]
fn query_and_body_conflicts_are_refused() {
    let e = parse(&params(&[("action", "add"), ("email", "a@b.co")]), br#"{"email":"c@d.co"}"#).unwrap_err();
    assert_eq!(e.path, "email");
    let e = parse(&params(&[("tagbridge_action", "add")]), br#"{"action":"update","email":"c@d.co"}"#)
        .unwrap_err();
    assert_eq!(e.path, "action");
    let e = parse(&params(&[("action", "add"), ("email", "a@b.co"), ("extra", "x")]), b"").map(|r| r.ignored);
    assert_eq!(e, Ok(vec![]), "unknown query parameters are ignored, not echoed");
    let p: Map<String, Value> =
        [("action".to_string(), json!("add")), ("fields".to_string(), json!(["x"]))].into_iter().collect();
    assert!(parse(&p, b"").is_err(), "arrays in the query are refused");
}

#[test]
fn fluentcrm_style_payload() {
    let body = json!({ "action": "update_tags", "contact_id": 7, "tags": [{"id": 1, "slug": "gold", "title": "Gold"}], "status": "subscribed" });
    let p: Map<String, Value> = Map::new();
    let r = parse(&p, &serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(r.tags, Some(vec!["gold".to_string()]), "tag objects are read by their slug");
    assert_eq!(r.contact_id.as_deref(), Some("7"));
    assert_eq!(
        r.ignored,
        vec!["status".to_string()],
        "keys of a whole contact record are ignored, and listed"
    );
}
