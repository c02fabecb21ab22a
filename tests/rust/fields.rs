//! Field mapping: every type both ways, the push diff, the pull rules, and their properties.
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tagbridge::core::calendar::Date;
use tagbridge::core::countries::COUNTRIES;
use tagbridge::core::field_plan::{SyncContext, Values, plan_pull, plan_push};
use tagbridge::core::{ErrorKind, Settings, Site};

fn site() -> Site {
    Site::read(&json!({
        "roles": {
            "administrator": {"name": "Administrator", "capabilities": {"manage_options": true}},
            "subscriber": {"name": "Subscriber", "capabilities": {"read": true}},
        },
        "fallback_role": "subscriber"
    }))
    .unwrap()
}

/// One field `key` → `crm` of `type`, pushed and pulled, from `source`, with a format profile.
fn one(t: &str, source: &str, format: Value) -> Settings {
    Settings::compile(
        &json!({
            "fields": [{"key": "k", "crm_field": "c", "type": t, "direction": "both", "source": source}],
            "field_sync": {"format": format, "default_country": "DE"}
        }),
        &site(),
    )
    .unwrap()
}

fn values(pairs: &[(&str, Value)]) -> Values {
    pairs.iter().map(|(k, v)| ((*k).to_string(), Ok(v.clone()))).collect()
}

fn cx(offset: i64) -> SyncContext {
    SyncContext { site_offset: offset, user_exists: true, ..SyncContext::default() }
}

/// The value pushed for `v`, or the log code when it is left out.
fn push(s: &Settings, v: Value, offset: i64) -> Result<Value, String> {
    let plan = plan_push(s, &values(&[("k", v)]), &Map::new(), &cx(offset));
    match plan.payload.get("c") {
        Some(v) => Ok(v.clone()),
        None => Err(plan.log.first().map_or("absent".to_string(), |l| format!("{}: {}", l.code, l.message))),
    }
}

/// The value written back for CRM value `v`, or the log code.
fn pull(s: &Settings, v: Value, current: Value) -> Result<Value, String> {
    let current: Map<String, Value> = [("k".to_string(), current)].into_iter().collect();
    let plan = plan_pull(s, &values(&[("c", v)]), &current, &cx(0));
    match plan.writes.get("k") {
        Some(v) => Ok(v.clone()),
        None => Err(plan.log.first().map_or("unchanged".to_string(), |l| l.code.to_string())),
    }
}

#[test]
fn text_and_textarea() {
    for t in ["text", "textarea"] {
        let s = one(t, "wordpress", json!({}));
        assert_eq!(push(&s, json!("Jane"), 0), Ok(json!("Jane")));
        assert_eq!(push(&s, json!(0), 0), Ok(json!("0")), "zero is a value");
        assert_eq!(push(&s, json!(["a", "b", 3]), 0), Ok(json!("a, b, 3")), "arrays are joined");
        assert_eq!(push(&s, json!({"x": "a", "y": "b"}), 0), Ok(json!("a, b")), "PHP keyed arrays too");
        assert!(push(&s, json!([["nested"]]), 0).unwrap_err().contains("nested list"));
        assert_eq!(push(&s, json!(""), 0), Err("absent".into()), "a first push sends no blanks");
        assert_eq!(push(&s, json!(false), 0), Err("absent".into()));
        assert_eq!(pull(&s, json!("Jane"), json!("")), Ok(json!("Jane")));
        assert_eq!(pull(&s, json!(""), json!("Jane")), Err("blank_kept".into()));
        assert_eq!(pull(&s, json!("Jane"), json!("Jane")), Err("unchanged".into()));
    }
}

