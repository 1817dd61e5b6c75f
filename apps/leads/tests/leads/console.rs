//! The leads pages of the admin console: the list and a lead's page through the same
//! selectors and rules as the API, and leads in the command palette.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::create_lead;

#[tokio::test]
async fn the_list_shows_searches_and_pages_the_organizations_leads() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let ada = create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "last_name": "Lovelace", "company": "Engines & Co"}),
    )
    .await;
    create_lead(
        &app,
        &owner,
        json!({"first_name": "Grace", "last_name": "Hopper", "value_amount": 123450, "currency": "EUR"}),
    )
    .await;
    let hidden = create_lead(&app, &other, json!({"first_name": "Hidden", "last_name": "Elsewhere"})).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let list = person.get(&app, "/admin/leads").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let html = list.text();
    assert!(html.contains("Lovelace") && html.contains("Hopper"), "{html}");
    assert!(html.contains("Engines &amp; Co"), "text is escaped: {html}");
    assert!(html.contains("1,234.50 EUR"), "money in the currency's format: {html}");
    assert!(!html.contains("Elsewhere"), "another organization's lead: {html}");
    assert!(html.contains(">2 leads<"), "counted: {html}");

    let found = person.get(&app, "/admin/leads?q=lovelace&status=open&sort=").await.text();
    assert!(found.contains("Lovelace") && !found.contains("Hopper"), "{found}");
    assert!(found.contains(">1 lead<"), "the count follows the filters: {found}");

    let first = person.get(&app, "/admin/leads?sort=last_name").await.text();
    assert!(first.find("Hopper").unwrap() < first.find("Lovelace").unwrap(), "ordered by last name");

    let detail = person.get(&app, &format!("/admin/leads/{}", ada["id"].as_str().unwrap())).await;
    assert_eq!(detail.status, 200);
    assert!(detail.text().contains("<h1>Ada Lovelace</h1>"), "{}", detail.text());
    let elsewhere = person.get(&app, &format!("/admin/leads/{}", hidden["id"].as_str().unwrap())).await;
    assert_eq!(elsewhere.status, 404);
    assert!(elsewhere.header("content-type").unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn bad_filters_get_a_clear_page_and_no_search() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    for (path, status) in [
        ("/admin/leads?status=maybe", 422),
        ("/admin/leads?cursor=not-a-cursor", 400),
        (&format!("/admin/leads?q={}", "x".repeat(300)), 422),
        ("/admin/leads/not-a-uuid", 400),
    ] {
        let response = person.get(&app, path).await;
        assert_eq!(response.status, status, "{path}: {}", response.text());
        assert!(response.header("content-type").unwrap().starts_with("text/html"), "{path}");
    }
    let long = person.get(&app, &format!("/admin/search?q={}", "y".repeat(101))).await;
    assert_eq!(long.status, 400);
}

#[tokio::test]
async fn a_role_without_leads_sees_no_entry_and_is_refused() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "accountant@acme.test", "accountant").await;
    create_lead(&app, &owner, json!({"first_name": "Secret", "last_name": "Lead"})).await;
    let accountant = Client::logged_in(&app, "accountant@acme.test").await;
    let home = accountant.get(&app, "/admin").await;
    assert_eq!(home.status, 200);
    assert!(!home.text().contains("href=\"&#x2f;admin&#x2f;leads\""), "{}", home.text());
    assert_eq!(accountant.get(&app, "/admin/leads").await.status, 403);
    let search = accountant.get(&app, "/admin/search?q=secret").await;
    assert_eq!(search.json()["results"], json!([]));
}

#[tokio::test]
async fn the_palette_finds_leads_in_reach() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let lead = create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@engines.test"}),
    )
    .await;
    create_lead(&app, &other, json!({"first_name": "Ada", "last_name": "Elsewhere"})).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let found = person.get(&app, "/admin/search?q=ada").await;
    assert_eq!(found.status, 200, "{}", found.text());
    let results = found.json()["results"].as_array().unwrap().clone();
    let leads: Vec<_> = results.iter().filter(|hit| hit["kind"] == "Lead").collect();
    assert_eq!(leads.len(), 1, "{results:?}");
    assert_eq!(leads[0]["title"], "Ada Lovelace");
    assert_eq!(leads[0]["url"], format!("/admin/leads/{}", lead["id"].as_str().unwrap()));
    assert_eq!(
        person.get(&app, "/admin/search?q=a").await.json()["results"],
        json!([]),
        "one letter finds nothing"
    );
}

