//! Create, read, update, delete; list filters, sorting and cursors; idempotent create.

use baseops_test_support::{Client, TestApp};
use http::Method;
use serde_json::json;

use crate::support::{all_leads, create_lead};

#[tokio::test]
async fn a_lead_is_created_normalized_audited_and_announced() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let lead = create_lead(
        &app,
        &owner,
        json!({
            "first_name": " Ada ", "last_name": "Lovelace", "email": "ADA@Example.com",
            "phone": "(201) 555-0123", "company": "Analytical Engines", "website": "analytical.example",
            "value_amount": 125000, "tags": ["VIP", "vip", "tech"], "utm_campaign": "spring",
            "source": "web_form"
        }),
    )
    .await;
    assert_eq!(lead["first_name"], "Ada");
    assert_eq!(lead["email"], "ada@example.com");
    assert_eq!(lead["phone"], "+12015550123");
    assert_eq!(lead["website"], "https://analytical.example");
    assert_eq!(lead["currency"], "EUR", "the organization's currency by default");
    assert_eq!(lead["tags"], json!(["vip", "tech"]));
    assert_eq!(lead["status"], "open");
    assert_eq!(lead["owner_id"], owner.user_id.to_string(), "the creator owns it without rules");
    assert_eq!(lead["version"], 1);

    let id = lead["id"].as_str().unwrap();
    let detail = owner.get(&app, &format!("/api/v1/leads/{id}")).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.header("etag"), Some("\"1\""));
    assert_eq!(detail.json(), lead, "the create answer is the stored lead");

    let audited = app.audit(Some(owner.organization_id), "lead.create").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entity_id, id);
    let events = app.event_names().await;
    assert!(events.contains(&"lead.created".to_owned()), "{events:?}");
    app.run_jobs().await;
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let cases = [
        json!({}),
        json!({"email": "not-an-email"}),
        json!({"first_name": "A", "phone": "call me maybe"}),
        json!({"first_name": "A", "value_amount": -5}),
        json!({"first_name": "A", "currency": "EURO"}),
        json!({"first_name": "A", "currency": "XYZ"}),
        json!({"first_name": "A", "value_amount": 1_000_000_000_000_001_i64}),
        json!({"email": "ada@localhost"}),
        json!({"first_name": "A", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        json!({"first_name": "x".repeat(101)}),
        json!({"first_name": "A", "stage_id": uuid::Uuid::now_v7()}),
        json!({"first_name": "A", "owner_id": uuid::Uuid::now_v7()}),
        json!({"first_name": "A", "admin": true}),
        json!({"first_name": "A", "score": "high"}),
    ];
    for body in cases {
        owner.post(&app, "/api/v1/leads", body.clone()).await.assert_problem(422, "validation_failed");
    }
    let sql = create_lead(
        &app,
        &owner,
        json!({"last_name": "'; DROP TABLE leads; --", "company": "<script>x</script>"}),
    )
    .await;
    assert_eq!(sql["last_name"], "'; DROP TABLE leads; --");
    let malformed =
        owner.send(&app, Method::POST, "/api/v1/leads", None, &[("content-type", "application/json")]).await;
    assert_eq!(malformed.status.as_u16(), 400);
    assert_eq!(all_leads(&app, &owner, "").await.len(), 1);

    let problem = owner
        .post(&app, "/api/v1/leads", json!({"first_name": "A", "currency": "XYZ"}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"]["currency"][0], "is not a current ISO 4217 currency code");
    let yen =
        create_lead(&app, &owner, json!({"first_name": "B", "value_amount": 500, "currency": "jpy"})).await;
    assert_eq!((yen["value_amount"].as_i64(), yen["currency"].as_str()), (Some(500), Some("JPY")));
}

#[tokio::test]
async fn updates_need_the_current_version() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let lead = create_lead(&app, &owner, json!({"first_name": "Grace", "email": "grace@example.com"})).await;
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());

    owner
        .patch(&app, &path, json!({"company": "Navy"}), None)
        .await
        .assert_problem(428, "precondition_required");
    let updated = owner.patch(&app, &path, json!({"company": "Navy", "email": null}), Some(1)).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.header("etag"), Some("\"2\""));
    let body = updated.json();
    assert_eq!(
        (body["company"].as_str(), body["email"].is_null(), body["version"].as_i64()),
        (Some("Navy"), true, Some(2))
    );
    owner
        .patch(&app, &path, json!({"company": "Army"}), Some(1))
        .await
        .assert_problem(412, "version_mismatch");
    owner
        .patch(&app, &path, json!({"first_name": null, "company": null}), Some(2))
        .await
        .assert_problem(422, "validation_failed");

    let changes = app.audit(Some(owner.organization_id), "lead.update").await;
    assert_eq!(changes.len(), 1);
    let delete = owner.send(&app, Method::DELETE, &path, None, &[("if-match", "\"1\"")]).await;
    delete.assert_problem(412, "version_mismatch");
    assert_eq!(owner.delete(&app, &path).await.status, 204);
    owner.get(&app, &path).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn lists_filter_sort_and_page_without_gaps() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    for index in 0..25 {
        let tags = if index % 5 == 0 { json!(["hot"]) } else { json!([]) };
        create_lead(&app, &owner,
                json!({
                    "first_name": format!("Lead{index:02}"), "last_name": format!("Zed{:02}", 24 - index),
                    "email": format!("lead{index}@example.com"), "company": if index < 3 { "Initech" } else { "Globex" },
                    "value_amount": index * 1000, "score": index % 7, "tags": tags,
                    "source": if index % 2 == 0 { "referral" } else { "web_form" },
                    "utm_campaign": if index == 7 { Some("launch") } else { None }
                }),
            )
            .await;
    }
    let all = all_leads(&app, &owner, "").await;
    assert_eq!(all.len(), 25);
    assert_eq!(all[0]["first_name"], "Lead24", "newest first");

    let mut seen = Vec::new();
    let mut path = "/api/v1/leads?limit=10&sort=-value".to_owned();
    loop {
        let page = owner.get(&app, &path).await.json();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["value_amount"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/leads?limit=10&sort=-value&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<i64> = (0..25).rev().map(|index| index * 1000).collect();
    assert_eq!(seen, expected, "pages follow the sort without gaps or repeats");
    let by_name = all_leads(&app, &owner, "&sort=last_name").await;
    assert_eq!(by_name[0]["last_name"], "Zed00");

    let count = |query: &'static str| {
        let owner = owner.clone();
        let app = &app;
        async move { all_leads(app, &owner, query).await.len() }
    };
    assert_eq!(count("&tag=hot").await, 5);
    assert_eq!(count("&source=referral").await, 13);
    assert_eq!(count("&q=INITECH").await, 3);
    assert_eq!(count("&q=lead1").await, 11, "lead1, lead10..lead19");
    assert_eq!(count("&value_min=20000").await, 5);
    assert_eq!(count("&value_min=1000&value_max=3000").await, 3);
    assert_eq!(count("&utm_campaign=launch").await, 1);
    assert_eq!(count("&status=open").await, 25);
    assert_eq!(count("&owner_id=none").await, 0);
    assert_eq!(count("&q=%25").await, 0, "LIKE wildcards are literal");
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339().replace('+', "%2B");
    assert_eq!(all_leads(&app, &owner, &format!("&created_after={future}")).await.len(), 0);

    owner.get(&app, "/api/v1/leads?cursor=garbage").await.assert_problem(400, "invalid_cursor");
    owner.get(&app, "/api/v1/leads?sort=password").await.assert_problem(422, "validation_failed");
    owner.get(&app, "/api/v1/leads?limit=500").await.assert_problem(422, "validation_failed");
    let first = owner.get(&app, "/api/v1/leads?limit=5").await.json();
    let cursor = first["next_cursor"].as_str().unwrap();
    owner
        .get(&app, &format!("/api/v1/leads?limit=5&sort=score&cursor={cursor}"))
        .await
        .assert_problem(400, "invalid_cursor");
}

#[tokio::test]
async fn a_retried_create_with_an_idempotency_key_creates_one_lead() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let body = json!({"first_name": "Once", "email": "once@example.com"});
    let key = [("idempotency-key", "form-42")];
    let first = owner.send(&app, Method::POST, "/api/v1/leads", Some(body.clone()), &key).await;
    assert_eq!(first.status, 201, "{}", first.text());
    for _ in 0..3 {
        let retry = owner.send(&app, Method::POST, "/api/v1/leads", Some(body.clone()), &key).await;
        assert_eq!(retry.status, 201);
        assert_eq!(retry.json()["id"], first.json()["id"]);
    }
    let other =
        owner.send(&app, Method::POST, "/api/v1/leads", Some(json!({"first_name": "Twice"})), &key).await;
    other.assert_problem(422, "idempotency_key_reused");
    owner
        .send(&app, Method::POST, "/api/v1/leads", Some(body.clone()), &[("idempotency-key", "")])
        .await
        .assert_problem(400, "invalid_idempotency_key");

    // Concurrent retries of one request: still one lead.
    let concurrent = [("idempotency-key", "burst-1")];
    let burst = futures_like_join(&app, &owner, &body, &concurrent).await;
    assert!(burst.iter().all(|status| *status == 201), "{burst:?}");
    assert_eq!(all_leads(&app, &owner, "").await.len(), 2);
    assert_eq!(app.audit(Some(owner.organization_id), "lead.create").await.len(), 2);
}

async fn futures_like_join(
    app: &baseops_test_support::TestApp,
    owner: &Client,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> Vec<u16> {
    let (a, b, c, d) = tokio::join!(
        owner.send(app, Method::POST, "/api/v1/leads", Some(body.clone()), headers),
        owner.send(app, Method::POST, "/api/v1/leads", Some(body.clone()), headers),
        owner.send(app, Method::POST, "/api/v1/leads", Some(body.clone()), headers),
        owner.send(app, Method::POST, "/api/v1/leads", Some(body.clone()), headers),
    );
    [a, b, c, d].iter().map(|response| response.status.as_u16()).collect()
}
