//! The composed build, checked without a database: what `Apps::compose` refuses at start is
//! caught here in CI first.

use baseops_core::Scope::{All, Own};

use super::compose;

#[test]
fn the_build_composes() {
    if let Err(error) = compose() {
        panic!("{error}");
    }
}

#[test]
fn every_app_comes_after_what_it_depends_on() {
    let apps = compose().unwrap();
    let names = apps.names();
    for app in apps.iter() {
        let position = names.iter().position(|name| *name == app.name).unwrap();
        for dependency in app.depends_on {
            let before = names.iter().position(|name| name == dependency).unwrap();
            assert!(before < position, "{} must migrate before {}: {names:?}", dependency, app.name);
        }
    }
    assert_eq!(names[0], "jobs", "the queue's tables come first: {names:?}");
}

#[test]
fn apps_that_enqueue_or_emit_compose_the_jobs_app() {
    let apps = compose().unwrap();
    for app in apps.iter() {
        let registers = !(app.jobs)(baseops_jobs::Registry::new()).names().is_empty();
        if app.name != "jobs" && (registers || !app.emits.is_empty() || !app.schedules.is_empty()) {
            assert!(
                app.depends_on.contains(&"jobs"),
                "{} uses the queue but does not depend on jobs",
                app.name
            );
        }
    }
}

#[test]
fn tasks_can_link_to_leads_and_nothing_else_is_claimed() {
    let links = compose().unwrap().links();
    assert_eq!(links.kinds().collect::<Vec<_>>(), ["lead"]);
}

#[test]
fn the_default_roles_get_what_docs_permissions_rbac_md_says() {
    let registry = compose().unwrap().permissions();
    let grants = |key: &str| registry.grants_of(registry.default_role(key).unwrap());
    let sales = grants("sales");
    assert_eq!(
        sales,
        vec![
            ("members.view", All),
            ("customers.view", All),
            ("billing.view", All),
            ("leads.view", Own),
            ("leads.create", Own),
            ("leads.edit", Own),
            ("leads.export", Own),
            ("leads.convert", Own),
            ("tasks.view", Own),
            ("tasks.create", Own),
            ("tasks.edit", Own),
            ("tasks.comment", Own),
            ("analytics.track", All),
        ]
    );
    let every = registry.permissions().len();
    assert_eq!(grants("owner").len(), every, "the owner gets everything");
    assert!(grants("owner").iter().all(|(_, scope)| *scope == All));
    assert_eq!(grants("admin").len(), every - 1, "all but organizations.delete");
    let viewer = grants("viewer");
    assert!(viewer.iter().all(|(name, scope)| name.ends_with(".view") && *scope == All), "{viewer:?}");
    assert!(!viewer.iter().any(|(name, _)| *name == "audit.view"));
    let manager = grants("manager");
    for name in
        ["leads.import", "tasks.delete", "customers.view", "members.invite", "audit.view", "roles.view"]
    {
        assert!(manager.iter().any(|(granted, scope)| *granted == name && *scope == All), "manager {name}");
    }
    assert!(!manager.iter().any(|(name, _)| *name == "roles.manage" || *name == "members.manage"));
    let accountant = grants("accountant");
    assert!(accountant.contains(&("customers.view", All)) && accountant.contains(&("tasks.comment", Own)));
    assert!(!accountant.iter().any(|(name, _)| name.starts_with("leads.")));
}
