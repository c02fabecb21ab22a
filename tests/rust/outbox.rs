//! Outbox coalescing and retry schedule: properties over random change sequences.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use tagbridge::core::outbox::{
    BASE_DELAY, Call, Change, Decision, Failure, MAX_DELAY, Target, coalesce, schedule,
};

#[derive(Debug, Clone, Default, PartialEq)]
struct Contact {
    exists: bool,
    fields: Map<String, Value>,
    tags: BTreeSet<String>,
}

fn apply_change(c: &mut Contact, ch: &Change) {
    c.exists = true;
    for (k, v) in &ch.fields {
        c.fields.insert(k.clone(), v.clone());
    }
    // Within one change, applies come before removes (the order the shell's enqueue documents).
    for t in &ch.apply_tags {
        c.tags.insert(t.clone());
    }
    for t in &ch.remove_tags {
        c.tags.remove(t);
    }
}

fn apply_calls(c: &mut Contact, calls: &[Call]) {
    for call in calls {
        match call {
            Call::Create(f) => {
                c.exists = true;
                c.fields.extend(f.clone());
            }
            // Create-or-update by email: merges fields and adds tags, keeping the others.
            Call::Upsert { fields, apply } => {
                c.exists = true;
                c.fields.extend(fields.clone());
                c.tags.extend(apply.iter().cloned());
            }
            Call::Update(f) => c.fields.extend(f.clone()),
            Call::Apply(t) => c.tags.extend(t.iter().cloned()),
            Call::Remove(t) => t.iter().for_each(|t| {
                c.tags.remove(t);
            }),
            Call::Combined { fields, apply, remove } => {
                c.fields.extend(fields.clone());
                c.tags.extend(apply.iter().cloned());
                remove.iter().for_each(|t| {
                    c.tags.remove(t);
                });
            }
        }
    }
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d"]).prop_map(str::to_string)
}

fn change_strategy() -> impl Strategy<Value = Change> {
    (
        prop::collection::vec((name(), 0..5i64), 0..3),
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..3),
    )
        .prop_map(|(fields, apply, remove)| {
            // A single change never applies and removes one tag (enqueue refuses that).
            let remove: Vec<String> = remove.into_iter().filter(|t| !apply.contains(t)).collect();
            Change {
                id: 0,
                fields: fields.into_iter().map(|(k, v)| (k, json!(v))).collect(),
                apply_tags: apply,
                remove_tags: remove,
            }
        })
}

fn changes() -> impl Strategy<Value = Vec<Change>> {
    prop::collection::vec(change_strategy(), 0..12).prop_map(|mut v| {
        for (i, c) in v.iter_mut().enumerate() {
            c.id = i as u64 + 1;
        }
        v
    })
}

fn initial() -> impl Strategy<Value = Contact> {
    (prop::collection::btree_set(name(), 0..4), prop::collection::vec((name(), 0..5i64), 0..3)).prop_map(
        |(tags, fields)| Contact {
            exists: true,
            fields: fields.into_iter().map(|(k, v)| (k, json!(v))).collect(),
            tags,
        },
    )
}

