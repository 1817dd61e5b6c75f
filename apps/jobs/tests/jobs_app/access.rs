//! The queue is for superusers signed in with a session: anyone else — anonymous, an
//! organization's owner, a superuser's API token — is refused on every endpoint, and a refused
//! retry leaves the dead job dead.

use baseops_jobs::queue::state;
use baseops_test_support::{Client, TestApp};
use http::Method;
use serde_json::json;

use crate::support::{Endpoint, delivery_ids, listed, put, row, superuser, work};

#[tokio::test]
async fn only_a_superuser_with_a_session_lists_or_retries_jobs() {
    let app = TestApp::new().await;
    let org = app.org().await.clone();
    let endpoint = Endpoint::default();
    endpoint.set_down(true);
    let dead = put(&app, "refused", org.id, None).await;
    work(&app, &endpoint).await;
    assert_eq!(row(&app, dead).await.state, state::DEAD);

    // An owner's token carries every permission of the organization; an admin signs in with
    // a session; a superuser's own API token must not carry superuser powers.
    let admin = app.signed_in_as_role("admin").await;
    let root_id = app.superuser("token-root@example.test").await;
    app.join(root_id, org.id, "owner").await;
    let root_token = app.with_token(root_id, org.id, "token-root@example.test").await;
    assert!(root_token.token.is_some(), "the superuser's token was not made");
    let refused: [(&str, Client, u16, &str); 4] = [
        ("anonymous", Client::anonymous(), 401, "unauthenticated"),
        ("owner's token", org.owner.clone(), 403, "forbidden"),
        ("admin's session", admin, 403, "forbidden"),
        ("superuser's token", root_token, 403, "forbidden"),
    ];
    let retry_one = format!("/api/v1/jobs/{dead}/retry");
    for (who, client, status, code) in &refused {
        for (method, path) in [
            (Method::GET, "/api/v1/jobs"),
            (Method::GET, "/api/v1/jobs?state=dead"),
            (Method::POST, retry_one.as_str()),
            (Method::POST, "/api/v1/jobs/retry-dead"),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let response = client.send(&app, method.clone(), path, body, &[]).await;
            assert_eq!(response.status, *status, "{who}: {method} {path}: {}", response.text());
            response.assert_problem(*status, code);
        }
    }
    let still = row(&app, dead).await;
    assert_eq!((still.state.as_str(), still.attempts), (state::DEAD, 1), "a refused retry changed the job");
    assert_eq!(endpoint.runs("refused"), 1);

    // The superuser, signed in: sees the job, without needing any organization.
    let root = superuser(&app).await;
    assert_eq!(delivery_ids(&listed(&app, &root, "?state=dead").await), [dead]);
}
