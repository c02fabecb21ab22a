//! The roles ↔ tags engine: examples for each rule, then properties over random users and links.

use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeSet;
use tagbridge::core::reconcile::{is_protected, plan, plan_batch};
use tagbridge::core::{Event, Plan, Settings, Site, Truth, UserFacts};

const ROLES: [&str; 7] = ["administrator", "editor", "subscriber", "r1", "r2", "r3", "r4"];
const TAGS: [&str; 6] = ["t0", "t1", "t2", "t3", "t4", "t5"];

fn site(fallback: Option<&str>) -> Site {
    let mut roles = serde_json::Map::new();
    for r in ROLES {
        let caps = match r {
            "administrator" => json!({"manage_options": true, "read": true}),
            "editor" => json!({"edit_posts": true, "unfiltered_html": true}),
            _ => json!({"read": true}),
        };
        roles.insert(r.to_string(), json!({"name": r, "capabilities": caps}));
    }
    Site::read(&json!({"roles": roles, "fallback_role": fallback})).unwrap()
}

fn settings(links: &[(&str, &str)], fallback: Option<&str>, allow: &[&str]) -> Settings {
    let links: Vec<_> = links.iter().map(|(r, t)| json!({"role": r, "tag": t})).collect();
    Settings::compile(&json!({"role_links": links, "protection": {"allow_roles": allow}}), &site(fallback))
        .unwrap()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

fn user(roles: &[&str], tags: &[&str]) -> UserFacts {
    UserFacts { user_id: 7, roles: set(roles), tags: set(tags), ..UserFacts::default() }
}

fn names(changes: &[tagbridge::core::plan::Change]) -> Vec<&str> {
    changes.iter().map(|c| c.name.as_str()).collect()
}

fn apply(u: &UserFacts, p: &Plan) -> UserFacts {
    let mut n = u.clone();
    for c in &p.add_roles {
        n.roles.insert(c.name.clone());
    }
    for c in &p.remove_roles {
        n.roles.remove(&c.name);
    }
    for c in &p.apply_tags {
        n.tags.insert(c.name.clone());
    }
    for c in &p.remove_tags {
        n.tags.remove(&c.name);
    }
    n
}

#[test]
fn role_added_applies_the_linked_tag() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let e = Event { roles_added: set(&["r1"]), ..Event::default() };
    let p = plan(&s, &user(&["subscriber", "r1"], &[]), &e);
    assert_eq!(names(&p.apply_tags), ["t1"]);
    assert_eq!(p.apply_tags[0].reason.code(), "role_added");
    assert!(p.add_roles.is_empty() && p.remove_roles.is_empty() && p.remove_tags.is_empty());
}

#[test]
fn role_removed_removes_the_linked_tag() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let e = Event { roles_removed: set(&["r1"]), ..Event::default() };
    let p = plan(&s, &user(&["subscriber"], &["t1", "other"]), &e);
    assert_eq!(names(&p.remove_tags), ["t1"]);
    assert!(p.apply_tags.is_empty(), "unlinked tags are never touched");
}

#[test]
fn tag_applied_grants_and_tag_removed_revokes() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let p =
        plan(&s, &user(&["subscriber"], &["t1"]), &Event { tags_applied: set(&["t1"]), ..Event::default() });
    assert_eq!(names(&p.add_roles), ["r1"]);
    let p = plan(
        &s,
        &user(&["subscriber", "r1"], &[]),
        &Event { tags_removed: set(&["t1"]), ..Event::default() },
    );
    assert_eq!(names(&p.remove_roles), ["r1"]);
    assert_eq!(p.remove_roles[0].reason.code(), "tag_removed");
}

#[test]
fn absent_tag_removes_role_on_resync_from_tags() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let p =
        plan(&s, &user(&["subscriber", "r1"], &[]), &Event { resync: Some(Truth::Tags), ..Event::default() });
    assert_eq!(names(&p.remove_roles), ["r1"]);
    let p = plan(
        &s,
        &user(&["subscriber", "r1"], &[]),
        &Event { resync: Some(Truth::Roles), ..Event::default() },
    );
    assert_eq!(names(&p.apply_tags), ["t1"], "resync from roles keeps the role and applies the tag");
    assert!(p.remove_roles.is_empty());
}

