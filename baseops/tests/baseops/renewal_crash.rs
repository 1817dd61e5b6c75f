//! A billing run killed with SIGKILL: `baseops billing renew` is killed once some batches have
//! committed, while it is in the middle of others. What it committed is whole — every period
//! row has its finalized, numbered invoice and ledger entry, numbers have no gap — and a rerun
//! renews the rest, each period exactly once, with `billing verify` and `audit verify` clean.
//! On the suite's engine (SQLite by default, PostgreSQL with BASEOPS_TEST_DATABASE_URL).

use std::process::Stdio;
use std::time::{Duration, Instant};

use baseops_billing::service::subscription::BATCH;
use baseops_test_support::TestDatabase;

use crate::binary::{baseops_on, run};
use crate::crash::{count, migrate_with_superuser};

const SUBSCRIPTIONS: i64 = 600;
/// Invoices committed before the kill: two batches ([`BATCH`] is 50) and some way into the third.
const KILL_AFTER_INVOICES: i64 = 100;
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

/// The checks that hold after any crash: what exists is whole.
async fn assert_whole(url: &str) -> i64 {
    let invoices = count(url, "SELECT COUNT(*) AS n FROM billing_invoices").await;
    let periods = count(url, "SELECT COUNT(*) AS n FROM billing_subscription_periods").await;
    let invoiced = count(
        url,
        "SELECT COUNT(*) AS n FROM billing_subscription_periods p \
         JOIN billing_invoices i ON i.id = p.invoice_id \
         WHERE i.status = 'open' AND i.number IS NOT NULL",
    )
    .await;
    let ledger = count(url, "SELECT COUNT(*) AS n FROM billing_ledger_entries").await;
    let numbers = count(url, "SELECT COUNT(DISTINCT number) AS n FROM billing_invoices").await;
    let moved = count(url, "SELECT COUNT(*) AS n FROM billing_subscriptions WHERE period_index = 0").await;
    assert_eq!(
        (periods, invoiced, ledger, numbers, moved),
        (invoices, invoices, invoices, invoices, invoices)
    );
    // Gap-free: the series handed out exactly as many numbers as there are invoices.
    let next = count(url, "SELECT COALESCE(MAX(next_value), 1) AS n FROM billing_number_series").await;
    assert_eq!(next - 1, invoices, "numbers taken by the series vs invoices");
    invoices
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billing_run_killed_mid_batch_leaves_whole_invoices_and_the_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let url = database.url();
    migrate_with_superuser(dir.path(), url);
    let (code, _, stderr) = run(baseops_on(dir.path(), url).args([
        "demo-data",
        "subscriptions",
        "--org",
        "acme",
        "--count",
        &SUBSCRIPTIONS.to_string(),
    ]));
    assert_eq!(code, 0, "{stderr}");

    let mut renewing = tokio::process::Command::from(baseops_on(dir.path(), url))
        .args(["billing", "renew"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("billing renew starts");
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < PHASE_TIMEOUT, "the run never reached {KILL_AFTER_INVOICES} invoices");
        assert!(renewing.try_wait().unwrap().is_none(), "the run ended before the kill: too fast to test");
        if count(url, "SELECT COUNT(*) AS n FROM billing_invoices").await >= KILL_AFTER_INVOICES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    renewing.start_kill().unwrap();
    let status = tokio::time::timeout(PHASE_TIMEOUT, renewing.wait()).await.expect("killed").unwrap();
    assert_eq!(status.code(), None, "killed by the signal, not finished: {status}");

    let committed = assert_whole(url).await;
    assert!(
        (KILL_AFTER_INVOICES..SUBSCRIPTIONS).contains(&committed),
        "{committed} invoices committed before the kill"
    );
    assert_eq!(committed % BATCH as i64, 0, "whole batches of {BATCH} only: {committed}");

    let (code, stdout, stderr) = run(baseops_on(dir.path(), url).args(["billing", "renew"]));
    assert_eq!(code, 0, "{stdout} {stderr}");
    let rest = SUBSCRIPTIONS - committed;
    assert!(stdout.starts_with(&format!("billing renew: {rest} periods renewed")), "{stdout}");
    assert_eq!(assert_whole(url).await, SUBSCRIPTIONS);
    let (code, stdout, _) = run(baseops_on(dir.path(), url).args(["billing", "renew"]));
    assert!(code == 0 && stdout.starts_with("billing renew: 0 periods renewed"), "{stdout}");
    let (code, stdout, stderr) = run(baseops_on(dir.path(), url).args(["billing", "verify"]));
    assert_eq!(code, 0, "billing verify: {stdout} {stderr}");
    let (code, stdout, stderr) = run(baseops_on(dir.path(), url).args(["audit", "verify"]));
    assert_eq!(code, 0, "audit verify: {stdout} {stderr}");
}
