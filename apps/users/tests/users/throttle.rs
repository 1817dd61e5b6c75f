//! The brute-force throttle (docs/security.md, "Brute force"): a slot is reserved before any
//! password or code is checked, so parallel guesses get no more checks than the limit; the
//! count is kept per account and address together, so a guesser slows only themself; counts
//! expire, and the hourly purge deletes what no longer holds anything.

use std::sync::Arc;

use baseops_test_support::{Client, PASSWORD, TestApp, TestResponse};
use baseops_users::model::auth_throttle;
use baseops_users::service::throttle;
use baseops_users::two_factor::{code_at, from_base32};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use tokio::task::JoinSet;

use crate::support::login_from;

/// `auth.max_failures_per_account_and_ip` by default.
const PER_PAIR: usize = 5;
const ATTACKER: [u8; 4] = [203, 0, 113, 7];
const OWNER: [u8; 4] = [198, 51, 100, 9];

fn statuses(answers: &[TestResponse]) -> Vec<u16> {
    answers.iter().map(|answer| answer.status.as_u16()).collect()
}

fn count(answers: &[TestResponse], status: u16) -> usize {
    answers.iter().filter(|answer| answer.status == status).count()
}

// Several threads: the attempts reach the database truly at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_get_no_more_checks_than_the_limit_and_the_owner_is_not_locked_out() {
    let app = Arc::new(TestApp::new().await);
    app.user("victim@example.com").await;
    let mut burst = JoinSet::new();
    for _ in 0..40 {
        let app = app.clone();
        burst.spawn(async move {
            login_from(&app, ATTACKER, None, "victim@example.com", "wrong-guess-at-it-9").await
        });
    }
    let answers = burst.join_all().await;
    assert_eq!(count(&answers, 401), PER_PAIR, "checks: {:?}", statuses(&answers));
    assert_eq!(count(&answers, 429), 40 - PER_PAIR, "{:?}", statuses(&answers));
    assert!(answers.iter().filter(|a| a.status == 429).all(|a| a.header("retry-after").is_some()));
    // Every check that ran is in the security log, with the account and the source.
    let failed = app.audit(None, "user.login_failed").await;
    assert_eq!(failed.len(), PER_PAIR);
    assert!(failed.iter().all(|event| event.ip.as_deref() == Some("203.0.113.7")), "{failed:?}");
    assert_eq!(app.audit(None, "user.throttled").await.len(), 1);

    // The owner, from another address, logs in at once; the guesser waits even when right.
    let owner = login_from(&app, OWNER, None, "victim@example.com", PASSWORD).await;
    assert_eq!(owner.status, 200, "{}", owner.text());
    login_from(&app, ATTACKER, None, "victim@example.com", PASSWORD)
        .await
        .assert_problem(429, "rate_limited");
}

// Several threads: the attempts reach the database truly at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_codes_get_no_more_checks_than_the_limit() {
    let app = Arc::new(TestApp::new().await);
    app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let setup = client.post(&app, "/api/v1/me/two-factor/setup", json!({})).await.json();
    let secret = from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let enabled = client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": code_at(&secret, now - 30).unwrap()}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());

    let mut burst = JoinSet::new();
    for guess in 0..60 {
        let app = app.clone();
        burst.spawn(async move {
            let body = json!({"email": "jane@example.com", "password": PASSWORD, "totp_code": format!("{:06}", 100_000 + guess)});
            Client::anonymous().post(&app, "/api/v1/auth/login", body).await
        });
    }
    let answers = burst.join_all().await;
    let checked = answers.iter().filter(|a| a.status == 401).count();
    assert!(checked <= PER_PAIR, "{checked} code checks: {:?}", statuses(&answers));
    assert!(answers.iter().all(|a| [200, 401, 429].contains(&a.status.as_u16())), "{:?}", statuses(&answers));
    // Every refused code was checked and logged; none slipped past the count.
    assert_eq!(app.audit(None, "user.second_factor_failed").await.len(), checked);
}

#[tokio::test]
async fn failures_are_forgotten_after_the_window_and_purged() {
    let app = TestApp::with_settings(&[
        ("BASEOPS_AUTH__MAX_FAILURES_PER_ACCOUNT_AND_IP", "2"),
        ("BASEOPS_AUTH__FAILURE_WINDOW_SECS", "1"),
        ("BASEOPS_AUTH__LOCKOUT_SECS", "1"),
    ])
    .await;
    app.user("jane@example.com").await;
    for _ in 0..2 {
        login_from(&app, ATTACKER, None, "jane@example.com", "wrong-guess-at-it-9")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    login_from(&app, ATTACKER, None, "jane@example.com", PASSWORD).await.assert_problem(429, "rate_limited");
    let db = app.state().db().write();
    assert!(throttle::purge(db, chrono::Utc::now()).await.unwrap() == 0, "a live counter was purged");
    assert_eq!(auth_throttle::Entity::find().count(db).await.unwrap(), 3, "pair, address and account");

    // The delay (1 s) and then the window (1 s after it) run out: the slate is clean.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(throttle::purge(db, chrono::Utc::now()).await.unwrap(), 3);
    assert_eq!(auth_throttle::Entity::find().count(db).await.unwrap(), 0);
    for _ in 0..2 {
        login_from(&app, ATTACKER, None, "jane@example.com", "wrong-guess-at-it-9")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    login_from(&app, ATTACKER, None, "jane@example.com", PASSWORD).await.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn each_further_failure_doubles_the_wait() {
    let app = TestApp::with_settings(&[("BASEOPS_AUTH__MAX_FAILURES_PER_ACCOUNT_AND_IP", "1")]).await;
    app.user("jane@example.com").await;
    login_from(&app, ATTACKER, None, "jane@example.com", "wrong-guess-at-it-9")
        .await
        .assert_problem(401, "invalid_credentials");
    let first: u64 = login_from(&app, ATTACKER, None, "jane@example.com", PASSWORD)
        .await
        .header("retry-after")
        .unwrap()
        .parse()
        .unwrap();
    assert!((29..=30).contains(&first), "first wait {first}");
    // Let the wait pass (by moving the lock into the past), fail once more: twice as long.
    let db = app.state().db().write();
    auth_throttle::Entity::update_many()
        .col_expr(auth_throttle::Column::LockedUntilMs, sea_orm::sea_query::Expr::value(0))
        .exec(db)
        .await
        .unwrap();
    login_from(&app, ATTACKER, None, "jane@example.com", "wrong-guess-at-it-9")
        .await
        .assert_problem(401, "invalid_credentials");
    let second: u64 = login_from(&app, ATTACKER, None, "jane@example.com", PASSWORD)
        .await
        .header("retry-after")
        .unwrap()
        .parse()
        .unwrap();
    assert!((59..=60).contains(&second), "second wait {second}");
}

#[tokio::test]
async fn an_oversized_address_is_counted_and_logged_cut_to_the_longest_address() {
    let app = TestApp::new().await;
    let huge = format!("{}@example.com", "a".repeat(100_000));
    login_from(&app, ATTACKER, None, &huge, "wrong-guess-at-it-9")
        .await
        .assert_problem(401, "invalid_credentials");
    let failed = app.audit(None, "user.login_failed").await;
    assert_eq!(failed.len(), 1);
    let after = failed[0].changes.get("account").and_then(|change| change.after.clone());
    let logged = after.as_ref().and_then(|value| value.as_str()).expect("the account logged").to_owned();
    assert_eq!(logged.chars().count(), throttle::MAX_ACCOUNT_CHARS, "the whole body went into the trail");
}
