//! Site link rules: what a direction lets through, loops, protected roles and users, hashes only.

use proptest::prelude::*;
use serde_json::json;
use tagbridge::core::site_rules::{Change, Guard, Rules, check_timestamp, filter, is_password_hash, read};

const BCRYPT: &str = "$2y$10$abcdefghijklmnopqrstuuJ1pZ5u6xQ0c8mT8f3zG7r0QyT2wYl0a";

fn role() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["administrator", "editor", "gold", "silver", "subscriber"])
        .prop_map(str::to_string)
}

fn roles() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(role(), 0..4)
}

fn rules() -> impl Strategy<Value = Rules> {
    (any::<[bool; 5]>(), roles()).prop_map(|(b, roles)| Rules {
        create: b[0],
        fields: if b[4] { vec!["first_name".into(), "user_email".into()] } else { vec!["first_name".into()] },
        roles,
        tags: b[1],
        passwords: b[2],
        delete: b[3],
    })
}

fn change() -> impl Strategy<Value = Change> {
    (
        any::<bool>(),
        prop::option::of(roles()),
        roles(),
        prop::option::of(prop::sample::select(vec!["b", "c"])),
        prop::option::of(prop::sample::select(vec!["old@example.test", "ANN@example.test"])),
    )
        .prop_map(|(delete, roles, scope, origin, previous)| Change {
            op: if delete { "delete".into() } else { "upsert".into() },
            email: "ann@example.test".into(),
            previous_email: previous.map(str::to_string),
            fields: serde_json::from_value(
                json!({"first_name": "Ann", "user_pass": "x", "wp_capabilities": "y", "user_email": "z@example.test"}),
            )
            .unwrap(),
            roles,
            role_scope: scope,
            apply_tags: vec!["Gold".into()],
            remove_tags: vec![],
            pass_hash: Some(BCRYPT.into()),
            origin: origin.map(str::to_string),
        })
}

fn guard() -> impl Strategy<Value = Guard> {
    (any::<[bool; 3]>(), roles()).prop_map(|(b, current)| Guard {
        peer: "b".into(),
        protected_roles: vec!["administrator".into(), "editor".into()],
        user_exists: b[0] || b[2],
        user_protected: b[1],
        current_roles: current,
        matched_by_previous: b[2],
    })
}

proptest! {
    /// Protected roles are never set or removed; a protected user keeps roles, password and account.
    #[test]
    fn protected_roles_and_users_are_never_touched(r in rules(), c in change(), g in guard()) {
        let out = filter(&r, &c, &g);
        for role in out.add_roles.iter().chain(&out.remove_roles) {
            prop_assert!(!g.protected_roles.contains(role));
            prop_assert!(r.roles.contains(role));
        }
        if let Some(kept) = &out.change {
            for role in kept.roles.iter().flatten().chain(&kept.role_scope) {
                prop_assert!(!g.protected_roles.contains(role));
            }
            prop_assert!(!kept.fields.contains_key("user_pass"));
            prop_assert!(!kept.fields.contains_key("wp_capabilities"));
            prop_assert!(!kept.fields.contains_key("user_email"), "the email travels as the change's email only");
            if g.user_protected {
                prop_assert!(kept.op != "delete");
                prop_assert!(kept.pass_hash.is_none());
                prop_assert!(out.add_roles.is_empty() && out.remove_roles.is_empty());
            }
            prop_assert!(r.passwords || kept.pass_hash.is_none());
            prop_assert!(r.tags || kept.apply_tags.is_empty());
            prop_assert!(r.delete || kept.op != "delete");
            prop_assert!(g.user_exists || r.create || kept.op == "delete");
        }
    }

    /// An email change flows only where the rules list `user_email`, never for a protected user,
    /// and a user known only by the old address is left alone unless the change may move them.
    #[test]
    fn email_changes_follow_only_where_allowed(r in rules(), c in change(), g in guard()) {
        let out = filter(&r, &c, &g);
        let allowed = r.fields.iter().any(|f| f == "user_email") && !g.user_protected;
        if let Some(kept) = &out.change {
            if let Some(previous) = &kept.previous_email {
                prop_assert!(allowed);
                prop_assert_eq!(Some(previous), c.previous_email.as_ref());
                prop_assert!(!previous.eq_ignore_ascii_case(&kept.email));
            }
            if g.matched_by_previous && kept.op == "upsert" {
                prop_assert!(kept.previous_email.is_some(), "a user matched by the old address is moved or not touched");
            }
        }
    }

    /// A change never goes back to the site it came from.
    #[test]
    fn a_change_never_returns_to_its_origin(r in rules(), mut c in change(), g in guard()) {
        c.origin = Some(g.peer.clone());
        let out = filter(&r, &c, &g);
        prop_assert!(out.change.is_none());
        prop_assert_eq!(&out.skipped[0].reason, "loop");
    }

    /// Filtering what passed again changes nothing (sender then receiver with the same rules).
    #[test]
    fn filtering_is_idempotent(r in rules(), c in change(), g in guard()) {
        let once = filter(&r, &c, &g);
        if let Some(kept) = &once.change {
            let twice = filter(&r, kept, &g);
            prop_assert_eq!(twice.change.as_ref(), Some(kept));
        }
    }

    /// A user is never left with no role by a remote change.
    #[test]
    fn a_user_keeps_a_role(r in rules(), c in change(), g in guard()) {
        let out = filter(&r, &c, &g);
        let left = g.current_roles.iter().filter(|x| !out.remove_roles.contains(x)).count() + out.add_roles.len();
        prop_assert!(g.current_roles.is_empty() || left > 0);
    }
}

