//! The job queue in the console: platform staff see it and retry dead jobs; nobody else
//! sees it, and a forged request is refused.

use baseops_jobs::queue::state;
use baseops_test_support::{Client, TestApp, csrf_token_in};

use crate::support::{Endpoint, put, row, superuser, work};

#[tokio::test]
async fn staff_see_dead_jobs_and_put_them_back() {
    let app = TestApp::new().await;
    let org = app.org().await.id;
    let root = superuser(&app).await;
    let endpoint = Endpoint::default();
    endpoint.set_down(true);
    let dead = put(&app, "a", org, None).await;
    work(&app, &endpoint).await;
    assert_eq!(row(&app, dead).await.state, state::DEAD);

    let page = root.get(&app, "/admin/jobs?state=dead").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains(&dead.to_string()) && html.contains("Jobs"), "{html}");
    assert_eq!(root.get(&app, "/admin/jobs?state=sleeping").await.status, 422);

    let csrf = csrf_token_in(&html);
    assert_eq!(root.post_form(&app, &format!("/admin/jobs/{dead}/retry"), &[]).await.status, 403);
    let retried = root.post_form(&app, &format!("/admin/jobs/{dead}/retry"), &[("csrf_token", &csrf)]).await;
    assert_eq!(retried.status, 303, "{}", retried.text());
    assert_eq!(row(&app, dead).await.state, state::PENDING);
    let again = root.post_form(&app, &format!("/admin/jobs/{dead}/retry"), &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, 404, "only a dead job is retried");
}

#[tokio::test]
async fn an_owner_is_not_platform_staff() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let home = person.get(&app, "/admin").await.text();
    assert!(!home.contains("&#x2f;admin&#x2f;jobs"), "{home}");
    assert_eq!(person.get(&app, "/admin/jobs").await.status, 403);
    let csrf = csrf_token_in(&home);
    assert_eq!(person.post_form(&app, "/admin/jobs/retry-dead", &[("csrf_token", &csrf)]).await.status, 403);
}

#[tokio::test]
async fn staff_see_the_schedules_with_their_next_runs_as_the_settings_make_them() {
    let app = TestApp::with_settings(&[
        ("BASEOPS_JOBS__SCHEDULES__PURGE_AUTH_THROTTLE__CRON", "0 3 * * *"),
        ("BASEOPS_JOBS__SCHEDULES__TASKS_OVERDUE_DIGEST__ENABLED", "false"),
    ])
    .await;
    let root = superuser(&app).await;
    let html = root.get(&app, "/admin/jobs").await.text();
    let table = &html[html.find("id=\"schedules\"").expect("a schedules table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let row = &table[table.find(">purge_auth_throttle<").expect("the overridden schedule")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("0 3 * * *") && row.contains(" 03:00 UTC"),
        "the setting's cron and its next run: {row}"
    );
    assert!(!table.contains("tasks_overdue_digest"), "a schedule switched off is not listed: {table}");
}
