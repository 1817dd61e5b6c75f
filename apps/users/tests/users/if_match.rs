//! Optimistic concurrency on the users app's updates: an organization
//! (`PATCH /organizations/{id}`) and the user's profile (`PATCH /me`) carry a version, read
//! as `version` (and as the `ETag` of `GET /me`) and sent back as `If-Match`. The header is
//! optional: a stale version is 412 and changes nothing, junk is 412, and without it the
//! update works as it always did.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

/// The organization `id` as `GET /api/v1/organizations` lists it to `client`.
async fn organization(app: &TestApp, client: &Client, id: &str) -> Value {
    let response = client.get(app, "/api/v1/organizations").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let listed = response.json();
    listed.as_array().expect("a list").iter().find(|org| org["id"] == id).expect("the organization").clone()
}

#[tokio::test]
async fn an_organization_is_changed_only_at_the_version_read() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = &org.owner;
    let id = org.id.to_string();
    let path = format!("/api/v1/organizations/{id}");
    assert_eq!(organization(&app, owner, &id).await["version"], 1);

    let first = owner.patch(&app, &path, json!({"name": "Acme Europe"}), Some(1)).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (200, Some("\"2\"")), "{}", first.text());
    assert_eq!(first.json()["version"], 2);

    // A second writer still holding version 1 changes nothing.
    let stale =
        owner.patch(&app, &path, json!({"name": "Acme Stale", "time_zone": "Asia/Tokyo"}), Some(1)).await;
    stale.assert_problem(412, "version_mismatch");
    let now = organization(&app, owner, &id).await;
    assert_eq!(
        (&now["name"], &now["time_zone"], &now["version"]),
        (&json!("Acme Europe"), &json!("UTC"), &json!(2))
    );

    for junk in ["W/\"2\"", "2", "\"two\""] {
        let response = owner
            .send(&app, http::Method::PATCH, &path, Some(json!({"name": "Junk"})), &[("if-match", junk)])
            .await;
        response.assert_problem(412, "version_mismatch");
    }

    // Without If-Match the change applies, and still moves the version.
    let unconditional = owner.patch(&app, &path, json!({"currency": "GBP"}), None).await;
    assert_eq!(unconditional.status, 200, "{}", unconditional.text());
    assert_eq!(unconditional.header("etag"), Some("\"3\""));
    // Changing nothing keeps the version.
    let same = owner.patch(&app, &path, json!({"currency": "GBP"}), Some(3)).await;
    assert_eq!((same.status.as_u16(), same.header("etag")), (200, Some("\"3\"")), "{}", same.text());
    let now = organization(&app, owner, &id).await;
    assert_eq!(
        (&now["name"], &now["currency"], &now["version"]),
        (&json!("Acme Europe"), &json!("GBP"), &json!(3))
    );
    assert_eq!(app.audit(Some(org.id), "organization.update").await.len(), 2, "only the changes are audited");

    // Another organization stays out of reach, whatever version is named.
    let globex = app.organization("Globex").await;
    let theirs = format!("/api/v1/organizations/{}", globex.id);
    owner.patch(&app, &theirs, json!({"name": "Mine"}), Some(1)).await.assert_problem(404, "not_found");
    owner.patch(&app, &theirs, json!({"name": "Mine"}), Some(7)).await.assert_problem(404, "not_found");
    assert_eq!(organization(&app, &globex.owner, &globex.id.to_string()).await["version"], 1);
}

#[tokio::test]
async fn a_profile_is_changed_only_at_the_version_read() {
    let app = TestApp::new().await;
    let ada = app.signed_in_as_role("viewer").await;
    let me = ada.get(&app, "/api/v1/me").await;
    assert_eq!((me.status.as_u16(), me.header("etag")), (200, Some("\"1\"")), "{}", me.text());
    assert_eq!(me.json()["user"]["version"], 1);

    let first = ada.patch(&app, "/api/v1/me", json!({"display_name": "Ada Lovelace"}), Some(1)).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (200, Some("\"2\"")), "{}", first.text());
    assert_eq!(first.json()["version"], 2);

    let stale =
        ada.patch(&app, "/api/v1/me", json!({"display_name": "Ada Byron", "locale": "fr"}), Some(1)).await;
    stale.assert_problem(412, "version_mismatch");
    let now = ada.get(&app, "/api/v1/me").await;
    assert_eq!(now.header("etag"), Some("\"2\""));
    let user = &now.json()["user"];
    assert_eq!((&user["display_name"], &user["locale"]), (&json!("Ada Lovelace"), &json!("en")));

    for junk in ["\"\"", "1", "\"1\", \"2\""] {
        let response = ada
            .send(
                &app,
                http::Method::PATCH,
                "/api/v1/me",
                Some(json!({"locale": "de"})),
                &[("if-match", junk)],
            )
            .await;
        response.assert_problem(412, "version_mismatch");
    }

    let unconditional = ada.patch(&app, "/api/v1/me", json!({"time_zone": "Europe/London"}), None).await;
    assert_eq!(unconditional.status, 200, "{}", unconditional.text());
    assert_eq!(unconditional.header("etag"), Some("\"3\""));
    assert_eq!(app.audit(None, "user.update").await.len(), 2, "only the changes are audited");

    // Signing in touches the user row but not the profile: the version stays.
    Client::logged_in(&app, &ada.email).await;
    let now = ada.get(&app, "/api/v1/me").await;
    assert_eq!(now.header("etag"), Some("\"3\""));
    let user = &now.json()["user"];
    assert_eq!(
        (&user["display_name"], &user["time_zone"], &user["locale"]),
        (&json!("Ada Lovelace"), &json!("Europe/London"), &json!("en"))
    );
}
