//! The commands the apps bring to the binary (`App::with_commands`) and the nouns
//! `demo-data` takes from them: listed in the help, dispatched to the app, run on a
//! migrated database.

use std::process::Stdio;

use baseops_test_support::TestDatabase;

use crate::binary::{baseops, baseops_on, run};

#[test]
fn help_lists_the_commands_the_apps_bring() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(baseops(dir.path()).arg("--help"));
    assert_eq!(code, 0, "{stderr}");
    let listed = |name: &str| stdout.lines().any(|line| line.split_whitespace().next() == Some(name));
    for name in
        ["createsuperuser", "tokens", "seed-roles", "audit", "leads", "jobs", "demo-data", "serve", "migrate"]
    {
        assert!(listed(name), "--help does not list {name}: {stdout}");
    }
    for command in baseops::compose().unwrap().commands() {
        assert!(listed(&command.name()), "--help does not list {}: {stdout}", command.name());
    }
}

#[test]
fn demo_data_of_an_unknown_noun_is_wrong_usage_naming_the_accepted_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(baseops(dir.path()).args(["demo-data", "nonsense", "--org", "x"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nonsense"), "{stderr}");
    let nouns: Vec<&str> = baseops::compose().unwrap().demos().iter().map(|demo| demo.noun).collect();
    assert!(nouns.contains(&"leads") && nouns.contains(&"tasks"), "{nouns:?}");
    for noun in nouns {
        assert!(stderr.contains(noun), "the error does not name {noun}: {stderr}");
    }
}

#[tokio::test]
async fn jobs_schedules_lists_every_schedule_of_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let (code, _, stderr) = run(baseops_on(dir.path(), database.url()).arg("migrate"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(baseops_on(dir.path(), database.url()).args(["jobs", "schedules"]));
    assert_eq!(code, 0, "{stderr}");
    let listed: Vec<&str> =
        stdout.lines().skip(1).filter_map(|line| line.split_whitespace().next()).collect();
    let mut expected: Vec<&str> =
        baseops::compose().unwrap().schedules().iter().map(|schedule| schedule.name).collect();
    for name in ["purge_finished", "purge_idempotency_keys"] {
        assert!(expected.contains(&name), "the build has no schedule {name}: {expected:?}");
    }
    expected.sort_unstable();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort_unstable();
    assert_eq!(listed_sorted, expected, "{stdout}");
    database.drop_now().await;
}

#[tokio::test]
async fn seed_roles_succeeds_on_a_fresh_migrated_database_and_leaves_seeded_roles_alone() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let (code, _, stderr) = run(baseops_on(dir.path(), database.url()).arg("migrate"));
    assert_eq!(code, 0, "{stderr}");
    let seed_roles = || run(baseops_on(dir.path(), database.url()).arg("seed-roles"));

    let (code, stdout, stderr) = seed_roles();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "default roles checked in 0 organization(s)");

    let (code, _, stderr) = run(baseops_on(dir.path(), database.url())
        .args(["createsuperuser", "--email", "ops@example.com", "--organization", "Acme"])
        .args(["--password-env", "NEW_PASSWORD"])
        .env("NEW_PASSWORD", "violet-harbor-77-lamp"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = seed_roles();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "default roles checked in 1 organization(s)");

    // An API token for a script, without a browser: only the secret on stdout.
    let tokens = |organization: &str, scope: &str| {
        run(baseops_on(dir.path(), database.url()).args([
            "tokens",
            "create",
            "--email",
            "OPS@example.com",
            "--organization",
            organization,
            "--name",
            "ci",
            "--scope",
            scope,
            "--expires-in-days",
            "30",
        ]))
    };
    let (code, stdout, stderr) = tokens("acme", "tasks.view");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.trim().starts_with("bo_") && stdout.lines().count() == 1, "{stdout}");
    assert!(stderr.contains("shown this once"), "{stderr}");
    let (code, _, stderr) = tokens("acme", "no.such_permission");
    assert_eq!(code, 1);
    assert!(stderr.contains("scopes[0] is not a permission you hold"), "{stderr}");
    let (code, stdout, stderr) = tokens("globex", "tasks.view");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("no organization with the id or slug globex"), "{stderr}");
    database.drop_now().await;
}

