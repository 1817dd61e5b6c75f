//! Gap-free numbering under concurrency: many finalizations at once get 1…N, no gap, no
//! repeat; a refused finalization does not use up a number.

use baseops_test_support::TestApp;
use futures_util::future::join_all;
use serde_json::json;

use crate::support::{act, customer, simple_draft};

const CONCURRENT: usize = 40;

#[tokio::test]
async fn concurrent_finalizations_number_one_to_n_without_gap_or_repeat() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Gil").await;
    let mut ids = Vec::new();
    for n in 0..CONCURRENT {
        let draft = simple_draft(&app, &owner, &buyer, 100 + i64::try_from(n).unwrap()).await;
        ids.push(draft["id"].as_str().unwrap().to_owned());
    }
    // One finalization refused midway (no lines) must not take a number.
    let empty = owner.post(&app, "/api/v1/billing/invoices", json!({"customer_id": buyer})).await.json();
    ids.insert(CONCURRENT / 2, empty["id"].as_str().unwrap().to_owned());
    let results = join_all(ids.iter().map(|id| act(&app, &owner, id, "finalize"))).await;
    let mut numbers: Vec<u32> = results
        .iter()
        .filter(|response| response.status == 200)
        .map(|response| {
            response.json()["number"].as_str().unwrap().rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(results.iter().filter(|response| response.status == 422).count(), 1);
    numbers.sort_unstable();
    let expected: Vec<u32> = (1..=u32::try_from(CONCURRENT).unwrap()).collect();
    assert_eq!(numbers, expected);
}