#[test]
fn int() {
    let s = one("int", "wordpress", json!({}));
    assert_eq!(push(&s, json!("42"), 0), Ok(json!(42)));
    assert_eq!(push(&s, json!(" -7 "), 0), Ok(json!(-7)));
    assert_eq!(push(&s, json!("0"), 0), Ok(json!(0)), "zero is sent, not dropped");
    assert_eq!(push(&s, json!(3.0), 0), Ok(json!(3)));
    assert!(push(&s, json!("4.5"), 0).unwrap_err().contains("whole number"));
    assert!(push(&s, json!("1,000"), 0).unwrap_err().contains("whole number"));
    assert!(push(&s, json!([1]), 0).unwrap_err().starts_with("unparseable"));
    assert_eq!(pull(&s, json!(42), json!("")), Ok(json!("42")), "stored as WordPress stores meta");
    assert_eq!(pull(&s, json!("42"), json!("42")), Err("unchanged".into()));
    assert_eq!(pull(&s, json!(0), json!("5")), Ok(json!("0")), "zero from the CRM is a value");
}

#[test]
fn date_inputs_time_zones_and_profiles() {
    let s = one("date", "wordpress", json!({"date_format": "Y-m-d H:i:s"}));
    assert_eq!(push(&s, json!("1990-05-04"), 7200), Ok(json!("1990-05-04 00:00:00")), "a date never shifts");
    // 2024-03-10 23:30 UTC is already the 11th at UTC+1 and still the 10th at UTC-5.
    assert_eq!(push(&s, json!(1_710_113_400), 3600), Ok(json!("2024-03-11 00:00:00")));
    assert_eq!(push(&s, json!("1710113400"), -18_000), Ok(json!("2024-03-10 00:00:00")));
    assert_eq!(push(&s, json!("2024-03-10T23:30:00Z"), 3600), Ok(json!("2024-03-11 00:00:00")));
    assert_eq!(push(&s, json!(0), 0), Ok(json!("1970-01-01 00:00:00")), "timestamp zero is a date");
    assert_eq!(push(&s, json!(-86_400), 0), Ok(json!("1969-12-31 00:00:00")));
    for bad in [json!("2023-02-29"), json!("next tuesday"), json!("03/04/2020"), json!([2024])] {
        assert!(push(&s, bad.clone(), 0).unwrap_err().starts_with("unparseable"), "{bad}");
    }
    let hubspot = one("date", "wordpress", json!({"date_format": "unix_ms"}));
    assert_eq!(push(&hubspot, json!("2024-03-10"), 0), Ok(json!(1_710_028_800_000_i64)));
    assert_eq!(pull(&hubspot, json!(1_710_028_800_000_i64), json!("")), Ok(json!("2024-03-10")));
    let mailchimp = one("date", "ultimate_member", json!({"date_format": "m/d/Y"}));
    assert_eq!(push(&mailchimp, json!("2024/03/10"), 0), Ok(json!("03/10/2024")));
    assert_eq!(pull(&mailchimp, json!("03/10/2024"), json!("")), Ok(json!("2024/03/10")), "UM stores Y/m/d");
    assert_eq!(pull(&mailchimp, json!("03/10/2024"), json!("2024/03/10")), Err("unchanged".into()));
    assert_eq!(pull(&mailchimp, json!("31/12/2024"), json!("")), Err("unparseable".into()));
}

#[test]
fn checkbox_truthiness_and_storage() {
    let s = one("checkbox", "wp_user_manager", json!({}));
    for off in [json!(false), json!(0), json!("0"), json!(""), json!(null), json!([]), json!("no")] {
        assert_eq!(push(&s, off.clone(), 0), Err("absent".into()), "{off}: off equals the empty snapshot");
    }
    let mut snapshot = Map::new();
    snapshot.insert("c".into(), json!(true));
    let unticked = plan_push(&s, &values(&[("k", json!(""))]), &snapshot, &cx(0));
    assert_eq!(unticked.payload.get("c"), Some(&json!(false)), "unticking is sent as false");
    for on in [json!(true), json!(1), json!("1"), json!("yes"), json!(["Yes"])] {
        assert_eq!(push(&s, on.clone(), 0), Ok(json!(true)), "{on}");
    }
    assert_eq!(pull(&s, json!(true), json!("")), Ok(json!(true)), "WPUM stores booleans");
    assert_eq!(pull(&s, json!(false), json!(true)), Ok(json!(false)), "false from the CRM is a value");
    assert_eq!(pull(&s, json!(false), json!("")), Err("unchanged".into()), "blank is already off");
    let um = one("checkbox", "ultimate_member", json!({}));
    assert_eq!(pull(&um, json!(1), json!([])), Ok(json!(["1"])), "UM stores a list");
    assert_eq!(pull(&um, json!("yes"), json!(["Yes"])), Err("unchanged".into()));
}

