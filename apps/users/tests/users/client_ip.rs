//! Failed logins are counted per client IP as well as per e-mail address (docs/apps/users.md,
//! "Login"): enough failures from one address lock that address out whichever accounts it
//! tried, and nobody else. The client's address is the TCP peer, unless the peer is one of
//! `server.trusted_proxies`: then the last address in `X-Forwarded-For` that is not itself a
//! trusted proxy (docs/environment.md; `crates/server/src/middleware/client_ip.rs`). Anyone
//! else's `X-Forwarded-For` is ignored, or a client could dodge the per-IP limit, or lock out
//! someone else, by naming whatever address it likes.
//!
//! Requests come from a chosen peer by carrying their own `ConnectInfo`, as the server's
//! listener gives every request.

use std::net::IpAddr;

use baseops_test_support::{Client, PASSWORD, TestApp, TestResponse};
use sea_orm::EntityTrait;

use crate::support::login_from;

/// Failures from one address before it is locked out (the default, 50, would make slow tests).
const PER_IP: usize = 4;

/// A reverse proxy in front of the server.
const PROXY: [u8; 4] = [10, 0, 0, 1];
/// A second proxy, between the client and the first.
const EDGE_PROXY: &str = "10.0.0.2";
/// A peer that is no proxy of ours.
const STRANGER: [u8; 4] = [192, 0, 2, 66];

async fn app() -> TestApp {
    let per_ip = PER_IP.to_string();
    let trusted = format!("[{}, {EDGE_PROXY}]", IpAddr::from(PROXY));
    TestApp::with_settings(&[
        ("BASEOPS_AUTH__MAX_FAILURES_PER_IP", &per_ip),
        ("BASEOPS_SERVER__TRUSTED_PROXIES", &trusted),
    ])
    .await
}

/// Fails `PER_IP` logins from `peer` (claiming `forwarded_for`), each on another address.
async fn fail_from(app: &TestApp, peer: [u8; 4], forwarded_for: Option<&str>) {
    for attempt in 0..PER_IP {
        let email = format!("guess{attempt}-{}@example.com", uuid::Uuid::now_v7().simple());
        let failed = login_from(app, peer, forwarded_for, &email, "not-the-password-1").await;
        failed.assert_problem(401, "invalid_credentials");
    }
}

/// Asserts the answer is the lock-out: 429 `rate_limited`, a `Retry-After`, no session.
fn assert_locked(response: &TestResponse, why: &str) {
    assert_eq!(response.status, 429, "{why}: {}", response.text());
    response.assert_problem(429, "rate_limited");
    let retry_after: u64 = response.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!(retry_after >= 1, "{why}: Retry-After {retry_after}");
    assert!(response.header("set-cookie").is_none(), "{why}: a locked-out login set a cookie");
}

/// The address the newest `user.login` event recorded.
async fn last_login_ip(app: &TestApp) -> Option<String> {
    app.audit(None, "user.login").await.first().expect("a user.login event").ip.clone()
}

#[tokio::test]
async fn failures_on_many_accounts_from_one_ip_lock_out_that_ip_only() {
    let app = app().await;
    app.user("jane@example.com").await;
    // One failure each on many addresses: no account reaches its own limit (5), the address
    // they came from does.
    fail_from(&app, STRANGER, None).await;

    let right_password = login_from(&app, STRANGER, None, "jane@example.com", PASSWORD).await;
    assert_locked(&right_password, "the right password from the locked-out address");
    let other_account = login_from(&app, STRANGER, None, "someone@example.com", "not-the-password-1").await;
    assert_locked(&other_account, "yet another account from the locked-out address");

    // Jane herself, from another address, is not locked out: the lock is the address's.
    let elsewhere = login_from(&app, [198, 51, 100, 20], None, "jane@example.com", PASSWORD).await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text());
    assert_eq!(last_login_ip(&app).await.as_deref(), Some("198.51.100.20"));
    let (_, local) = Client::login(&app, "jane@example.com", PASSWORD).await;
    assert_eq!(local.status, 200, "127.0.0.1 was locked out too: {}", local.text());
}