proptest! {
    /// Sending the delivery leaves the contact exactly as sending every change one by one would,
    /// whatever the CRM held before.
    #[test]
    fn coalescing_preserves_the_final_state(start in initial(), cs in changes(), combined: bool, upsert: bool) {
        let mut one_by_one = start.clone();
        cs.iter().for_each(|c| apply_change(&mut one_by_one, c));
        let mut delivered = start.clone();
        apply_calls(&mut delivered, &coalesce(&cs, Target { has_contact: true, combined, upsert }).calls);
        prop_assert_eq!(delivered, one_by_one);
    }

    /// Where the CRM upserts by email, a contact whose id is unknown gets one upsert first (no
    /// lookup, no create) and at most one more call, for removals only; the final state is the
    /// one-by-one state whether the CRM already had the contact (with any tags and fields) or not.
    #[test]
    fn an_unknown_contact_is_upserted_in_one_call_plus_removals(start in initial(), exists: bool, cs in changes(), combined: bool) {
        let d = coalesce(&cs, Target { has_contact: false, combined, upsert: true });
        prop_assert!(matches!(d.calls.first(), Some(Call::Upsert { .. })), "first call is the upsert");
        prop_assert!(d.calls.len() <= 2);
        prop_assert!(!d.calls.iter().any(|c| matches!(c, Call::Create(_) | Call::Update(_) | Call::Apply(_))), "no lookup-create or separate update/apply");
        prop_assert_eq!(d.calls.len() == 2, !d.remove_tags.is_empty());
        let before = if exists { start } else { Contact::default() };
        let mut one_by_one = Contact { exists: true, ..before.clone() };
        cs.iter().for_each(|c| apply_change(&mut one_by_one, c));
        let mut delivered = before;
        apply_calls(&mut delivered, &d.calls);
        prop_assert_eq!(delivered, one_by_one);
    }

    /// A contact that does not exist yet is created first, then ends as the changes say.
    #[test]
    fn a_missing_contact_is_created_first(cs in changes(), combined: bool) {
        let d = coalesce(&cs, Target { has_contact: false, combined, upsert: false });
        prop_assert!(matches!(d.calls.first(), Some(Call::Create(_))));
        prop_assert_eq!(d.calls.iter().filter(|c| matches!(c, Call::Create(_))).count(), 1);
        let mut one_by_one = Contact { exists: true, ..Contact::default() };
        cs.iter().for_each(|c| apply_change(&mut one_by_one, c));
        let mut delivered = Contact::default();
        apply_calls(&mut delivered, &d.calls);
        prop_assert_eq!(delivered, one_by_one);
    }

    /// Coalescing a delivery's own net change again changes nothing (idempotent), and sending the
    /// same delivery twice (a retry after a timeout) leaves the same state as sending it once.
    #[test]
    fn coalescing_is_idempotent(start in initial(), cs in changes(), combined: bool, has_contact: bool, upsert: bool) {
        let target = Target { has_contact, combined, upsert };
        let d = coalesce(&cs, target);
        let again = coalesce(
            &[Change { id: 1, fields: d.fields.clone(), apply_tags: d.apply_tags.clone(), remove_tags: d.remove_tags.clone() }],
            target,
        );
        prop_assert_eq!(&again.fields, &d.fields);
        prop_assert_eq!(&again.apply_tags, &d.apply_tags);
        prop_assert_eq!(&again.remove_tags, &d.remove_tags);
        prop_assert_eq!(&again.calls, &d.calls);
        let mut once = start.clone();
        apply_calls(&mut once, &d.calls);
        let mut twice = once.clone();
        apply_calls(&mut twice, &d.calls);
        prop_assert_eq!(twice, once);
    }

    /// The delivery covers every row in enqueue order, and each tag appears once, where its last
    /// change put it.
    #[test]
    fn order_is_kept(cs in changes()) {
        let d = coalesce(&cs, Target { has_contact: true, combined: false, upsert: false });
        prop_assert_eq!(d.ids.clone(), cs.iter().map(|c| c.id).collect::<Vec<_>>());
        let mut last: Vec<String> = Vec::new();
        for c in &cs {
            for t in c.apply_tags.iter().chain(&c.remove_tags) {
                last.retain(|x| x != t);
                last.push(t.clone());
            }
        }
        let applied: Vec<&String> = last.iter().filter(|t| d.apply_tags.contains(t)).collect();
        prop_assert_eq!(applied, d.apply_tags.iter().collect::<Vec<_>>());
        let removed: Vec<&String> = last.iter().filter(|t| d.remove_tags.contains(t)).collect();
        prop_assert_eq!(removed, d.remove_tags.iter().collect::<Vec<_>>());
        prop_assert!(d.apply_tags.iter().all(|t| !d.remove_tags.contains(t)));
    }

    /// Retry delays stay within [half, full] of the capped exponential delay, never below a
    /// retry-after, and are the same for the same key and attempt.
    #[test]
    fn retry_delays_are_bounded_and_deterministic(key: u64, attempt in 1u32..29, after in prop::option::of(0u64..10_000)) {
        let full = BASE_DELAY.saturating_mul(1 << (attempt - 1).min(20)).min(MAX_DELAY);
        let d = schedule(key, attempt, Failure::RateLimited, after);
        prop_assert_eq!(d, schedule(key, attempt, Failure::RateLimited, after));
        let Decision::Retry(delay) = d else { return Err(TestCaseError::fail("parked")) };
        prop_assert!(delay >= full / 2);
        prop_assert!(delay <= full.max(after.unwrap_or(0)));
        prop_assert!(delay >= after.unwrap_or(0));
    }
}

#[test]
fn jitter_spreads_contacts_that_fail_together() {
    let delays: BTreeSet<u64> = (1..=50)
        .filter_map(|key| match schedule(key, 6, Failure::Transient, None) {
            Decision::Retry(d) => Some(d),
            Decision::Park(_) => None,
        })
        .collect();
    assert!(delays.len() > 25, "{delays:?}");
}

#[test]
fn permanent_failures_park_at_once_with_their_reason() {
    assert_eq!(schedule(9, 1, Failure::Permanent, None), Decision::Park("permanent"));
    assert_eq!(schedule(9, 1, Failure::Duplicate, None), Decision::Park("duplicate"));
    assert_eq!(schedule(9, 3, Failure::NotFound, None), Decision::Park("contact_not_found"));
}