#[tokio::test]
async fn the_navigation_shows_one_entry_per_app_and_the_apps_pages_as_tabs() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let board = person.get(&app, "/admin/leads/board").await.text();
    let top = &board[board.find("class=\"apps\"").unwrap()..board.find("</nav>").unwrap()];
    assert!(top.contains(">Leads<") && !top.contains(">Pipeline<"), "one entry per app: {top}");
    assert!(top.contains("aria-current=\"page\">Leads<"), "the app is current: {top}");
    let tabs = &board[board.find("class=\"subnav\"").expect("tabs")..];
    let tabs = &tabs[..tabs.find("</nav>").unwrap()];
    assert!(tabs.contains("aria-current=\"page\">Pipeline<") && tabs.contains(">Leads<"), "{tabs}");
    let list = person.get(&app, "/admin/customers").await.text();
    assert!(!list.contains("class=\"subnav\""), "an app with one page has no tabs");
}

#[tokio::test]
async fn the_list_exports_its_filtered_set_as_csv_for_those_who_may_export() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace", "company": "=cmd"})).await;
    create_lead(&app, &owner, json!({"first_name": "Grace", "last_name": "Hopper"})).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let list = person.get(&app, "/admin/leads?q=lovelace").await.text();
    assert!(
        list.contains("href=\"&#x2f;admin&#x2f;leads&#x2f;export?q=lovelace\""),
        "the link keeps the filters: {list}"
    );
    let csv = person.get(&app, "/admin/leads/export?q=lovelace").await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let rows = csv.csv_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0]["last_name"].as_str(), rows[0]["company"].as_str()), ("Lovelace", "'=cmd"));
    assert_eq!(person.get(&app, "/admin/leads/export?status=maybe").await.status, 422);
    // The browser asks for gzip: the stream survives the compression layer, whole.
    let zipped = person
        .send(&app, http::Method::GET, "/admin/leads/export", None, &[("accept-encoding", "gzip")])
        .await;
    assert_eq!((zipped.status.as_u16(), zipped.header("content-encoding")), (200, Some("gzip")));
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(zipped.body.as_slice()), &mut unzipped)
        .unwrap();
    assert_eq!(unzipped, person.get(&app, "/admin/leads/export").await.text());
    assert_eq!(unzipped.lines().count(), 3, "the header and both leads");

    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    assert!(!viewer.get(&app, "/admin/leads").await.text().contains("Export CSV"));
    assert_eq!(viewer.get(&app, "/admin/leads/export").await.status, 403);
}