#[test]
fn multiselect_lists_and_separators() {
    let s = one("multiselect", "ultimate_member", json!({}));
    assert_eq!(push(&s, json!(["Red", "Blue", "Red", " "]), 0), Ok(json!(["Red", "Blue"])));
    assert_eq!(push(&s, json!("Red, Blue"), 0), Ok(json!(["Red", "Blue"])), "comma text is split");
    assert!(push(&s, json!(["a", ["b"]]), 0).unwrap_err().contains("nested list"));
    assert_eq!(pull(&s, json!(["Red"]), json!(["Blue"])), Ok(json!(["Red"])), "UM stores arrays");
    let ac = one("multiselect", "wordpress", json!({"multiselect_separator": "||"}));
    assert_eq!(push(&ac, json!(["a", "b"]), 0), Ok(json!("a||b")));
    assert!(push(&ac, json!(["a||b"]), 0).unwrap_err().contains("separator"));
    assert_eq!(pull(&ac, json!("a||b"), json!("")), Ok(json!(["a", "b"])));
}

#[test]
fn tel_uses_the_users_country_then_the_default() {
    let s = Settings::compile(
        &json!({
            "fields": [
                {"key": "phone", "crm_field": "phone", "type": "tel"},
                {"key": "country", "crm_field": "country", "type": "country"}
            ],
            "field_sync": {"default_country": "DE"}
        }),
        &site(),
    )
    .unwrap();
    let run = |v: Vec<(&str, Value)>| plan_push(&s, &values(&v), &Map::new(), &cx(0));
    let fr = run(vec![("phone", json!("06 12 34 56 78")), ("country", json!("France"))]);
    assert_eq!(fr.payload.get("phone"), Some(&json!("+33612345678")));
    assert_eq!(fr.payload.get("country"), Some(&json!("FR")));
    let de = run(vec![("phone", json!("030 1234567"))]);
    assert_eq!(de.payload.get("phone"), Some(&json!("+49301234567")), "the site's default country");
    let bad = run(vec![("phone", json!("call me maybe"))]);
    assert!(bad.payload.is_empty());
    assert_eq!(bad.log[0].code, "unparseable");
    assert!(!bad.log[0].message.contains("maybe"), "log lines never quote values");
}

#[test]
fn country_and_state() {
    let s = one("country", "wordpress", json!({"country_format": "name"}));
    assert_eq!(push(&s, json!("de"), 0), Ok(json!("Germany")));
    assert_eq!(push(&s, json!("germany"), 0), Ok(json!("Germany")));
    assert!(push(&s, json!("Atlantis"), 0).unwrap_err().contains("ISO 3166-1"));
    assert_eq!(pull(&s, json!("Germany"), json!("FR")), Ok(json!("DE")), "keeps the stored style");
    assert_eq!(pull(&s, json!("DE"), json!("Germany")), Err("unchanged".into()));
    let st = one("state", "wordpress", json!({}));
    assert_eq!(push(&st, json!(" CA "), 0), Ok(json!("CA")));
    assert!(push(&st, json!(["CA"]), 0).is_err());
}

#[test]
fn raw_passes_untouched_but_is_never_blanked() {
    let s = one("raw", "other", json!({}));
    assert_eq!(push(&s, json!({"a": [1, 2]}), 0), Ok(json!({"a": [1, 2]})));
    assert_eq!(push(&s, json!(""), 0), Ok(json!("")), "raw sends even empty values");
    assert_eq!(pull(&s, json!(""), json!("x")), Err("blank_kept".into()));
}

