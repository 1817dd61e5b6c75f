//! Gap-free invoice numbers across processes: two `baseops serve` on one database finalize 200
//! drafts at once, half through each; the numbers are exactly 1…200. On the suite's engine
//! (SQLite by default, PostgreSQL with BASEOPS_TEST_DATABASE_URL).

use baseops_test_support::TestDatabase;
use serde_json::json;
use tokio::task::JoinSet;

use crate::crash::{Server, api_token, migrate_with_superuser, send};

const DRAFTS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_finalizing_two_hundred_drafts_at_once_number_them_one_to_two_hundred() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let url = database.url();
    migrate_with_superuser(dir.path(), url);
    let other = tempfile::tempdir().unwrap();
    let servers = [Server::start(dir.path(), url).await, Server::start(other.path(), url).await];
    let token = api_token(servers[0].address, &["customers.create", "billing.create", "billing.issue"]).await;
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];

    let made = send(
        servers[0].address,
        "POST",
        "/api/v1/customers",
        &headers,
        &json!({"name": "Gap Ltd"}).to_string(),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let customer = made.json()["id"].as_str().unwrap().to_owned();
    let mut drafts = Vec::new();
    for n in 0..DRAFTS {
        let lines = json!([{"description": "Work", "quantity": 1, "unit_amount": 100 + n}]);
        let body = json!({"customer_id": customer, "lines": lines}).to_string();
        let draft = send(servers[n % 2].address, "POST", "/api/v1/billing/invoices", &headers, &body).await;
        assert_eq!(draft.status, 201, "draft {n}: {}", draft.body);
        drafts.push(draft.json()["id"].as_str().unwrap().to_owned());
    }

    let mut finalizing = JoinSet::new();
    for (n, id) in drafts.into_iter().enumerate() {
        let (address, auth) = (servers[n % 2].address, auth.clone());
        finalizing.spawn(async move {
            let path = format!("/api/v1/billing/invoices/{id}/finalize");
            send(address, "POST", &path, &[("Authorization", auth.as_str())], "{}").await
        });
    }
    let mut numbers = Vec::new();
    while let Some(answer) = finalizing.join_next().await {
        let answer = answer.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        let number = answer.json()["number"].as_str().unwrap().to_owned();
        numbers.push(number.rsplit('-').next().unwrap().parse::<usize>().unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=DRAFTS).collect::<Vec<_>>(), "no gap, no repeat");
    for server in servers {
        assert_eq!(server.terminate().await, Some(0));
    }
}