#[tokio::test]
async fn a_person_sees_their_own_open_leads_newest_first_and_the_list_filters_to_them() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let older = create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "last_name": "Lovelace", "company": "Engines", "owner_id": sales.user_id}),
    )
    .await;
    create_lead(
        &app,
        &owner,
        json!({"first_name": "Grace", "last_name": "Hopper", "owner_id": sales.user_id}),
    )
    .await;
    create_lead(&app, &owner, json!({"first_name": "Not", "last_name": "Theirs", "owner_id": owner.user_id}))
        .await;

    let person = Client::logged_in(&app, "sales@acme.test").await;
    // Home shows the place the cards load into, and a link to them without JavaScript.
    let home = person.get(&app, "/admin").await.text();
    assert!(home.contains("hx-get=\"/admin/work\" hx-trigger=\"load\""), "{home}");
    let cards = person.send(&app, http::Method::GET, "/admin/work", None, &[("hx-request", "true")]).await;
    assert_eq!(cards.status, 200, "{}", cards.text());
    let html = cards.text();
    assert!(html.starts_with("<div id=\"work\">") && !html.contains("<html"), "a fragment: {html}");
    let card = &html[html.find(">Your leads<").expect("the leads card")..];
    let card = &card[..card.find("</section>").unwrap()];
    assert!(card.contains("<strong>2</strong> open"), "{card}");
    assert!(!card.contains("Theirs"), "another person's lead: {card}");
    let (ada, grace) = (card.find("Ada Lovelace").unwrap(), card.find("Grace Hopper").unwrap());
    assert!(grace < ada, "newest first: {card}");
    assert!(
        card.contains(&format!("&#x2f;admin&#x2f;leads&#x2f;{}", older["id"].as_str().unwrap())),
        "{card}"
    );
    let page = person.get(&app, "/admin/work").await.text();
    assert!(
        page.contains("<h1>Your work</h1>") && page.contains(">Your leads<"),
        "the page without JavaScript"
    );

    let mine = person.get(&app, "/admin/leads?status=open&mine=1").await.text();
    assert!(mine.contains("Lovelace") && mine.contains("Hopper") && !mine.contains("Theirs"), "{mine}");
    assert!(mine.contains(">2 leads<"), "{mine}");

    // Without leads.view there is no card, and the page still serves.
    app.member_with_email(owner.organization_id, "accountant@acme.test", "accountant").await;
    let accountant = Client::logged_in(&app, "accountant@acme.test").await;
    let work = accountant.get(&app, "/admin/work").await;
    assert_eq!(work.status, 200);
    assert!(!work.text().contains("Your leads"), "{}", work.text());
}

#[tokio::test]
async fn a_person_chooses_the_lists_columns_and_the_choice_is_remembered() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "company": "Engines", "phone": "+12015550123", "email": "ada@engines.test"}),
    )
    .await;
    let person = Client::logged_in(&app, &owner.email).await;
    let list = person.get(&app, "/admin/leads").await;
    let html = list.text();
    assert!(html.contains(">E-mail</th>") && !html.contains(">Phone</th>"), "the declared columns: {html}");
    let form = list.form("columns");
    assert_eq!(form.get("list"), Some("leads"));

    let csrf = form.get("csrf_token").unwrap().to_owned();
    let chosen = person
        .post_form(
            &app,
            "/admin/columns",
            &[
                ("csrf_token", &csrf),
                ("list", "leads"),
                ("back", "/admin/leads?q=ada"),
                ("cols", "phone"),
                ("cols", "company"),
            ],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.text());
    assert_eq!(chosen.header("location"), Some("/admin/leads?q=ada"));
    let cookie = chosen.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.starts_with("baseops_cols_leads=phone.company;") && cookie.contains("Path=/admin"),
        "{cookie}"
    );

    let value = cookie.split(';').next().unwrap();
    let shown = person.send(&app, http::Method::GET, "/admin/leads", None, &[("cookie", value)]).await.text();
    assert!(shown.contains(">Phone</th>") && shown.contains(">Company</th>"), "{shown}");
    assert!(!shown.contains(">E-mail</th>") && !shown.contains("ada@engines.test"), "{shown}");
    assert!(shown.contains("+12015550123"), "{shown}");
    // The chooser shows the choice.
    let again = baseops_test_support::FormFields::of(&shown, "columns");
    assert_eq!(again.pairs().iter().filter(|(name, _)| *name == "cols").count(), 2);

    // Only a local page to go back to, only well-formed names, and only with the CSRF token.
    let elsewhere = person
        .post_form(
            &app,
            "/admin/columns",
            &[("csrf_token", &csrf), ("list", "leads"), ("back", "https://evil.test/")],
        )
        .await;
    assert_eq!(elsewhere.header("location"), Some("/admin"));
    assert!(
        elsewhere.header("set-cookie").unwrap().contains("Max-Age=0"),
        "nothing ticked forgets the choice"
    );
    let bad = person.post_form(&app, "/admin/columns", &[("csrf_token", &csrf), ("list", "../x")]).await;
    assert_eq!(bad.status, 422);
    let forged = person.post_form(&app, "/admin/columns", &[("list", "leads"), ("cols", "phone")]).await;
    assert_eq!(forged.status, 403);
}