#[test]
fn untouched_links_are_left_alone() {
    let s = settings(&[("r1", "t1"), ("r2", "t2")], Some("subscriber"), &[]);
    let p =
        plan(&s, &user(&["r1", "r2"], &["t1"]), &Event { tags_applied: set(&["t1"]), ..Event::default() });
    assert!(p.is_empty(), "r2 without t2 is not this event's business: {p:?}");
}

#[test]
fn administrators_are_never_changed() {
    let s = settings(&[("r1", "t1"), ("administrator", "t0")], Some("subscriber"), &[]);
    let admin = user(&["administrator", "r1"], &[]);
    assert!(is_protected(&s, &admin));
    let p = plan(&s, &admin, &Event { tags_removed: set(&["t1", "t0"]), ..Event::default() });
    assert!(p.add_roles.is_empty() && p.remove_roles.is_empty());
    assert!(p.notes.iter().any(|n| n.code == "protected_user"));
    let p = plan(&s, &user(&["r1"], &["t0"]), &Event { tags_applied: set(&["t0"]), ..Event::default() });
    assert!(p.add_roles.is_empty(), "a tag never grants administrator");
}

#[test]
fn users_with_a_protected_capability_are_protected() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let mut u = user(&["r1"], &[]);
    u.caps = set(&["promote_users"]);
    let p = plan(&s, &u, &Event { tags_removed: set(&["t1"]), ..Event::default() });
    assert!(p.remove_roles.is_empty());
    let mut u = user(&["r1"], &[]);
    u.super_admin = true;
    assert!(is_protected(&s, &u));
}

#[test]
fn protected_role_is_granted_only_when_allowed() {
    let s = settings(&[("editor", "staff")], Some("subscriber"), &[]);
    let p = plan(
        &s,
        &user(&["subscriber"], &["staff"]),
        &Event { tags_applied: set(&["staff"]), ..Event::default() },
    );
    assert!(p.add_roles.is_empty());
    assert!(p.notes.iter().any(|n| n.code == "protected_role"));
    let s = settings(&[("editor", "staff")], Some("subscriber"), &["editor"]);
    let p = plan(
        &s,
        &user(&["subscriber"], &["staff"]),
        &Event { tags_applied: set(&["staff"]), ..Event::default() },
    );
    assert_eq!(names(&p.add_roles), ["editor"]);
}

#[test]
fn fallback_role_when_no_role_would_be_left() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let p = plan(&s, &user(&["r1"], &[]), &Event { tags_removed: set(&["t1"]), ..Event::default() });
    assert_eq!(names(&p.remove_roles), ["r1"]);
    assert_eq!(names(&p.add_roles), ["subscriber"]);
    assert_eq!(p.add_roles[0].reason.code(), "fallback");
}

#[test]
fn linked_fallback_role_keeps_its_tag() {
    let s = settings(&[("subscriber", "t0")], Some("subscriber"), &[]);
    let p = plan(&s, &user(&["subscriber"], &[]), &Event { tags_removed: set(&["t0"]), ..Event::default() });
    assert!(p.remove_roles.is_empty() && p.add_roles.is_empty(), "the only role stays");
    assert_eq!(names(&p.apply_tags), ["t0"], "and its tag follows it, so the state is consistent");
}

#[test]
fn tag_change_wins_over_role_change_of_the_same_link() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let e = Event { roles_added: set(&["r1"]), tags_removed: set(&["t1"]), ..Event::default() };
    let p = plan(&s, &user(&["subscriber", "r1"], &[]), &e);
    assert_eq!(names(&p.remove_roles), ["r1"]);
}

#[test]
fn resync_of_chosen_links_leaves_the_others_alone() {
    let s = settings(&[("r1", "t1"), ("r2", "t2")], Some("subscriber"), &[]);
    let e = Event { resync: Some(Truth::Tags), resync_roles: Some(set(&["r2"])), ..Event::default() };
    let p = plan(&s, &user(&["subscriber", "r1", "r2"], &[]), &e);
    assert_eq!(names(&p.remove_roles), ["r2"], "only the chosen link follows its tag");
    assert!(p.remove_tags.is_empty() && p.apply_tags.is_empty());
}

