use serde_json::json;
use tagbridge::core::{ErrorKind, Settings, Site};

fn site() -> Site {
    Site::read(&json!({
        "roles": {
            "administrator": {"name": "Administrator", "capabilities": {"manage_options": true, "read": true}},
            "editor": {"name": "Editor", "capabilities": {"edit_posts": true, "unfiltered_html": true}},
            "subscriber": {"name": "Subscriber", "capabilities": {"read": true}},
            "gold": {"name": "Gold", "capabilities": {"read": true}},
        },
        "fallback_role": "subscriber"
    }))
    .expect("site facts are valid")
}

fn refused(settings: serde_json::Value) -> String {
    let err = Settings::compile(&settings, &site()).expect_err("settings must be refused");
    assert_eq!(err.kind, ErrorKind::Settings);
    err.to_string()
}

#[test]
fn compiles_links_and_indexes_them() {
    let s =
        Settings::compile(&json!({"role_links": [{"role": "gold", "tag": "Gold Member"}]}), &site()).unwrap();
    assert_eq!(s.link_for_role("gold").map(|l| l.tag.as_str()), Some("Gold Member"));
    assert_eq!(s.link_for_tag("Gold Member").map(|l| l.role.as_str()), Some("gold"));
    assert!(s.is_protected_role("administrator"));
    assert!(s.is_protected_role("editor"), "unfiltered_html is protected by default");
    assert!(!s.is_protected_role("gold"));
    assert_eq!(s.fallback_role.as_deref(), Some("subscriber"));
}

#[test]
fn empty_php_array_is_empty_settings() {
    let s = Settings::compile(&json!([]), &site()).unwrap();
    assert!(s.role_links.is_empty());
}

#[test]
fn unknown_role_in_link_names_the_entry() {
    let msg =
        refused(json!({"role_links": [{"role": "gold", "tag": "a"}, {"role": "platinum", "tag": "b"}]}));
    assert_eq!(msg, "role_links[1].role: unknown role \"platinum\" (not registered on this site)");
}

#[test]
fn duplicate_link_names_both_entries() {
    let msg = refused(json!({"role_links": [{"role": "gold", "tag": "a"}, {"role": "gold", "tag": "b"}]}));
    assert!(
        msg.starts_with("role_links[1]: duplicate link: role \"gold\" is already linked by role_links[0]"),
        "{msg}"
    );
}

#[test]
fn unknown_field_type_names_the_entry() {
    let msg = refused(json!({"fields": [{"key": "phone", "crm_field": "phone", "type": "telephone"}]}));
    assert!(msg.starts_with("fields[0].type: unknown field type \"telephone\""), "{msg}");
}

#[test]
fn unknown_key_is_refused_not_ignored() {
    let msg = refused(json!({"role_link": []}));
    assert!(msg.starts_with("role_link: unknown key"), "{msg}");
    let msg = refused(json!({"role_links": [{"role": "gold", "tag": "a", "tga": "b"}]}));
    assert!(msg.starts_with("role_links[0].tga: unknown key"), "{msg}");
}

#[test]
fn wrong_types_and_empty_names_are_refused() {
    assert!(
        refused(json!({"role_links": [{"role": "gold", "tag": 5}]}))
            .starts_with("role_links[0].tag: expected a string")
    );
    assert!(
        refused(json!({"role_links": [{"role": "gold", "tag": "  "}]}))
            .starts_with("role_links[0].tag: must not be empty")
    );
    assert!(refused(json!({"role_links": {"role": "gold"}})).starts_with("role_links: expected a list"));
    assert!(refused(json!("text")).starts_with("expected a map"));
}

#[test]
fn password_can_never_be_mapped() {
    let msg = refused(json!({"fields": [{"key": "user_pass", "crm_field": "password", "type": "text"}]}));
    assert!(msg.contains("plain text"), "{msg}");
}

#[test]
fn protected_role_link_works_one_way_unless_allowed() {
    let s = Settings::compile(&json!({"role_links": [{"role": "editor", "tag": "staff"}]}), &site()).unwrap();
    assert!(!s.role_links[0].may_grant);
    assert_eq!(s.warnings.len(), 1);
    let s = Settings::compile(
        &json!({"role_links": [{"role": "editor", "tag": "staff"}], "protection": {"allow_roles": ["editor"]}}),
        &site(),
    )
    .unwrap();
    assert!(s.role_links[0].may_grant);
    let msg = refused(json!({"protection": {"allow_roles": ["administrator"]}}));
    assert!(msg.contains("can manage the site"), "{msg}");
}

#[test]
fn fallback_role_must_exist_and_be_unprotected() {
    assert!(refused(json!({"fallback_role": "nobody"})).starts_with("fallback_role: unknown role"));
    assert!(refused(json!({"fallback_role": "editor"})).contains("protected capability"));
}

#[test]
fn a_tag_links_to_one_role() {
    let msg =
        refused(json!({"role_links": [{"role": "gold", "tag": "T"}, {"role": "subscriber", "tag": "T"}]}));
    assert!(
        msg.starts_with("role_links[1]: tag \"T\" is already linked to role \"gold\" by role_links[0]"),
        "{msg}"
    );
}
