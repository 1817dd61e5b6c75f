//! Bad input against every write of the API that takes JSON: each answer is a clear 4xx
//! (problem+json) within a second, nothing is changed, and the server keeps answering.
//! The operations come from the OpenAPI document, so a new endpoint is covered when it lands.

use std::time::{Duration, Instant};

use axum::body::Body;
use baseops_test_support::TestApp;
use http::{Method, header};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

/// A bad body, its content type, and what it is.
struct Bad {
    what: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

fn bad_bodies() -> Vec<Bad> {
    let huge_list = format!("{{\"tags\": [{}]}}", vec!["\"t\""; 100_000].join(","));
    let huge_object =
        format!("{{{}}}", (0..100_000).map(|i| format!("\"k{i}\": 1")).collect::<Vec<_>>().join(","));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let json = "application/json";
    vec![
        Bad { what: "a list of 100,000 items", content_type: json, body: huge_list.into_bytes() },
        Bad { what: "an object of 100,000 members", content_type: json, body: huge_object.into_bytes() },
        Bad { what: "100,000 levels of nesting", content_type: json, body: deep.into_bytes() },
        Bad { what: "invalid UTF-8", content_type: json, body: b"{\"name\": \"\xff\xfe\"}".to_vec() },
        Bad {
            what: "a NUL byte in text",
            content_type: json,
            body: br#"{"name": "a\u0000b", "title": "a\u0000b", "email": "a\u0000b@example.com"}"#.to_vec(),
        },
        Bad {
            what: "another control character",
            content_type: json,
            body: br#"{"name": "a\u001bb"}"#.to_vec(),
        },
        Bad {
            what: "a huge number",
            content_type: json,
            body: br#"{"amount": 1e400, "limit": 1e400}"#.to_vec(),
        },
        Bad { what: "truncated JSON", content_type: json, body: br#"{"name": "#.to_vec() },
        Bad { what: "an empty body", content_type: json, body: Vec::new() },
        Bad { what: "a body that is not JSON", content_type: "text/plain", body: b"name=x".to_vec() },
    ]
}

/// Every write taking a JSON body, with its path parameters filled with fresh ids.
fn json_writes(document: &Value) -> Vec<(Method, String)> {
    let mut writes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let takes_json = operation.pointer("/requestBody/content/application~1json").is_some();
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            if !takes_json || !path.starts_with("/api/v1/") {
                continue;
            }
            let filled: Vec<String> =
                path.split('/')
                    .map(|part| {
                        if part.starts_with('{') { uuid::Uuid::now_v7().to_string() } else { part.to_owned() }
                    })
                    .collect();
            writes.push((method, filled.join("/")));
        }
    }
    writes
}

async fn audit_events(app: &TestApp) -> i64 {
    let db = app.state().db().write();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn every_json_write_refuses_bad_bodies_quickly_and_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let document = serde_json::to_value(baseops_server::openapi_document(app.apps())).unwrap();
    let writes = json_writes(&document);
    assert!(writes.len() > 30, "only {} writes take JSON", writes.len());
    let before = audit_events(&app).await;
    let mut problems = Vec::new();
    for bad in bad_bodies() {
        for (method, path) in &writes {
            let request = owner
                .request(method.clone(), path, &[])
                .header(header::CONTENT_TYPE, bad.content_type)
                .body(Body::from(bad.body.clone()))
                .unwrap();
            let started = Instant::now();
            let response = app.send(request).await;
            let took = started.elapsed();
            let status = response.status.as_u16();
            if !(400..500).contains(&status) || took > Duration::from_secs(1) {
                problems.push(format!("{method} {path} with {}: {status} in {took:?}", bad.what));
            } else if response.header("content-type") != Some("application/problem+json") {
                problems.push(format!("{method} {path} with {}: {status} is not problem+json", bad.what));
            }
        }
    }
    assert!(problems.is_empty(), "{} bad answers:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(audit_events(&app).await, before, "a refused request changed something");
    assert_eq!(app.get("/healthz").await.status, 200, "the server still answers");
}