#[test]
fn batch_returns_only_changed_users_in_order() {
    let s = settings(&[("r1", "t1")], Some("subscriber"), &[]);
    let mut users = Vec::new();
    for id in 0..1000u64 {
        let tags: &[&str] = if id % 3 == 0 { &["t1"] } else { &[] };
        users.push(UserFacts { user_id: id, ..user(&["subscriber"], tags) });
    }
    let plans = plan_batch(&s, &users, &Event { resync: Some(Truth::Tags), ..Event::default() });
    assert_eq!(plans.len(), 334);
    assert!(plans.windows(2).all(|w| w[0].user_id < w[1].user_id));
    assert!(plans.iter().all(|p| p.user_id % 3 == 0 && names(&p.add_roles) == ["r1"]));
}

// ---- properties -------------------------------------------------------------------------------

fn arb_subset<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(items.to_vec(), 0..=items.len())
}

#[derive(Debug, Clone)]
struct Case {
    links: Vec<(&'static str, &'static str)>,
    fallback: Option<&'static str>,
    allow: Vec<&'static str>,
    user: UserFacts,
    event: Event,
}

fn arb_case() -> impl Strategy<Value = Case> {
    let links =
        (arb_subset(&ROLES), proptest::sample::subsequence(TAGS.to_vec(), 0..=TAGS.len()).prop_shuffle())
            .prop_map(|(roles, tags)| roles.into_iter().zip(tags).collect::<Vec<_>>());
    let fallback = prop_oneof![Just(None), Just(Some("subscriber")), Just(Some("r4"))];
    let allow = prop_oneof![Just(vec![]), Just(vec!["editor"])];
    let user = (arb_subset(&ROLES), arb_subset(&TAGS), any::<bool>(), any::<bool>()).prop_map(
        |(roles, tags, promote, super_admin)| UserFacts {
            user_id: 1,
            roles: roles.into_iter().map(str::to_string).collect(),
            tags: tags.into_iter().map(str::to_string).collect(),
            caps: if promote { set(&["promote_users"]) } else { BTreeSet::new() },
            super_admin: super_admin && promote,
        },
    );
    let only = prop_oneof![Just(None), arb_subset(&ROLES).prop_map(Some)];
    let event = (arb_subset(&ROLES), arb_subset(&ROLES), arb_subset(&TAGS), arb_subset(&TAGS), 0..3u8, only)
        .prop_map(|(ra, rr, ta, tr, resync, only)| Event {
            roles_added: ra.into_iter().map(str::to_string).collect(),
            roles_removed: rr.into_iter().map(str::to_string).collect(),
            tags_applied: ta.into_iter().map(str::to_string).collect(),
            tags_removed: tr.into_iter().map(str::to_string).collect(),
            resync: [None, Some(Truth::Roles), Some(Truth::Tags)][usize::from(resync)],
            resync_roles: only.map(|o| o.into_iter().map(str::to_string).collect()),
        });
    (links, fallback, allow, user, event).prop_map(|(links, fallback, allow, user, event)| Case {
        links,
        fallback,
        allow,
        user,
        event,
    })
}