#[test]
fn unreadable_values_are_logged_per_field_and_others_still_go() {
    let s = Settings::compile(
        &json!({"fields": [
            {"key": "a", "crm_field": "A", "type": "text"},
            {"key": "b", "crm_field": "B", "type": "text"}
        ]}),
        &site(),
    )
    .unwrap();
    let mut v = values(&[("b", json!("fine"))]);
    v.insert("a".into(), Err("is not valid UTF-8 (bad byte at offset 0)".into()));
    let plan = plan_push(&s, &v, &Map::new(), &cx(0));
    assert_eq!(plan.payload, json!({"B": "fine"}).as_object().unwrap().clone());
    assert_eq!(plan.log.len(), 1);
    assert_eq!((plan.log[0].key.as_str(), plan.log[0].code), ("a", "unparseable"));
}

#[test]
fn push_sends_only_changes_and_clears_with_null() {
    let s = Settings::compile(
        &json!({"fields": [
            {"key": "first_name", "crm_field": "first", "type": "text"},
            {"key": "last_name", "crm_field": "last", "type": "text"},
            {"key": "bio", "crm_field": "bio", "type": "textarea", "direction": "pull"}
        ]}),
        &site(),
    )
    .unwrap();
    let v = values(&[("first_name", json!("Jane")), ("last_name", json!("Doe")), ("bio", json!("x"))]);
    let first = plan_push(&s, &v, &Map::new(), &cx(0));
    assert_eq!(
        Value::Object(first.payload.clone()),
        json!({"first": "Jane", "last": "Doe"}),
        "pull-only bio stays"
    );
    let again = plan_push(&s, &v, &first.payload, &cx(0));
    assert!(again.payload.is_empty(), "nothing changed since the acknowledged push");
    let cleared = values(&[("first_name", json!("Janet")), ("last_name", json!(""))]);
    let next = plan_push(&s, &cleared, &first.payload, &cx(0));
    assert_eq!(Value::Object(next.payload), json!({"first": "Janet", "last": null}));
}

#[test]
fn pull_never_writes_protected_keys_or_users() {
    let s = Settings::compile(
        &json!({"fields": [
            {"key": "first_name", "crm_field": "first", "type": "text", "direction": "both"},
            {"key": "user_login", "crm_field": "login", "type": "text", "direction": "pull"},
            {"key": "role", "crm_field": "role", "type": "text", "direction": "pull"},
            {"key": "wp_2_capabilities", "crm_field": "caps", "type": "raw", "direction": "pull"},
            {"key": "nick", "crm_field": "nick", "type": "text", "direction": "push"}
        ]}),
        &site(),
    )
    .unwrap();
    let crm = values(&[
        ("first", json!("Jane")),
        ("login", json!("jane")),
        ("role", json!("administrator")),
        ("caps", json!({"administrator": true})),
        ("nick", json!("JJ")),
    ]);
    let existing = plan_pull(&s, &crm, &Map::new(), &cx(0));
    assert_eq!(
        Value::Object(existing.writes),
        json!({"first_name": "Jane"}),
        "push-only nick is not written"
    );
    let codes: Vec<(&str, &str)> = existing.log.iter().map(|l| (l.key.as_str(), l.code)).collect();
    assert_eq!(
        codes,
        vec![
            ("user_login", "protected_key"),
            ("role", "protected_key"),
            ("wp_2_capabilities", "protected_key")
        ]
    );
    let new_user = SyncContext { user_exists: false, ..cx(0) };
    assert_eq!(plan_pull(&s, &crm, &Map::new(), &new_user).writes.get("user_login"), Some(&json!("jane")));
    let admin = SyncContext { roles: ["administrator".to_string()].into(), ..cx(0) };
    let plan = plan_pull(&s, &crm, &Map::new(), &admin);
    assert!(plan.writes.is_empty());
    assert!(plan.log.iter().all(|l| l.code == "protected_user"));
    let cap_holder = SyncContext { caps: ["edit_users".to_string()].into(), ..cx(0) };
    assert!(plan_pull(&s, &crm, &Map::new(), &cap_holder).writes.is_empty());
    let allowing = Settings::compile(
        &json!({"fields": [{"key": "first_name", "crm_field": "first", "type": "text", "direction": "pull"}],
                "field_sync": {"pull_protected_users": true}}),
        &site(),
    )
    .unwrap();
    assert_eq!(
        plan_pull(&allowing, &crm, &Map::new(), &admin).writes.get("first_name"),
        Some(&json!("Jane"))
    );
}