#[tokio::test]
async fn createsuperuser_then_audit_verify_catches_an_edited_event() {
    use sea_orm::{ConnectionTrait, Database};

    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let create = |email: &str, password: &str| {
        let mut command = baseops_on(dir.path(), database.url());
        command
            .args([
                "createsuperuser",
                "--email",
                email,
                "--organization",
                "Acme",
                "--password-env",
                "NEW_PASSWORD",
            ])
            .env("NEW_PASSWORD", password);
        run(&mut command)
    };

    let (code, _, stderr) = create("ops@example.com", "violet-harbor-77-lamp");
    assert_eq!(code, 1, "a one-shot command does not migrate an empty database");
    assert!(stderr.contains("migrat"), "{stderr}");
    let (code, _, stderr) = run(baseops_on(dir.path(), database.url()).arg("migrate"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = create("ops@example.com", "violet-harbor-77-lamp");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("superuser ops@example.com created"), "{stdout}");
    let (code, _, stderr) = create("ops@example.com", "violet-harbor-77-lamp");
    assert_eq!(code, 1);
    assert!(stderr.contains("exists"), "{stderr}");
    let (code, _, stderr) = create("new@example.com", "short");
    assert_eq!(code, 1);
    assert!(stderr.contains("password must be at least 12 characters"), "{stderr}");
    let mut stdin_less = baseops_on(dir.path(), database.url());
    stdin_less.args(["createsuperuser", "--email", "x@example.com"]).stdin(Stdio::null());
    let (code, _, stderr) = run(&mut stdin_less);
    assert_eq!(code, 1);
    assert!(stderr.contains("--password-stdin"), "{stderr}");

    let verify = || run(baseops_on(dir.path(), database.url()).args(["audit", "verify"]));
    let (code, stdout, stderr) = verify();
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("audit trail intact"), "{stdout}");

    let connection = Database::connect(database.url()).await.unwrap();
    connection
        .execute_unprepared(
            "UPDATE audit_events SET action = 'user.delete' WHERE chain = 'platform' AND seq = 1",
        )
        .await
        .unwrap();
    connection.close().await.unwrap();
    let (code, stdout, _) = verify();
    assert_eq!(code, 4, "{stdout}");
    assert!(stdout.contains("TAMPERED") && stdout.contains("chain platform: event 1"), "{stdout}");
    database.drop_now().await;
}

#[test]
fn a_one_shot_command_where_no_database_exists_says_so_and_creates_none() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["audit", "verify"][..], &["jobs", "list"], &["seed-roles"], &["jobs", "schedules"]] {
        let (code, stdout, stderr) = run(baseops(dir.path()).args(args));
        assert_eq!(code, 1, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains("no database at"), "{args:?}: {stderr}");
        assert!(!stdout.contains("intact"), "{args:?}: {stdout}");
        // The default database is data/baseops.db; only the log directory may appear.
        let created: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name != "logs")
            .collect();
        assert!(created.is_empty(), "{args:?} created {created:?}");
    }
}

#[tokio::test]
async fn demo_subscriptions_are_renewed_once_by_billing_renew_and_verify_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let on = || baseops_on(dir.path(), database.url());
    assert_eq!(run(on().arg("migrate")).0, 0);
    let (code, _, stderr) = run(on()
        .args(["createsuperuser", "--email", "ops@example.com", "--organization", "Acme"])
        .args(["--password-env", "NEW_PASSWORD"])
        .env("NEW_PASSWORD", "violet-harbor-77-lamp"));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) =
        run(on().args(["demo-data", "subscriptions", "--org", "acme", "--count", "1200"]));
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) = run(on().args(["billing", "renew"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("billing renew: 1200 periods renewed, 0 subscriptions ended"), "{stdout}");
    let (code, stdout, _) = run(on().args(["billing", "renew"]));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("billing renew: 0 periods renewed"), "a second run renews nothing: {stdout}");
    let (code, stdout, _) = run(on().args(["billing", "renew", "--at", "2999-13-01"]));
    assert_eq!(code, 1, "{stdout}");
    let (code, stdout, stderr) = run(on().args(["billing", "verify"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1200 invoices"), "{stdout}");
    database.drop_now().await;
}