fn compile(c: &Case) -> Option<Settings> {
    // Some random combinations are refused on purpose (a protected fallback); skip those.
    let links: Vec<_> = c.links.iter().map(|(r, t)| json!({"role": r, "tag": t})).collect();
    Settings::compile(
        &json!({"role_links": links, "protection": {"allow_roles": c.allow}}),
        &site(c.fallback),
    )
    .ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Applying a plan and planning again with the same event changes nothing.
    #[test]
    fn idempotent(c in arb_case()) {
        let Some(s) = compile(&c) else { return Ok(()) };
        let p = plan(&s, &c.user, &c.event);
        let after = apply(&c.user, &p);
        let again = plan(&s, &after, &c.event);
        prop_assert!(again.is_empty(), "second plan {:?}", again);
    }

    /// The plan's own changes, fed back as events, never bounce (no tag → role → tag loop).
    #[test]
    fn no_echo(c in arb_case()) {
        let Some(s) = compile(&c) else { return Ok(()) };
        let p = plan(&s, &c.user, &c.event);
        let after = apply(&c.user, &p);
        let roles_echo = Event {
            roles_added: p.add_roles.iter().map(|c| c.name.clone()).collect(),
            roles_removed: p.remove_roles.iter().map(|c| c.name.clone()).collect(),
            ..Event::default()
        };
        let tags_echo = Event {
            tags_applied: p.apply_tags.iter().map(|c| c.name.clone()).collect(),
            tags_removed: p.remove_tags.iter().map(|c| c.name.clone()).collect(),
            ..Event::default()
        };
        prop_assert!(plan(&s, &after, &roles_echo).is_empty());
        prop_assert!(plan(&s, &after, &tags_echo).is_empty());
    }

    /// A full resync converges in one step whichever side is the truth.
    #[test]
    fn resync_converges(c in arb_case(), truth in prop_oneof![Just(Truth::Roles), Just(Truth::Tags)]) {
        let Some(s) = compile(&c) else { return Ok(()) };
        let e = Event { resync: Some(truth), ..Event::default() };
        let after = apply(&c.user, &plan(&s, &c.user, &e));
        prop_assert!(plan(&s, &after, &e).is_empty());
    }

    /// A resync restricted to some links touches only those links (and the fallback role's).
    #[test]
    fn restricted_resync_stays_in_its_links(
        c in arb_case(),
        truth in prop_oneof![Just(Truth::Roles), Just(Truth::Tags)],
        only in arb_subset(&ROLES),
    ) {
        let Some(s) = compile(&c) else { return Ok(()) };
        let only: BTreeSet<String> = only.into_iter().map(str::to_string).collect();
        let e = Event { resync: Some(truth), resync_roles: Some(only.clone()), ..Event::default() };
        let p = plan(&s, &c.user, &e);
        let mut roles = only.clone();
        roles.extend(c.fallback.map(str::to_string));
        let tags: BTreeSet<String> =
            c.links.iter().filter(|(r, _)| roles.contains(*r)).map(|(_, t)| (*t).to_string()).collect();
        prop_assert!(p.add_roles.iter().chain(&p.remove_roles).all(|ch| roles.contains(&ch.name)));
        prop_assert!(p.apply_tags.iter().chain(&p.remove_tags).all(|ch| tags.contains(&ch.name)));
        prop_assert!(plan(&s, &apply(&c.user, &p), &e).is_empty());
    }

    /// Safety: protected users keep their roles; protected roles are granted only when allowed;
    /// only linked roles/tags (and the fallback role) change; nobody is left without a role.
    #[test]
    fn safety(c in arb_case()) {
        let Some(s) = compile(&c) else { return Ok(()) };
        let p = plan(&s, &c.user, &c.event);
        if is_protected(&s, &c.user) {
            prop_assert!(p.add_roles.is_empty() && p.remove_roles.is_empty());
        }
        for a in &p.add_roles {
            prop_assert!(a.name != "administrator");
            if s.is_protected_role(&a.name) {
                prop_assert!(s.allowed_protected_roles.contains(&a.name));
            }
            prop_assert!(s.link_for_role(&a.name).is_some() || Some(&a.name) == s.fallback_role.as_ref());
        }
        for r in &p.remove_roles {
            prop_assert!(s.link_for_role(&r.name).is_some());
        }
        for t in p.apply_tags.iter().chain(&p.remove_tags) {
            prop_assert!(s.link_for_tag(&t.name).is_some());
        }
        let after = apply(&c.user, &p);
        if !c.user.roles.is_empty() && s.fallback_role.is_some() {
            prop_assert!(!after.roles.is_empty());
        }
    }

    /// Planning is deterministic.
    #[test]
    fn deterministic(c in arb_case()) {
        let Some(s) = compile(&c) else { return Ok(()) };
        prop_assert_eq!(plan(&s, &c.user, &c.event), plan(&s, &c.user, &c.event));
    }
}