#[test]
fn settings_refusals_name_the_entry() {
    let refused = |v: Value| {
        let e = Settings::compile(&v, &site()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Settings);
        e.to_string()
    };
    let dup = refused(json!({"fields": [
        {"key": "a", "crm_field": "X", "type": "text"}, {"key": "b", "crm_field": "X", "type": "text"}]}));
    assert!(dup.starts_with("fields[1]: CRM field \"X\" already receives fields[0]"), "{dup}");
    assert!(
        Settings::compile(
            &json!({"fields": [
                {"key": "a", "crm_field": "X", "type": "text"},
                {"key": "b", "crm_field": "X", "type": "text", "direction": "pull"}]}),
            &site()
        )
        .is_ok(),
        "one CRM field may feed several pulled keys"
    );
    let fmt = refused(json!({"field_sync": {"format": {"date_format": "D M Y"}}}));
    assert!(fmt.starts_with("field_sync.format.date_format: date format \"D M Y\" uses 'D'"), "{fmt}");
    let country = refused(json!({"field_sync": {"default_country": "Germany"}}));
    assert!(country.starts_with("field_sync.default_country:"), "{country}");
    let sep = refused(json!({"field_sync": {"format": {"multiselect_separator": ""}}}));
    assert!(sep.starts_with("field_sync.format.multiselect_separator:"), "{sep}");
    assert!(refused(json!({"field_sync": {"pull": true}})).starts_with("field_sync.pull: unknown key"));
}

fn any_date() -> impl Strategy<Value = Date> {
    (1i32..=9999, 1u32..=12, 1u32..=31).prop_filter_map("real dates", |(y, m, d)| Date::new(y, m, d))
}

fn profile() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["Y-m-d", "Y-m-d H:i:s", "m/d/Y", "d.m.Y", "YmdTHis", "unix", "unix_ms"]),
        prop::sample::select(vec![None, Some(","), Some("||"), Some(";")]),
        prop::sample::select(vec!["alpha2", "name"]),
    )
        .prop_map(|(d, s, c)| json!({"date_format": d, "multiselect_separator": s, "country_format": c}))
}

fn source() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["wordpress", "ultimate_member", "wp_user_manager", "other"])
}

/// A value as a source plugin stores it, for each type.
fn stored(t: &'static str, source: &'static str) -> BoxedStrategy<Value> {
    match t {
        "text" | "textarea" | "state" => {
            "[A-Za-z0-9À-ÿ][A-Za-z0-9À-ÿ .'-]{0,30}[A-Za-z0-9]".prop_map(Value::from).boxed()
        }
        "int" => any::<i64>().prop_map(|i| Value::from(i.to_string())).boxed(),
        "date" => any_date()
            .prop_map(move |d| {
                let sep = if source == "ultimate_member" { '/' } else { '-' };
                Value::from(format!("{:04}{sep}{:02}{sep}{:02}", d.year, d.month, d.day))
            })
            .boxed(),
        "checkbox" => any::<bool>()
            .prop_map(move |b| match source {
                "wp_user_manager" => Value::Bool(b),
                "ultimate_member" => {
                    if b {
                        json!(["1"])
                    } else {
                        json!([])
                    }
                }
                _ => Value::from(if b { "1" } else { "0" }),
            })
            .boxed(),
        "multiselect" => prop::collection::btree_set("[A-Za-z0-9][A-Za-z0-9 ]{0,10}[A-Za-z0-9]", 1..5)
            .prop_map(|s| Value::from(s.into_iter().collect::<Vec<_>>()))
            .boxed(),
        "tel" => (prop::sample::select(COUNTRIES.to_vec()), "[1-9][0-9]{5,9}")
            .prop_filter_map("fits E.164", |((_, code, _), n)| {
                let e164 = format!("+{code}{n}");
                (e164.len() <= 16).then(|| Value::from(e164))
            })
            .boxed(),
        "country" => prop::sample::select(COUNTRIES.to_vec()).prop_map(|(c, _, _)| Value::from(c)).boxed(),
        _ => prop_oneof![
            any::<i64>().prop_map(Value::from),
            "[a-z]{1,8}".prop_map(Value::from),
            prop::collection::vec("[a-z]{1,4}", 1..3).prop_map(Value::from)
        ]
        .boxed(),
    }
}

