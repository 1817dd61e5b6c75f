//! Claims inside a create's transaction, through the database:
//! new, replay, reuse with another body, scoping, expiry, the purge, and concurrent duplicates.

use baseops_idempotency::model::idempotency_key;
use baseops_idempotency::{Claim, RETENTION, claim, purge, request_hash};
use baseops_test_support::TestApp;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// Claims in a transaction of its own and commits unless told to roll back.
async fn claim_once(app: &TestApp, org: Uuid, key: &str, body: serde_json::Value, commit: bool) -> Claim {
    let txn = app.state().db().write().begin().await.unwrap();
    let outcome =
        claim(&txn, org, "user-1", "things.create", key, request_hash(&body), Uuid::now_v7()).await.unwrap();
    if commit {
        txn.commit().await.unwrap();
    } else {
        txn.rollback().await.unwrap();
    }
    outcome
}

#[tokio::test]
async fn a_retry_replays_the_first_id_and_another_body_is_refused() {
    let app = TestApp::new().await;
    let org = Uuid::now_v7();
    let txn = app.state().db().write().begin().await.unwrap();
    let first = Uuid::now_v7();
    let body = json!({"title": "Call Ada"});
    assert_eq!(
        claim(&txn, org, "user-1", "things.create", "k1", request_hash(&body), first).await.unwrap(),
        Claim::New
    );
    txn.commit().await.unwrap();

    assert_eq!(claim_once(&app, org, "k1", body.clone(), true).await, Claim::Replay(first));
    assert_eq!(claim_once(&app, org, "k1", body.clone(), true).await, Claim::Replay(first), "every retry");

    let txn = app.state().db().write().begin().await.unwrap();
    let error = claim(
        &txn,
        org,
        "user-1",
        "things.create",
        "k1",
        request_hash(&json!({"title": "x"})),
        Uuid::now_v7(),
    )
    .await
    .unwrap_err();
    let problem = error.problem();
    assert_eq!((problem.status, problem.code.as_str()), (422, "idempotency_key_reused"));
}

#[tokio::test]
async fn keys_are_scoped_to_organization_principal_and_endpoint() {
    let app = TestApp::new().await;
    let (org, other_org) = (Uuid::now_v7(), Uuid::now_v7());
    let hash = request_hash(&json!({}));
    let txn = app.state().db().write().begin().await.unwrap();
    for (organization, principal, endpoint) in [
        (org, "user-1", "things.create"),
        (other_org, "user-1", "things.create"),
        (org, "user-2", "things.create"),
        (org, "user-1", "others.create"),
    ] {
        let outcome =
            claim(&txn, organization, principal, endpoint, "same", hash, Uuid::now_v7()).await.unwrap();
        assert_eq!(outcome, Claim::New, "{organization} {principal} {endpoint}");
    }
    txn.commit().await.unwrap();
    let rows = idempotency_key::Entity::find().count(app.state().db().read()).await.unwrap();
    assert_eq!(rows, 4);
}

#[tokio::test]
async fn a_rolled_back_create_frees_its_key() {
    let app = TestApp::new().await;
    let org = Uuid::now_v7();
    assert_eq!(claim_once(&app, org, "k", json!(1), false).await, Claim::New);
    assert_eq!(claim_once(&app, org, "k", json!(2), true).await, Claim::New, "nothing was kept");
}

#[tokio::test]
async fn expired_keys_are_claimed_afresh_and_purged() {
    let app = TestApp::new().await;
    let org = Uuid::now_v7();
    let old = chrono::Utc::now() - RETENTION - chrono::TimeDelta::minutes(1);
    let db = app.state().db().write();
    for key in ["old", "older"] {
        idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            organization_id: Set(org),
            principal: Set("user-1".into()),
            endpoint: Set("things.create".into()),
            key: Set(key.into()),
            request_hash: Set(hex::encode(request_hash(&json!("first")))),
            resource_id: Set(Uuid::now_v7()),
            created_at: Set(old),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
    }
    assert_eq!(
        claim_once(&app, org, "old", json!("second"), true).await,
        Claim::New,
        "another body is fine now"
    );
    assert_eq!(claim_once(&app, org, "fresh", json!(1), true).await, Claim::New);

    assert_eq!(purge(db, chrono::Utc::now() - RETENTION).await.unwrap(), 1, "only the untouched old key");
    assert_eq!(idempotency_key::Entity::find().count(db).await.unwrap(), 2);
}

#[tokio::test]
async fn a_concurrent_duplicate_waits_and_replays() {
    let app = TestApp::new().await;
    let org = Uuid::now_v7();
    let body = json!({"title": "once"});
    let winner_id = Uuid::now_v7();
    let winner = app.state().db().write().begin().await.unwrap();
    assert_eq!(
        claim(&winner, org, "user-1", "things.create", "race", request_hash(&body), winner_id).await.unwrap(),
        Claim::New
    );
    // The loser blocks (on the pool's single SQLite writer, or on PostgreSQL's unique index)
    // until the winner commits.
    let state = app.state().clone();
    let loser_body = body.clone();
    let loser = tokio::spawn(async move {
        let txn = state.db().write().begin().await.unwrap();
        let outcome =
            claim(&txn, org, "user-1", "things.create", "race", request_hash(&loser_body), Uuid::now_v7())
                .await;
        txn.commit().await.unwrap();
        outcome.unwrap()
    });
    tokio::task::yield_now().await;
    assert!(!loser.is_finished(), "the duplicate must wait for the first request");
    winner.commit().await.unwrap();
    assert_eq!(loser.await.unwrap(), Claim::Replay(winner_id));
}
