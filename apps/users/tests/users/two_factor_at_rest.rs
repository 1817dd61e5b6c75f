//! Two-factor secrets at rest: the database holds a sealed secret, never the base32 one shown
//! at enrolment; a sealed secret copied to another account does not open there; a secret
//! stored in clear before sealing still works and is sealed once it accepts a code.

use baseops_test_support::{Client, PASSWORD, TestApp, TestResponse};
use baseops_users::model::user;
use baseops_users::two_factor::{base32, code_at, from_base32, new_secret};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

async fn stored_secret(app: &TestApp, user_id: Uuid) -> String {
    let found = user::Entity::find_by_id(user_id).one(app.state().db().read()).await.unwrap().unwrap();
    found.totp_secret.expect("a stored secret")
}

/// Stores `secret` as the user's, with two-factor login on, as an older version would have.
async fn store_secret(app: &TestApp, user_id: Uuid, secret: &str) {
    user::Entity::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(secret))
        .col_expr(user::Column::TotpEnabledAt, Expr::value(chrono::Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(app.state().db().write())
        .await
        .unwrap();
}

async fn login_with_code(app: &TestApp, email: &str, code: &str) -> TestResponse {
    let body = json!({"email": email, "password": PASSWORD, "totp_code": code});
    Client::anonymous().post(app, "/api/v1/auth/login", body).await
}

#[tokio::test]
async fn the_database_holds_a_sealed_secret_that_opens_for_its_own_account_only() {
    let app = TestApp::new().await;
    let jane = app.user("jane@example.com").await;
    let bob = app.user("bob@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let setup = client.post(&app, "/api/v1/me/two-factor/setup", json!({})).await;
    assert_eq!(setup.status, 200, "{}", setup.text());
    let shown = setup.json()["secret"].as_str().unwrap().to_owned();

    let stored = stored_secret(&app, jane).await;
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(!stored.contains(&shown), "the column holds the secret in clear: {stored}");

    let secret = from_base32(&shown).unwrap();
    let enabled = client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": code_at(&secret, now() - 30).unwrap()}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());
    assert_eq!(stored_secret(&app, jane).await, stored, "a sealed secret was sealed again");
    let code = code_at(&secret, now()).unwrap();
    assert_eq!(login_with_code(&app, "jane@example.com", &code).await.status, 200);

    // Jane's sealed secret in Bob's row: an internal error, not a way in.
    store_secret(&app, bob, &stored).await;
    let copied = login_with_code(&app, "bob@example.com", &code_at(&secret, now() + 30).unwrap()).await;
    copied.assert_problem(500, "internal_error");
}

#[tokio::test]
async fn a_secret_stored_in_clear_still_works_and_is_sealed_once_it_accepts_a_code() {
    let app = TestApp::new().await;
    let jane = app.user("jane@example.com").await;
    let secret = new_secret();
    store_secret(&app, jane, &base32(&secret)).await;

    login_with_code(&app, "jane@example.com", "000000").await.assert_problem(401, "invalid_second_factor");
    assert_eq!(stored_secret(&app, jane).await, base32(&secret), "a wrong code sealed the secret");
    let ok = login_with_code(&app, "jane@example.com", &code_at(&secret, now()).unwrap()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let stored = stored_secret(&app, jane).await;
    assert!(stored.starts_with("v1:") && !stored.contains(&base32(&secret)), "{stored}");
    // The sealed secret accepts the next code.
    let next = login_with_code(&app, "jane@example.com", &code_at(&secret, now() + 30).unwrap()).await;
    assert_eq!(next.status, 200, "{}", next.text());
}