#[test]
fn delete_is_off_by_default() {
    let c = Change { op: "delete".into(), email: "a@b.c".into(), ..Change::default() };
    let out = filter(&Rules::default(), &c, &Guard { user_exists: true, ..Guard::default() });
    assert!(out.change.is_none());
    assert_eq!(out.skipped[0].reason, "delete_off");
}

#[test]
fn roles_in_scope_follow_the_sender() {
    let r = Rules { roles: vec!["gold".into(), "silver".into()], ..Rules::default() };
    let c = Change {
        op: "upsert".into(),
        email: "a@b.c".into(),
        roles: Some(vec!["gold".into()]),
        role_scope: vec!["gold".into(), "silver".into(), "administrator".into()],
        ..Change::default()
    };
    let g = Guard {
        protected_roles: vec!["administrator".into()],
        user_exists: true,
        current_roles: vec!["silver".into(), "subscriber".into()],
        ..Guard::default()
    };
    let out = filter(&r, &c, &g);
    assert_eq!(out.add_roles, vec!["gold".to_string()]);
    assert_eq!(out.remove_roles, vec!["silver".to_string()]);
    assert!(out.skipped.iter().any(|s| s.what == "role:administrator" && s.reason == "role_protected"));
}

#[test]
fn only_password_hashes_pass() {
    assert!(is_password_hash(BCRYPT));
    assert!(is_password_hash("$P$BabcdefghijklmnopqrstuvwxyzABCD"));
    assert!(!is_password_hash("correct horse battery staple"));
    assert!(!is_password_hash("$P$short"));
    let r = Rules { passwords: true, ..Rules::default() };
    let c = Change {
        op: "upsert".into(),
        email: "a@b.c".into(),
        pass_hash: Some("hunter2".into()),
        ..Change::default()
    };
    let out = filter(&r, &c, &Guard { user_exists: true, ..Guard::default() });
    assert!(out.change.is_none());
    assert_eq!(out.skipped[0].reason, "not_a_hash");
}

#[test]
fn malformed_input_is_refused_with_a_path() {
    let e = read(json!({"create": "yes"}), json!({}), json!({})).unwrap_err();
    assert_eq!(e.path, "rules");
    let e = read(json!({}), json!({"op": "drop", "email": "a@b.c"}), json!({})).unwrap_err();
    assert_eq!(e.path, "change.op");
    let e = read(json!({}), json!({"op": "upsert", "email": "nobody"}), json!({})).unwrap_err();
    assert_eq!(e.path, "change.email");
}

#[test]
fn timestamps_outside_the_window_are_refused() {
    assert_eq!(check_timestamp(1000, 1000, 300), None);
    assert_eq!(check_timestamp(1000, 699, 300), Some("expired"));
    assert_eq!(check_timestamp(1000, 1301, 300), Some("from_the_future"));
    assert_eq!(check_timestamp(i64::MAX, i64::MIN, 300), Some("expired"));
}

#[test]
fn an_email_change_follows_where_both_sides_list_user_email() {
    let c = Change {
        op: "upsert".into(),
        email: "new@example.test".into(),
        previous_email: Some("old@example.test".into()),
        ..Change::default()
    };
    let allow = Rules { fields: vec!["user_email".into()], ..Rules::default() };
    let found = Guard { user_exists: true, matched_by_previous: true, ..Guard::default() };
    let out = filter(&allow, &c, &found);
    assert_eq!(out.change.and_then(|k| k.previous_email).as_deref(), Some("old@example.test"));

    let out = filter(&Rules::default(), &c, &found);
    assert!(out.change.is_none(), "known only by the old address, which may not change: left alone");
    assert_eq!(out.skipped[0].reason, "email_off");

    let protected = Guard { user_protected: true, ..found };
    let out = filter(&allow, &c, &protected);
    assert!(out.change.is_none());
    assert_eq!(out.skipped[0].reason, "user_protected");

    let err = read(json!({}), json!({"op": "upsert", "email": "a@b.c", "previous_email": "nope"}), json!({}));
    assert_eq!(err.map(|_| ()).map_err(|e| e.path), Err("change.previous_email".to_string()));
}
