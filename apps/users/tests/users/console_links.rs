//! The console pages e-mailed links open: the link shows a form, the form's POST spends the
//! token through the same services as the API, and every refusal is a page.

use baseops_test_support::{Client, PASSWORD, TestApp, link_token};
use serde_json::json;

const NEW_PASSWORD: &str = "a-much-longer-harbor-phrase-42";

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_console() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let browser = Client::anonymous();
    assert_eq!(browser.get(&app, "/admin/forgot-password").await.status, 200);
    let known = browser.post_form(&app, "/admin/forgot-password", &[("email", "jane@example.com")]).await;
    let unknown = browser.post_form(&app, "/admin/forgot-password", &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status, known.text()), (unknown.status, unknown.text()), "the same answer");
    assert!(known.text().contains("Check your mail"), "{}", known.text());
    let malformed = browser.post_form(&app, "/admin/forgot-password", &[("email", "not-an-address")]).await;
    assert_eq!(malformed.status, 422);
    assert!(malformed.text().contains("field-error"), "{}", malformed.text());

    let token = link_token(&app.only_email_to("jane@example.com").await);
    let page = browser.get(&app, &format!("/admin/reset-password?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains(&format!("value=\"{token}\"")), "{}", page.text());

    let weak = browser
        .post_form(&app, "/admin/reset-password", &[("token", &token), ("new_password", "short")])
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.text().contains("field-error"), "{}", weak.text());
    let set = browser
        .post_form(&app, "/admin/reset-password", &[("token", &token), ("new_password", NEW_PASSWORD)])
        .await;
    assert_eq!(set.status, 200, "the weak try left the link working: {}", set.text());
    assert!(set.text().contains("Your password is set"));
    let again = browser
        .post_form(&app, "/admin/reset-password", &[("token", &token), ("new_password", NEW_PASSWORD)])
        .await;
    assert_eq!(again.status, 400, "a link works once");
    assert!(again.header("content-type").unwrap().starts_with("text/html"));

    let (_, old) = Client::login(&app, "jane@example.com", PASSWORD).await;
    assert_eq!(old.status, 401);
    let (_, new) = Client::login(&app, "jane@example.com", NEW_PASSWORD).await;
    assert_eq!(new.status, 200);
    assert_eq!(browser.get(&app, "/admin/reset-password?token=").await.status, 400);
}

#[tokio::test]
async fn opening_a_verification_link_verifies_only_when_confirmed() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let jane = Client::logged_in(&app, "jane@example.com").await;
    assert_eq!(jane.post(&app, "/api/v1/me/verify-email", json!({})).await.status, 202);
    let token = link_token(&app.only_email_to("jane@example.com").await);

    let browser = Client::anonymous();
    let page = browser.get(&app, &format!("/admin/verify-email?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(
        jane.get(&app, "/api/v1/me").await.json()["user"]["email_verified_at"].is_null(),
        "a GET spends nothing"
    );
    let done = browser.post_form(&app, "/admin/verify-email", &[("token", &token)]).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(jane.get(&app, "/api/v1/me").await.json()["user"]["email_verified_at"].is_string());
}

#[tokio::test]
async fn an_invitation_is_accepted_with_a_new_account_or_a_signed_in_one() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    for email in ["new@example.com", "known@example.com"] {
        let invited = owner.post(&app, "/api/v1/invitations", json!({"email": email, "role": "sales"})).await;
        assert_eq!(invited.status, 201, "{}", invited.text());
    }
    let browser = Client::anonymous();
    let token = link_token(&app.only_email_to("new@example.com").await);
    let page = browser.get(&app, &format!("/admin/accept-invitation?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("display_name"), "{}", page.text());
    let weak = [("token", token.as_str()), ("display_name", "New Person"), ("password", "short")];
    assert_eq!(browser.post_form(&app, "/admin/accept-invitation", &weak).await.status, 422);
    let fields = [("token", token.as_str()), ("display_name", "New Person"), ("password", NEW_PASSWORD)];
    let joined = browser.post_form(&app, "/admin/accept-invitation", &fields).await;
    assert_eq!(joined.status, 200, "{}", joined.text());
    let (_, login) = Client::login(&app, "new@example.com", NEW_PASSWORD).await;
    assert_eq!(login.status, 200);

    app.user("known@example.com").await;
    let known = Client::logged_in(&app, "known@example.com").await;
    let token = link_token(&app.only_email_to("known@example.com").await);
    let page = known.get(&app, &format!("/admin/accept-invitation?token={token}")).await;
    assert!(page.text().contains("known@example.com"), "{}", page.text());
    let html = page.text();
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = html[start..].split('"').next().unwrap().to_owned();
    let forged = known.post_form(&app, "/admin/accept-invitation", &[("token", &token)]).await;
    assert_eq!(forged.status, 403, "a signed-in form needs its token");
    let joined =
        known.post_form(&app, "/admin/accept-invitation", &[("token", &token), ("csrf_token", &csrf)]).await;
    assert_eq!(joined.status, 200, "{}", joined.text());
    let orgs = known.get(&app, "/api/v1/organizations").await;
    assert!(orgs.text().contains("Acme"), "{}", orgs.text());
}
