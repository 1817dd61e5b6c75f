//! The platform through HTTP, as a client sees it: errors, headers, health, metrics, OpenAPI,
//! migrations and shutdown. Runs on SQLite, and on PostgreSQL when BASEOPS_TEST_DATABASE_URL
//! is set.

mod metrics_access;

use std::time::Duration;

use axum::body::Body;
use baseops_db::DbError;
use baseops_test_support::fixture::fixture_app;
use baseops_test_support::{TestApp, raw_request};
use http::{Request, header};
use serde_json::json;

async fn with_fixture() -> TestApp {
    TestApp::builder().apps(vec![fixture_app()]).build().await
}

fn post(path: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

#[tokio::test]
async fn health_and_readiness_answer_when_all_is_well() {
    let app = TestApp::new().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(ready.json()["status"], "ready");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone_while_health_stays_up() {
    let app = TestApp::new().await;
    app.lose_database().await;
    let ready = app.get("/readyz").await;
    let problem = ready.assert_problem(503, "unavailable");
    assert!(problem["detail"].as_str().unwrap().contains("database"), "{problem}");
    assert_eq!(app.get("/healthz").await.status, 200, "liveness does not depend on the database");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_valid_client_one() {
    let app = TestApp::new().await;
    let generated = app.get("/healthz").await;
    let id = generated.header("x-request-id").unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let request =
        Request::get("/healthz").header("x-request-id", "proxy-abc.123").body(Body::empty()).unwrap();
    assert_eq!(app.send(request).await.header("x-request-id"), Some("proxy-abc.123"));

    let request =
        Request::get("/healthz").header("x-request-id", "evil\"id with spaces").body(Body::empty()).unwrap();
    let replaced = app.send(request).await;
    assert_ne!(replaced.header("x-request-id"), Some("evil\"id with spaces"));
    assert_eq!(replaced.header("x-request-id").unwrap().len(), 36);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = TestApp::new().await;
    app.get("/no/such/route").await.assert_problem(404, "not_found");
    app.get("/api/v1/nothing-here").await.assert_problem(404, "not_found");

    let wrong_method = app.send(Request::delete("/healthz").body(Body::empty()).unwrap()).await;
    wrong_method.assert_problem(405, "method_not_allowed");
    assert!(wrong_method.header("allow").unwrap().contains("GET"), "Allow header kept");
}

#[tokio::test]
async fn json_input_errors_get_the_documented_statuses() {
    let app = with_fixture().await;
    let echo = "/api/v1/fixture/echo";

    let malformed = app.send(post(echo, Some("application/json"), "{\"name\": \"x\",")).await;
    malformed.assert_problem(400, "malformed_json");

    let wrong_type = app.send(post(echo, Some("text/plain"), "{\"name\":\"x\",\"count\":1}")).await;
    wrong_type.assert_problem(415, "unsupported_media_type");
    let missing_type = app.send(post(echo, None, "{\"name\":\"x\",\"count\":1}")).await;
    missing_type.assert_problem(415, "unsupported_media_type");

    let problem = app
        .post_json(echo, &json!({"name": "x", "count": "three"}))
        .await
        .assert_problem(422, "validation_failed");
    assert!(problem["errors"]["count"][0].as_str().unwrap().contains("invalid type"), "{problem}");

    let problem = app
        .post_json(echo, &json!({"name": "x", "count": -1}))
        .await
        .assert_problem(422, "validation_failed");
    assert!(problem["errors"]["count"].is_array(), "{problem}");

    let problem = app.post_json(echo, &json!({"count": 1})).await.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"]["name"][0], "missing field `name`", "{problem}");

    let problem = app
        .post_json(echo, &json!({"name": "x", "count": 1, "admin": true}))
        .await
        .assert_problem(422, "validation_failed");
    assert!(
        problem["errors"]["admin"][0].as_str().unwrap().starts_with("unknown field `admin`"),
        "{problem}"
    );

    let problem = app
        .post_json(echo, &json!({"name": "   ", "count": 1}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"]["name"][0], "must not be blank");

    let problem = app.post_json(echo, &json!("just a string")).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["body"].is_array(), "{problem}");
}

#[tokio::test]
async fn hostile_but_valid_input_is_data_not_code() {
    let app = with_fixture().await;
    for name in
        ["Zoë 北京 🚀", "'; DROP TABLE fixture_notes; --", "<script>alert(1)</script>", "tab\tand\nlines"]
    {
        let response = app.post_json("/api/v1/fixture/echo", &json!({"name": name, "count": 7})).await;
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["name"], name);
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
    assert_eq!(app.get("/api/v1/fixture/notes/count").await.json(), 0, "the table is intact");
    // Control characters no text holds (a NUL is a 500 on PostgreSQL, stored on SQLite) are
    // refused the same way on both, at their field.
    for (name, code_point) in [("\u{0000}nul", "U+0000"), ("bell\u{7}", "U+0007"), ("c1\u{85}", "U+0085")] {
        let problem = app
            .post_json("/api/v1/fixture/echo", &json!({"name": name, "count": 7}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(
            problem["errors"]["name"][0],
            format!("must not contain the control character {code_point}"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = with_fixture().await;
    let twenty_mb = vec![b'x'; 20 * 1024 * 1024];
    let response = app.send(post("/api/v1/fixture/echo", Some("application/json"), twenty_mb.clone())).await;
    response.assert_problem(413, "payload_too_large");
    // Any route: the limit applies before routing decides anything.
    let mut request = post("/healthz", Some("application/json"), twenty_mb);
    request.headers_mut().insert(header::CONTENT_LENGTH, (20 * 1024 * 1024).into());
    app.send(request).await.assert_problem(413, "payload_too_large");

    let small = TestApp::builder()
        .apps(vec![fixture_app()])
        .setting("BASEOPS_SERVER__BODY_LIMIT_BYTES", "64")
        .build()
        .await;
    let body = json!({"name": "x".repeat(100), "count": 1}).to_string();
    small
        .send(post("/api/v1/fixture/echo", Some("application/json"), body))
        .await
        .assert_problem(413, "payload_too_large");
    // Without Content-Length (a streamed body) the extractor enforces the same limit.
    let streamed = chunked(vec![b"{\"name\":\"".to_vec(), vec![b'y'; 200], b"\",\"count\":1}".to_vec()]);
    small
        .send(post("/api/v1/fixture/echo", Some("application/json"), streamed))
        .await
        .assert_problem(413, "payload_too_large");
    assert_eq!(small.post_json("/api/v1/fixture/echo", &json!({"name": "ok", "count": 1})).await.status, 200);
}

#[tokio::test]
async fn an_upload_route_takes_its_own_larger_limit_and_only_it() {
    let app = TestApp::builder()
        .apps(vec![fixture_app()])
        .setting("BASEOPS_SERVER__BODY_LIMIT_BYTES", "64")
        .build()
        .await;
    let upload = |body: Body| post("/api/v1/fixture/upload", Some("application/octet-stream"), body);
    // The fixture declares four times the global limit: 256 bytes.
    let response = app.send(upload(Body::from(vec![b'u'; 200]))).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), 200);
    app.send(upload(Body::from(vec![b'u'; 257]))).await.assert_problem(413, "payload_too_large");
    let streamed = chunked(vec![vec![b'u'; 200], vec![b'u'; 100]]);
    app.send(upload(streamed)).await.assert_problem(413, "payload_too_large");
    // Other routes keep the global limit, and so does another method on the same path.
    let body = json!({"name": "x".repeat(100), "count": 1}).to_string();
    app.send(post("/api/v1/fixture/echo", Some("application/json"), body))
        .await
        .assert_problem(413, "payload_too_large");
    let mut put = post("/api/v1/fixture/upload", Some("application/octet-stream"), vec![b'u'; 200]);
    *put.method_mut() = http::Method::PUT;
    put.headers_mut().insert(header::CONTENT_LENGTH, 200.into());
    assert_eq!(app.send(put).await.status, 413, "the limit is per method");
}

/// A body without Content-Length, delivered in chunks.
fn chunked(chunks: Vec<Vec<u8>>) -> Body {
    struct Chunks(std::collections::VecDeque<Vec<u8>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.pop_front().map(Ok))
        }
    }
    Body::from_stream(Chunks(chunks.into()))
}

#[tokio::test]
async fn a_panic_is_a_generic_500_counted_in_the_metrics_and_the_server_keeps_serving() {
    let app = with_fixture().await;
    let panics = |metrics: &str| -> u64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("panics_total "))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    let before = panics(&app.get("/metrics").await.text());
    let response = app.get("/api/v1/fixture/panic").await;
    let problem = response.assert_problem(500, "internal_error");
    assert!(!response.text().contains("secret detail"), "{problem}");
    assert_eq!(app.get("/healthz").await.status, 200);
    let metrics = app.get("/metrics").await.text();
    assert!(panics(&metrics) > before, "the panic is counted: {metrics}");
    assert!(
        metrics.lines().any(|line| line.starts_with("http_requests_total")
            && line.contains("/api/v1/fixture/panic")
            && line.contains("status=\"500\"")),
        "the request is counted as a 500, not a 200"
    );
}

/// The app served over real TCP on a free loopback port until the test aborts it.
async fn serve_on_loopback(
    app: &TestApp,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(baseops_server::serve(
        listener,
        app.router(),
        std::future::pending(),
        Duration::from_secs(5),
    ));
    (address, server)
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_transaction_leaves_no_transaction_open() {
    let app = with_fixture().await;
    let (address, server) = serve_on_loopback(&app).await;
    // The client sends the request and hangs up while the handler's transaction is open.
    let client =
        tokio::spawn(raw_request(address, "POST", "/api/v1/fixture/notes/slow?id=7&ms=400", &[], b""));
    tokio::time::sleep(Duration::from_millis(150)).await;
    client.abort();
    let count = || async { app.get("/api/v1/fixture/notes/count").await.json() };
    assert_eq!(count().await, 0, "still running when the client left");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(count().await, 1, "the abandoned request's transaction committed all the same");
    // The connection went back clean: the next writes neither fail nor land in that transaction.
    for id in [8, 9] {
        let response =
            app.post_json(&format!("/api/v1/fixture/notes/slow?id={id}&ms=0"), &serde_json::json!({})).await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    assert_eq!(count().await, 3);
    if app.database().is_postgres() {
        let idle_in_transaction: i64 = baseops_db::sea_orm::ConnectionTrait::query_one_raw(
            app.state().db().read(),
            baseops_db::sea_orm::Statement::from_string(
                baseops_db::sea_orm::DbBackend::Postgres,
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
            ),
        )
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
        assert_eq!(idle_in_transaction, 0);
    }
    server.abort();
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let app = TestApp::builder()
        .apps(vec![fixture_app()])
        .setting("BASEOPS_SERVER__REQUEST_TIMEOUT_SECS", "1")
        .build()
        .await;
    app.get("/api/v1/fixture/slow?ms=1500").await.assert_problem(503, "unavailable");
    assert_eq!(app.get("/api/v1/fixture/slow?ms=10").await.text(), "done");
}

#[tokio::test]
async fn bad_query_parameters_are_client_errors() {
    let app = with_fixture().await;
    let response = app.get("/api/v1/fixture/slow?ms=soon").await;
    response.assert_problem(400, "invalid_query");
    assert_eq!(response.header("content-type"), Some("application/problem+json"));
}

/// Sends a request whose body declares 100 bytes, sends `pieces` of it `pause` apart, then
/// waits for the answer: its status and how long it took from the first byte.
async fn stalled_post(address: std::net::SocketAddr, pieces: usize, pause: Duration) -> (u16, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/fixture/echo HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n["
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    for _ in 0..pieces {
        tokio::time::sleep(pause).await;
        if stream.write_all(b"1,").await.is_err() {
            break;
        }
    }
    // The server answers (and closes) while the rest of the body never comes.
    while let Ok(Ok(read)) = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&answer);
    let status = text.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    assert!(status == 0 || text.contains("request_timeout"), "{text}");
    (status, started.elapsed())
}

#[tokio::test]
async fn a_stalled_or_trickling_request_body_is_408_not_503() {
    let app = TestApp::builder()
        .apps(vec![fixture_app()])
        .setting("BASEOPS_SERVER__BODY_TIMEOUT_SECS", "1")
        .setting("BASEOPS_SERVER__REQUEST_TIMEOUT_SECS", "3")
        .build()
        .await;
    let (address, server) = serve_on_loopback(&app).await;

    // A body that stops: answered once it paused a second, long before the request timeout.
    let (status, took) = stalled_post(address, 0, Duration::ZERO).await;
    assert_eq!(status, 408);
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(2_900), "{took:?}");
    // A body that trickles in (a piece every half second) outlives the request timeout.
    let (status, took) = stalled_post(address, 20, Duration::from_millis(500)).await;
    assert_eq!(status, 408);
    assert!(took >= Duration::from_millis(2_900) && took < Duration::from_secs(6), "{took:?}");
    server.abort();
}

#[tokio::test]
async fn security_headers_are_set_and_hsts_only_over_https() {
    let app = TestApp::new().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert_eq!(response.header("referrer-policy"), Some("strict-origin-when-cross-origin"));
    let policy = response.header("content-security-policy").unwrap().to_owned();
    assert!(
        policy.starts_with("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert_eq!(response.header("strict-transport-security"), None);
    assert_eq!(response.header("cache-control"), None, "health checks are not one caller's data");

    // The API's answers are one caller's data: never stored by a cache on the way.
    let api = app.get("/api/v1/tasks").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.header("cache-control"), Some("no-store"));
    assert_eq!(api.header("content-security-policy"), Some(policy.as_str()));
    // The docs page loads its own scripts and styles, and nothing from anywhere else.
    let docs = app.get("/api/docs/").await;
    assert_eq!(docs.status, 200);
    let docs_policy = docs.header("content-security-policy").unwrap();
    assert!(
        docs_policy.contains("script-src 'self';") && !docs_policy.contains("unsafe-eval"),
        "{docs_policy}"
    );
    assert!(!docs.text().contains("<script>"), "no inline script the policy would block");

    let https =
        TestApp::builder().setting("BASEOPS_SERVER__PUBLIC_URL", "https://ops.example.com").build().await;
    let response = https.get("/no-such-page").await;
    assert!(response.header("strict-transport-security").unwrap().contains("max-age=31536000"), "errors too");
}

#[tokio::test]
async fn only_allowed_hosts_are_served() {
    let app = TestApp::builder()
        .setting("BASEOPS_SERVER__ALLOWED_HOSTS", "[ops.example.com, .corp.example]")
        .build()
        .await;
    let with_host =
        |host: &str| Request::get("/healthz").header(header::HOST, host).body(Body::empty()).unwrap();
    assert_eq!(app.send(with_host("ops.example.com")).await.status, 200);
    assert_eq!(app.send(with_host("OPS.example.com:8443")).await.status, 200);
    assert_eq!(app.send(with_host("eu.corp.example")).await.status, 200);
    app.send(with_host("evil.example.net")).await.assert_problem(400, "disallowed_host");
    app.send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .assert_problem(400, "disallowed_host");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let closed = TestApp::new().await;
    let preflight = |origin: &str| {
        Request::options("/healthz")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        closed.send(preflight("https://app.example.com")).await.header("access-control-allow-origin"),
        None
    );

    let open = TestApp::builder()
        .setting("BASEOPS_SERVER__CORS_ALLOWED_ORIGINS", "[\"https://app.example.com\"]")
        .build()
        .await;
    let allowed = open.send(preflight("https://app.example.com")).await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://app.example.com"));
    let other = open.send(preflight("https://evil.example.net")).await;
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_gzip() {
    let app = TestApp::new().await;
    let request = Request::get("/api/openapi.json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(&response.body[..2], &[0x1f, 0x8b], "a gzip stream");
}

#[tokio::test]
async fn metrics_are_prometheus_text_by_route_and_status() {
    let app = with_fixture().await;
    app.get("/healthz").await;
    app.get("/api/v1/fixture/slow?ms=1").await;
    app.get("/some/random/path/12345").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status, 200);
    assert!(response.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text();
    assert!(text.contains("# TYPE http_requests_total counter"), "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#), "{text}");
    assert!(text.contains(r#"route="/api/v1/fixture/slow",status="200""#), "{text}");
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(!text.contains("12345"), "raw paths never become labels");
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"), "{text}");
    assert!(
        text.contains(
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.005"}"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"db_pool_connections{pool="write",state="idle"}"#), "{text}");
    for line in text.lines().filter(|line| !line.is_empty() && !line.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "sample line without a number: {line}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = with_fixture().await;
    let document = app.get("/api/openapi.json").await.json();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "baseops API");
    let paths = document["paths"].as_object().unwrap();
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/fixture/echo", "/api/v1/fixture/slow"] {
        assert!(paths.contains_key(path), "{path} missing from {:?}", paths.keys().collect::<Vec<_>>());
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object();
            assert!(responses.is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
            for (status, response) in responses.unwrap() {
                // OpenAPI requires a description on every response object, the shared ones
                // (`$ref` to `components.responses`) included.
                let response = match response["$ref"].as_str() {
                    Some(target) => {
                        let name = target.strip_prefix("#/components/responses/").unwrap_or(target);
                        &document["components"]["responses"][name]
                    }
                    None => response,
                };
                assert!(response["description"].is_string(), "{method} {path} {status} has no description");
            }
            assert!(operation["operationId"].is_string(), "{method} {path} has no operationId");
        }
    }
    let schemas = document["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("Problem") && schemas.contains_key("EchoInput"), "{schemas:?}");
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(document, serde_json::to_value(baseops_server::openapi_document(app.apps())).unwrap());
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_by_the_binary() {
    let app = TestApp::new().await;
    let redirect = app.get("/api/docs").await;
    assert!(redirect.status.is_redirection());
    assert_eq!(redirect.header("location"), Some("/api/docs/"));
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("swagger-ui-bundle.js"), "{}", page.text());
    for asset in
        ["/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css", "/api/docs/swagger-initializer.js"]
    {
        let response = app.get(asset).await;
        assert_eq!(response.status, 200, "{asset}");
        assert!(response.body.len() > 100, "{asset} has content");
    }
    assert!(app.get("/api/docs/swagger-initializer.js").await.text().contains("/api/openapi.json"));
}

#[tokio::test]
async fn migrations_apply_once_and_readiness_waits_for_them() {
    let app = TestApp::builder().apps(vec![fixture_app()]).without_migrations().build().await;
    let state = app.state();
    let pending = state.migrator().pending(state.db()).await.unwrap();
    assert_eq!(pending, vec!["fixture_0001_create_notes".to_owned()]);
    let problem = app.get("/readyz").await.assert_problem(503, "unavailable");
    assert!(problem["detail"].as_str().unwrap().contains("Migrations are pending"), "{problem}");
    let behind = state.migrator().ensure_current(state.db()).await.unwrap_err();
    assert!(matches!(behind, DbError::SchemaBehind { .. }), "{behind}");
    assert!(behind.to_string().contains("baseops migrate"));

    let applied = state.migrator().apply(&state.settings().database).await.unwrap();
    assert_eq!(applied, vec!["fixture_0001_create_notes".to_owned()]);
    assert!(
        state.migrator().apply(&state.settings().database).await.unwrap().is_empty(),
        "second run applies nothing"
    );
    let status = state.migrator().status(state.db()).await.unwrap();
    assert!(status.iter().all(|migration| migration.applied), "{status:?}");
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(app.get("/api/v1/fixture/notes/count").await.json(), 0);
}

#[tokio::test]
async fn concurrent_migrate_runs_apply_each_migration_once() {
    let app = TestApp::builder().apps(vec![fixture_app()]).without_migrations().build().await;
    let settings = app.settings().database.clone();
    let runs = (0..3).map(|_| {
        let (migrator, settings) = (app.state().migrator().clone(), settings.clone());
        tokio::spawn(async move { migrator.apply(&settings).await })
    });
    let mut applied = Vec::new();
    for run in runs {
        match run.await.unwrap() {
            Ok(names) => applied.extend(names),
            // SQLite has no advisory lock; a loser may fail, never apply twice.
            Err(error) => assert!(!app.database().is_postgres(), "PostgreSQL runs must serialize: {error}"),
        }
    }
    assert_eq!(applied, vec!["fixture_0001_create_notes".to_owned()]);
    assert_eq!(app.get("/readyz").await.status, 200);
}

#[test]
fn duplicate_migration_names_are_refused() {
    let list = fixture_app().migrations;
    let error = baseops_db::Migrator::new(vec![list, list]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "migration fixture_0001_create_notes is declared twice; migration names must be unique across apps"
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight_then_stops() {
    let app = with_fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(baseops_server::serve(
        listener,
        app.router(),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));

    let in_flight = tokio::spawn(raw_request(address, "GET", "/api/v1/fixture/slow?ms=700", &[], b""));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();

    let (status, body) = in_flight.await.unwrap().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.ends_with("done"), "{body}");
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("server stops").unwrap().unwrap();
    assert!(raw_request(address, "GET", "/healthz", &[], b"").await.is_err(), "no longer listening");
}

#[tokio::test]
async fn shutdown_gives_up_after_the_grace_period() {
    let app = with_fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let started = std::time::Instant::now();
    let server = tokio::spawn(baseops_server::serve(
        listener,
        app.router(),
        tokio::time::sleep(Duration::from_millis(200)),
        Duration::from_millis(300),
    ));
    let _stuck = tokio::spawn(raw_request(address, "GET", "/api/v1/fixture/slow?ms=20000", &[], b""));
    server.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "returned after the grace period, not the request");
}
