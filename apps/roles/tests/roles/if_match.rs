//! Optimistic concurrency on roles (`PATCH /roles/{id}`) and on a member's role set
//! (`PUT /members/{id}/roles`): each carries a version, read as `version` in `GET /roles` and
//! `GET /members` and sent back as `If-Match`. The header is optional: a stale version is 412
//! and changes nothing, junk is 412, and without it the update works as it always did.

use baseops_test_support::{Client, TestApp, TestResponse};
use http::Method;
use serde_json::{Value, json};

use crate::support::{create_role, member, members, role_id, role_ids, roles};

/// The role `id` as `GET /api/v1/roles` lists it.
async fn role(app: &TestApp, client: &Client, id: &str) -> Value {
    roles(app, client).await.into_iter().find(|role| role["id"] == id).expect("the role")
}

/// `PUT /api/v1/members/{membership}/roles` with these role ids and this `If-Match` header.
async fn put_roles(
    app: &TestApp,
    client: &Client,
    membership: &str,
    roles: &[&str],
    if_match: Option<&str>,
) -> TestResponse {
    let headers: Vec<(&str, &str)> = if_match.iter().map(|value| ("if-match", *value)).collect();
    let path = format!("/api/v1/members/{membership}/roles");
    client.send(app, Method::PUT, &path, Some(json!({ "roles": roles })), &headers).await
}

#[tokio::test]
async fn a_role_is_changed_only_at_the_version_read() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = &org.owner;
    let created = create_role(&app, owner, json!({"name": "Closers", "grants": {"tasks.view": "own"}})).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["version"], 1);
    assert_eq!(role(&app, owner, &id).await["version"], 1);
    let path = format!("/api/v1/roles/{id}");

    let first = owner.patch(&app, &path, json!({"grants": {"tasks.view": "all"}}), Some(1)).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (200, Some("\"2\"")), "{}", first.text());
    assert_eq!(
        (&first.json()["version"], &first.json()["grants"]),
        (&json!(2), &json!({"tasks.view": "all"}))
    );

    // A second writer still holding version 1 changes nothing: neither fields nor grants.
    let stale = json!({"name": "Openers", "grants": {"customers.view": "all"}});
    owner.patch(&app, &path, stale, Some(1)).await.assert_problem(412, "version_mismatch");
    let now = role(&app, owner, &id).await;
    assert_eq!(
        (&now["name"], &now["grants"], &now["version"]),
        (&json!("Closers"), &json!({"tasks.view": "all"}), &json!(2))
    );

    for junk in ["W/\"2\"", "2", "\"-2\""] {
        let body = Some(json!({"name": "Junk"}));
        owner
            .send(&app, Method::PATCH, &path, body, &[("if-match", junk)])
            .await
            .assert_problem(412, "version_mismatch");
    }
    // `*` is any version of a record that exists (RFC 9110), and 404 for one that does not.
    let any =
        owner.send(&app, Method::PATCH, &path, Some(json!({"name": "Closers"})), &[("if-match", "*")]).await;
    assert_eq!((any.status.as_u16(), any.header("etag")), (200, Some("\"2\"")), "{}", any.text());
    let missing = format!("/api/v1/roles/{}", uuid::Uuid::now_v7());
    for header in ["*", "", "junk"] {
        owner
            .send(&app, Method::PATCH, &missing, Some(json!({"name": "Ghost"})), &[("if-match", header)])
            .await
            .assert_problem(404, "not_found");
    }

    let unconditional = owner.patch(&app, &path, json!({"description": "Close the deals"}), None).await;
    assert_eq!(unconditional.status, 200, "{}", unconditional.text());
    assert_eq!(unconditional.header("etag"), Some("\"3\""));
    // Changing nothing keeps the version.
    let same = owner.patch(&app, &path, json!({"name": "Closers"}), Some(3)).await;
    assert_eq!((same.status.as_u16(), same.header("etag")), (200, Some("\"3\"")), "{}", same.text());
    let now = role(&app, owner, &id).await;
    assert_eq!(
        (&now["name"], &now["description"], &now["version"]),
        (&json!("Closers"), &json!("Close the deals"), &json!(3))
    );
    assert_eq!(app.audit(Some(org.id), "role.update").await.len(), 2, "only the changes are audited");

    // Another organization's owner cannot reach the role, whatever version they name.
    let globex = app.organization("Globex").await;
    globex.owner.patch(&app, &path, json!({"name": "Ours"}), Some(3)).await.assert_problem(404, "not_found");
    assert_eq!(role(&app, owner, &id).await["version"], 3);
}

