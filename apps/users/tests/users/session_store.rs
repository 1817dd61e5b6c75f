//! Sessions through the configured store: Redis when `BASEOPS_TEST_REDIS_URL` points to a
//! server (CI sets it), the database otherwise. Login, rotation, logout, logout everywhere,
//! a password change and a deactivation must behave the same on both.

use baseops_test_support::{Client, PASSWORD, TestApp};
use sea_orm::EntityTrait;
use serde_json::json;

/// The build with sessions in Redis when the test has one (then `true`), in the database otherwise.
async fn app() -> (TestApp, bool) {
    // The database store when Redis is absent (recorded as a skip of the Redis store, a
    // failure when the full variant requires Redis).
    match baseops_test_support::services::redis_url() {
        Some(url) => {
            let prefix = format!("baseops_test_{}:", uuid::Uuid::now_v7().simple());
            let settings = [
                ("BASEOPS_SESSION__STORE", "redis"),
                ("BASEOPS_REDIS__URL", url.as_str()),
                ("BASEOPS_REDIS__KEY_PREFIX", &prefix),
            ];
            (TestApp::with_settings(&settings).await, true)
        }
        None => (TestApp::new().await, false),
    }
}

#[tokio::test]
async fn sessions_live_end_and_rotate_in_the_configured_store() {
    let (app, redis) = app().await;
    let user_id = app.user("jane@example.com").await;
    app.join(user_id, app.org().await.id, "sales").await;
    let laptop = Client::logged_in(&app, "jane@example.com").await;
    let phone = Client::logged_in(&app, "jane@example.com").await;
    assert_eq!(laptop.get(&app, "/api/v1/me").await.status, 200);

    let sessions_in_table =
        baseops_users::model::session::Entity::find().all(app.state().db().read()).await.unwrap();
    assert_eq!(sessions_in_table.is_empty(), redis, "sessions went to the wrong store");

    // Rotation: logging in again from the laptop ends its old session.
    let relogin = laptop
        .post(&app, "/api/v1/auth/login", json!({"email": "jane@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(relogin.status, 200);
    assert_eq!(laptop.get(&app, "/api/v1/me").await.status, 401);

    let tablet = Client::logged_in(&app, "jane@example.com").await;
    let changed = tablet
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "violet-harbor-77-lamp"}),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    assert_eq!(
        phone.get(&app, "/api/v1/me").await.status,
        401,
        "the password change left another session alive"
    );
    assert_eq!(tablet.get(&app, "/api/v1/me").await.status, 200, "the password change ended its own session");

    assert_eq!(tablet.post(&app, "/api/v1/auth/logout", json!({})).await.status, 204);
    assert_eq!(tablet.get(&app, "/api/v1/me").await.status, 401);

    let (a, _) = Client::login(&app, "jane@example.com", "violet-harbor-77-lamp").await;
    let (b, _) = Client::login(&app, "jane@example.com", "violet-harbor-77-lamp").await;
    assert_eq!(a.post(&app, "/api/v1/auth/logout-all", json!({})).await.status, 204);
    assert_eq!(b.get(&app, "/api/v1/me").await.status, 401);

    let (c, _) = Client::login(&app, "jane@example.com", "violet-harbor-77-lamp").await;
    app.superuser("root@example.com").await;
    let root = Client::logged_in(&app, "root@example.com").await;
    assert_eq!(root.post(&app, &format!("/api/v1/users/{user_id}/deactivate"), json!({})).await.status, 204);
    assert_eq!(c.get(&app, "/api/v1/me").await.status, 401, "deactivation left a session alive");
}

#[tokio::test]
async fn a_refresh_never_brings_back_a_session_another_node_ended() {
    use baseops_users::model::session;
    use baseops_users::session_store::SessionStore;
    use chrono::{Duration, Utc};

    let (app, _) = app().await;
    let user_id = app.user("jane@example.com").await;
    let (store, settings, db) = (SessionStore::of(app.state()), app.settings(), app.state().db().write());
    let token = "a-session-token-read-by-node-a-0123456789";
    let now = Utc::now();
    let row = session::Model {
        id: uuid::Uuid::now_v7(),
        token_hash: baseops_users::secret::digest(token),
        user_id,
        csrf_token: "csrf".into(),
        ip: None,
        user_agent: None,
        created_at: now - Duration::minutes(2),
        last_seen_at: now - Duration::minutes(2),
        expires_at: now + Duration::hours(1),
    };
    store.insert(db, settings, &row).await.unwrap();
    // Node A reads the session for a request; meanwhile node B logs the user out everywhere;
    // then node A marks the session used, from what it read.
    let read = store.find_live(db, settings, token, now).await.unwrap().expect("a live session");
    assert_eq!(store.remove_for_user(db, user_id, None).await.unwrap(), 1);
    store.touch(db, settings, &read, now).await.unwrap();
    assert!(
        store.find_live(db, settings, token, now).await.unwrap().is_none(),
        "the refresh brought back a session that was ended"
    );
}

#[tokio::test]
async fn a_user_lists_and_ends_their_sessions_in_the_configured_store() {
    let (app, _) = app().await;
    app.user("jane@example.com").await;
    app.user("john@example.com").await;
    let laptop = Client::logged_in(&app, "jane@example.com").await;
    let phone = Client::logged_in(&app, "jane@example.com").await;
    let john = Client::logged_in(&app, "john@example.com").await;

    let listed = laptop.get(&app, "/api/v1/me/sessions").await.json();
    let sessions = listed.as_array().expect("a list");
    assert_eq!(sessions.len(), 2, "{listed}");
    let other = sessions.iter().find(|s| s["current"] == false).expect("the phone")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let johns = john.get(&app, "/api/v1/me/sessions").await.json()[0]["id"].as_str().unwrap().to_owned();
    laptop.delete(&app, &format!("/api/v1/me/sessions/{johns}")).await.assert_problem(404, "not_found");
    assert_eq!(laptop.delete(&app, &format!("/api/v1/me/sessions/{other}")).await.status, 204);
    assert_eq!(phone.get(&app, "/api/v1/me").await.status, 401, "the ended session lives on");
    assert_eq!(john.get(&app, "/api/v1/me").await.status, 200);
    assert_eq!(laptop.get(&app, "/api/v1/me/sessions").await.json().as_array().unwrap().len(), 1);
}