#[tokio::test]
async fn a_good_password_does_not_reset_the_failures_of_its_address() {
    let app = app().await;
    app.user("jane@example.com").await;
    let peer = [198, 51, 100, 30];
    for attempt in 0..PER_IP - 1 {
        let email = format!("guess{attempt}@example.com");
        login_from(&app, peer, None, &email, "not-the-password-1")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // Jane's login clears her account's count, not her address's: one good password does not
    // vouch for every other attempt from there.
    let jane = login_from(&app, peer, None, "jane@example.com", PASSWORD).await;
    assert_eq!(jane.status, 200, "{}", jane.text());
    login_from(&app, peer, None, "last-guess@example.com", "not-the-password-1")
        .await
        .assert_problem(401, "invalid_credentials");
    assert_locked(&login_from(&app, peer, None, "jane@example.com", PASSWORD).await, "failures");
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_in_x_forwarded_for() {
    let app = app().await;
    app.user("jane@example.com").await;
    // The proxy speaks for the client: the audit trail records the client's address, the
    // last one the proxies (both trusted) did not add themselves.
    for (forwarded, client) in [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.8, 10.0.0.2", "203.0.113.8"),
        // The client may send an X-Forwarded-For of its own; the proxy appends to it, and
        // only what the proxy appended is believed.
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ("not-an-address, 203.0.113.10", "203.0.113.10"),
    ] {
        let login = login_from(&app, PROXY, Some(forwarded), "jane@example.com", PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.text());
        assert_eq!(last_login_ip(&app).await.as_deref(), Some(client), "X-Forwarded-For: {forwarded}");
    }
    // Without the header, the proxy is the client.
    assert_eq!(login_from(&app, PROXY, None, "jane@example.com", PASSWORD).await.status, 200);
    assert_eq!(last_login_ip(&app).await.as_deref(), Some("10.0.0.1"));

    // Failures count against the client behind the proxy, not the proxy: one client locked
    // out leaves the others who come through the same proxy alone.
    fail_from(&app, PROXY, Some("203.0.113.7")).await;
    let locked = login_from(&app, PROXY, Some("203.0.113.7"), "jane@example.com", PASSWORD).await;
    assert_locked(&locked, "the client behind the proxy that failed");
    let neighbour = login_from(&app, PROXY, Some("203.0.113.8"), "jane@example.com", PASSWORD).await;
    assert_eq!(neighbour.status, 200, "another client of the proxy was locked out: {}", neighbour.text());
    // Junk the client put in front of what the proxy appended does not get it out.
    let garbled = login_from(&app, PROXY, Some("junk, 203.0.113.7"), "jane@example.com", PASSWORD).await;
    assert_locked(&garbled, "the locked-out client with a junk X-Forwarded-For of its own");
}

#[tokio::test]
async fn x_forwarded_for_from_anyone_else_is_ignored() {
    let app = app().await;
    app.user("jane@example.com").await;
    // A stranger claiming to forward for someone is recorded as itself.
    let login = login_from(&app, STRANGER, Some("203.0.113.50"), "jane@example.com", PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(last_login_ip(&app).await.as_deref(), Some("192.0.2.66"));

    // Its failures, each claiming to be the proxy's client 203.0.113.50, count against the
    // stranger: it is locked out whatever address it names next …
    fail_from(&app, STRANGER, Some("203.0.113.50")).await;
    for claimed in ["203.0.113.51", "10.0.0.1", "127.0.0.1"] {
        let locked = login_from(&app, STRANGER, Some(claimed), "jane@example.com", PASSWORD).await;
        assert_locked(&locked, &format!("the stranger claiming {claimed}"));
    }
    // … and the client it named, coming through the real proxy, is not locked out.
    let victim = login_from(&app, PROXY, Some("203.0.113.50"), "jane@example.com", PASSWORD).await;
    assert_eq!(victim.status, 200, "a forged header locked out the client it named: {}", victim.text());
    assert_eq!(last_login_ip(&app).await.as_deref(), Some("203.0.113.50"));
}

#[tokio::test]
async fn failures_arriving_at_once_all_count() {
    let app = std::sync::Arc::new(app().await);
    app.user("jane@example.com").await;
    // A burst of guesses in parallel, each on another account, from one address. Every guess
    // that got as far as the password check must count, or a brute-forcer sending bursts
    // would dodge the limit.
    let peer = [198, 51, 100, 40];
    let mut burst = tokio::task::JoinSet::new();
    for attempt in 0..2 * PER_IP {
        let app = app.clone();
        burst.spawn(async move {
            let email = format!("burst{attempt}@example.com");
            login_from(&app, peer, None, &email, "not-the-password-1").await.status.as_u16()
        });
    }
    let answers = burst.join_all().await;
    // A slot is reserved before the password check: no more guesses get there than the limit,
    // and the rest are refused without one.
    assert!(answers.iter().all(|status| [401, 429].contains(status)), "{answers:?}");
    let checked = answers.iter().filter(|status| **status == 401).count();
    assert_eq!(checked, PER_IP, "{answers:?}");
    let counted = baseops_users::model::auth_throttle::Entity::find_by_id("ip:198.51.100.40".to_owned())
        .one(app.state().db().read())
        .await
        .expect("the throttle table")
        .expect("the address's counter")
        .failures;
    assert_eq!(usize::try_from(counted).unwrap(), checked, "failures were lost: {answers:?}");
    assert_locked(&login_from(&app, peer, None, "jane@example.com", PASSWORD).await, "after the burst");
}