#[tokio::test]
async fn a_members_roles_are_replaced_only_at_the_version_read() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = &org.owner;
    let sales = app.member_with_email(org.id, "sam@acme.test", "sales").await;
    let listed = members(&app, owner).await;
    let membership = member(&listed, &sales.email)["id"].as_str().expect("an id").to_owned();
    assert_eq!(member(&listed, &sales.email)["version"], 1, "joining with a first role is version 1");
    let (viewer, accountant, sales_role) = (
        role_id(&app, owner, "viewer").await,
        role_id(&app, owner, "accountant").await,
        role_id(&app, owner, "sales").await,
    );

    let first = put_roles(&app, owner, &membership, &[&viewer], Some("\"1\"")).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (204, Some("\"2\"")), "{}", first.text());

    // A second writer still holding version 1 changes nothing.
    let stale = put_roles(&app, owner, &membership, &[&accountant, &sales_role], Some("\"1\"")).await;
    stale.assert_problem(412, "version_mismatch");
    let now = members(&app, owner).await;
    assert_eq!(role_ids(&now, &sales.email), vec![viewer.clone()]);
    assert_eq!(member(&now, &sales.email)["version"], 2);

    for junk in ["W/\"2\"", "2", "\"2\" junk"] {
        put_roles(&app, owner, &membership, &[&accountant], Some(junk))
            .await
            .assert_problem(412, "version_mismatch");
    }

    let unconditional = put_roles(&app, owner, &membership, &[&accountant], None).await;
    assert_eq!((unconditional.status.as_u16(), unconditional.header("etag")), (204, Some("\"3\"")));
    // The same set again changes nothing and keeps the version.
    let same = put_roles(&app, owner, &membership, &[&accountant], Some("\"3\"")).await;
    assert_eq!((same.status.as_u16(), same.header("etag")), (204, Some("\"3\"")));
    let now = members(&app, owner).await;
    assert_eq!(
        (role_ids(&now, &sales.email), &member(&now, &sales.email)["version"]),
        (vec![accountant.clone()], &json!(3))
    );
    assert_eq!(
        app.audit(Some(org.id), "membership.roles_set").await.len(),
        2,
        "only the changes are audited"
    );

    // Refused changes leave the version where it was.
    put_roles(&app, owner, &membership, &["nope"], Some("\"3\""))
        .await
        .assert_problem(422, "validation_failed");
    let unknown = uuid::Uuid::now_v7().to_string();
    put_roles(&app, owner, &membership, &[&unknown], Some("\"3\""))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(member(&members(&app, owner).await, &sales.email)["version"], 3);

    // Another organization's owner cannot reach the member, whatever version they name.
    let globex = app.organization("Globex").await;
    let theirs = role_id(&app, &globex.owner, "viewer").await;
    put_roles(&app, &globex.owner, &membership, &[&theirs], Some("\"3\""))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(role_ids(&members(&app, owner).await, &sales.email), vec![accountant]);
}

#[tokio::test]
async fn concurrent_writers_with_the_same_version_replace_a_members_roles_once() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = &org.owner;
    let sales = app.member_with_email(org.id, "sam@acme.test", "sales").await;
    let membership =
        member(&members(&app, owner).await, &sales.email)["id"].as_str().expect("an id").to_owned();
    let mut candidates = Vec::new();
    for key in ["viewer", "accountant", "marketer", "support"] {
        candidates.push(role_id(&app, owner, key).await);
    }
    let write = |role: &str| {
        let (app, membership, role) = (&app, membership.clone(), role.to_owned());
        async move { put_roles(app, owner, &membership, &[&role], Some("\"1\"")).await.status.as_u16() }
    };
    let (a, b, c, d) = tokio::join!(
        write(&candidates[0]),
        write(&candidates[1]),
        write(&candidates[2]),
        write(&candidates[3])
    );
    let mut statuses = [a, b, c, d];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 412, 412, 412]);
    let now = members(&app, owner).await;
    assert_eq!(member(&now, &sales.email)["version"], 2);
    assert_eq!(role_ids(&now, &sales.email).len(), 1, "one writer's set, not a mix: {now}");
    assert_eq!(app.audit(Some(org.id), "membership.roles_set").await.len(), 1);
}