fn type_and_value() -> impl Strategy<Value = (&'static str, &'static str, Value)> {
    (
        prop::sample::select(vec![
            "text",
            "textarea",
            "int",
            "date",
            "checkbox",
            "multiselect",
            "tel",
            "country",
            "state",
            "raw",
        ]),
        source(),
    )
        .prop_flat_map(|(t, s)| stored(t, s).prop_map(move |v| (t, s, v)))
}

proptest! {
    /// A stored value pushed and pulled back is the same stored value, for every type, source and
    /// profile; and pulling it again over itself writes nothing.
    #[test]
    fn push_then_pull_round_trips((t, src, v) in type_and_value(), format in profile(), offset in -50_400i64..=50_400) {
        let s = one(t, src, format);
        let crm = plan_push(&s, &values(&[("k", v.clone())]), &Map::new(), &cx(offset)).payload;
        let sent = crm.get("c").cloned();
        // An "off" checkbox equals the empty snapshot, so it is not sent on a first push.
        if t == "checkbox" && !v.as_bool().unwrap_or(v == json!("1") || v == json!(["1"])) {
            prop_assert_eq!(sent, None);
            return Ok(());
        }
        let sent = sent.unwrap();
        let country_current = if t == "country" { v.clone() } else { json!("") };
        let back = pull(&s, sent.clone(), if t == "country" { country_current } else { json!(null) });
        let expected = if t == "country" { Err("unchanged".to_string()) } else { Ok(v.clone()) };
        prop_assert_eq!(back, expected);
        prop_assert_eq!(pull(&s, sent, v), Err("unchanged".to_string()));
    }

    /// Formatting is deterministic and a push acknowledged as sent is never sent again.
    #[test]
    fn pushes_are_deterministic_and_idempotent((t, src, v) in type_and_value(), format in profile()) {
        let s = one(t, src, format);
        let vals = values(&[("k", v)]);
        let a = plan_push(&s, &vals, &Map::new(), &cx(3600));
        prop_assert_eq!(&a, &plan_push(&s, &vals, &Map::new(), &cx(3600)));
        prop_assert!(plan_push(&s, &vals, &a.payload, &cx(3600)).payload.is_empty());
    }

    /// Day counting is a bijection over the supported years, and an instant's local date is the
    /// floor of its local seconds.
    #[test]
    fn civil_dates_round_trip(d in any_date(), secs in -62_000_000_000i64..253_000_000_000, offset in -64_800i64..=64_800) {
        prop_assert_eq!(Date::from_days(d.days()), Some(d));
        if let Some(local) = Date::from_unix(secs, offset) {
            let start = local.midnight_utc();
            prop_assert!(start <= secs + offset && secs + offset < start + 86_400);
        }
    }

    /// Garbage never panics: any JSON-ish value of any type gives a payload entry or a log line.
    #[test]
    fn any_value_is_sent_or_logged(t in prop::sample::select(vec!["text", "int", "date", "checkbox", "multiselect", "tel", "country", "state"]),
                                   v in prop_oneof![any::<String>().prop_map(Value::from), any::<i64>().prop_map(Value::from), any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)), Just(json!([[1]])), Just(json!({"a": {"b": 1}}))]) {
        let s = one(t, "other", json!({}));
        let plan = plan_push(&s, &values(&[("k", v.clone())]), &Map::new(), &cx(0));
        let blank = tagbridge::core::field_format::is_blank(&v);
        prop_assert!(plan.payload.len() + plan.log.len() == 1 || blank || (t == "checkbox"));
    }
}
