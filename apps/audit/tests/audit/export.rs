//! The exports streamed over HTTP, with and without gzip (which every browser asks for): the
//! whole trail arrives, page after page, either way; and the CSV defuses what a spreadsheet
//! would run as a formula.

use std::io::Read;

use baseops_audit::{Changes, record};
use http::Method;
use sea_orm::TransactionTrait;

use crate::support::{entry, origin, user};

/// More events than three pages of the export.
const EVENTS: usize = 450;

#[tokio::test]
async fn exports_arrive_whole_with_and_without_gzip() {
    let app = baseops_test_support::TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let (actor, origin) = (user(), origin());
    let txn = app.state().db().write().begin().await.unwrap();
    for index in 0..EVENTS {
        let id = format!("e-{index}");
        record(&txn, entry(Some(owner.organization_id), &actor, &origin, "lead.update", &id, Changes::new()))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    let trail = app.audit(Some(owner.organization_id), "role.create").await.len();

    for (format, header_lines) in [("csv", 1), ("jsonl", 0)] {
        let path = format!("/api/v1/audit/events/export?format={format}");
        let plain = owner.get(&app, &path).await;
        assert_eq!(plain.status, 200, "{}", plain.text());
        assert_eq!(plain.header("content-encoding"), None);
        let zipped = owner.send(&app, Method::GET, &path, None, &[("accept-encoding", "gzip")]).await;
        assert_eq!(zipped.status, 200);
        assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{format}");
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_string(&mut unzipped).unwrap();
        assert_eq!(unzipped, plain.text(), "{format}: the same file either way");
        let lines = unzipped.lines().count();
        assert!(lines >= EVENTS + trail + header_lines, "{format}: {lines} lines");
        assert!(unzipped.ends_with('\n'), "{format}: the last line is whole");
    }
}

#[tokio::test]
async fn csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused() {
    let app = baseops_test_support::TestApp::new().await;
    let owner = app.org().await.owner.clone();
    // A browser's User-Agent is whatever the client sends; the audit trail records it.
    let agent = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let created = owner
        .send(
            &app,
            Method::POST,
            "/api/v1/leads",
            Some(serde_json::json!({"last_name": "Ada"})),
            &[("user-agent", agent)],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    // Entity ids from other apps are free text too: each formula start, and two harmless ones.
    let probes = [
        ("probe.plus", "+1+1", "'+1+1"),
        ("probe.minus", "-1+1", "'-1+1"),
        ("probe.at", "@SUM(A1)", "'@SUM(A1)"),
        ("probe.tab", "\t=1+1", "'\t=1+1"),
        ("probe.cr", "\r=1+1", "'\r=1+1"),
        ("probe.inner", "a=1+1", "a=1+1"),
        ("probe.quote", "say \"hi\"", "say \"hi\""),
    ];
    let (actor, origin) = (user(), origin());
    let txn = app.state().db().write().begin().await.unwrap();
    for (action, entity_id, _) in probes {
        record(&txn, entry(Some(owner.organization_id), &actor, &origin, action, entity_id, Changes::new()))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();

    let export = owner.get(&app, "/api/v1/audit/events/export?format=csv").await;
    assert_eq!(export.status, 200, "{}", export.text());
    let rows = export.csv_rows();
    let by_action = |action: &str| {
        rows.iter().find(|row| row["action"] == action).unwrap_or_else(|| panic!("no {action}: {rows:?}"))
    };
    let lead = by_action("lead.create");
    assert_eq!(lead["user_agent"], format!("'{agent}"));
    assert!(lead["changes"].starts_with('{'), "a harmless cell was changed: {lead:?}");
    for (action, _, exported) in probes {
        assert_eq!(by_action(action)["entity_id"], exported, "{action}");
    }
    // JSON Lines is no spreadsheet: the values stay as recorded.
    let lines = owner.get(&app, "/api/v1/audit/events/export?format=jsonl").await;
    assert_eq!(lines.status, 200, "{}", lines.text());
    let tab = lines
        .text()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|event| event["action"] == "probe.tab")
        .expect("the probe is exported");
    assert_eq!(tab["entity_id"], "\t=1+1");
}
