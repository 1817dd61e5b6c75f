//! `/metrics` is for the scraper: a client in `server.metrics_allowed_ips`, or one with the
//! metrics token; anyone else gets 403 and no figure.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use baseops_test_support::{TestApp, TestResponse};
use http::{Request, header};

async fn metrics_from(app: &TestApp, peer: [u8; 4], token: Option<&str>) -> TestResponse {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut request = request.body(Body::empty()).unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    app.send(request).await
}

#[tokio::test]
async fn only_allowed_addresses_or_the_token_read_the_metrics() {
    let app = TestApp::builder()
        .setting("BASEOPS_SERVER__METRICS_ALLOWED_IPS", "[10.0.0.9]")
        .setting("BASEOPS_SERVER__METRICS_TOKEN", "scrape-me-0123456789")
        .build()
        .await;
    let allowed = metrics_from(&app, [10, 0, 0, 9], None).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert!(allowed.text().contains("baseops_build_info"));

    let stranger = metrics_from(&app, [10, 0, 0, 10], None).await;
    let problem = stranger.assert_problem(403, "forbidden");
    assert!(!stranger.text().contains("baseops_build_info"), "{problem}");
    metrics_from(&app, [10, 0, 0, 10], Some("scrape-me-0123456780")).await.assert_problem(403, "forbidden");
    metrics_from(&app, [127, 0, 0, 1], None).await.assert_problem(403, "forbidden");

    let with_token = metrics_from(&app, [10, 0, 0, 10], Some("scrape-me-0123456789")).await;
    assert_eq!(with_token.status, 200);
    assert_eq!(with_token.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn by_default_only_the_loopback_reads_them_and_no_token_opens_them() {
    let app = TestApp::new().await;
    assert_eq!(metrics_from(&app, [127, 0, 0, 1], None).await.status, 200);
    metrics_from(&app, [192, 168, 1, 20], None).await.assert_problem(403, "forbidden");
    metrics_from(&app, [192, 168, 1, 20], Some("")).await.assert_problem(403, "forbidden");
}
