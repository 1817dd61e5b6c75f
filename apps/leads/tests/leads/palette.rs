//! The command palette's lead search (`GET /admin/search?q=`): word prefixes over the leads'
//! search words, kept by every write, within the caller's organization and reach.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

use crate::support::create_lead;

/// The titles of the leads the palette finds for `q`.
async fn palette(app: &TestApp, person: &Client, q: &str) -> Vec<String> {
    let path = format!("/admin/search?q={}", urlencode(q));
    let response = person.get(app, &path).await;
    assert_eq!(response.status, 200, "{q}: {}", response.text());
    response.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|hit| hit["kind"] == "Lead")
        .map(|hit| hit["title"].as_str().unwrap().to_owned())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn id(lead: &Value) -> &str {
    lead["id"].as_str().unwrap()
}

#[tokio::test]
async fn the_palette_finds_leads_by_word_prefixes() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "last_name": "Lovelace", "email": "countess.ada@engines.test",
               "company": "Analytical Engines Ltd", "phone": "+44 20 7946 0018"}),
    )
    .await;
    create_lead(&app, &owner, json!({"first_name": "Grace", "last_name": "Hopper", "company": "Navy"})).await;
    create_lead(&app, &owner, json!({"first_name": "Adam", "last_name": "Smith"})).await;

    assert_eq!(palette(&app, &person, "lovel").await, ["Ada Lovelace"], "a last-name prefix");
    assert_eq!(palette(&app, &person, "LOVELACE").await, ["Ada Lovelace"], "any case");
    assert_eq!(
        palette(&app, &person, "countess.ada@engines.test").await,
        ["Ada Lovelace"],
        "an e-mail address"
    );
    assert_eq!(palette(&app, &person, "countess.ad").await, ["Ada Lovelace"], "its local part");
    assert_eq!(palette(&app, &person, "analyt").await, ["Ada Lovelace"], "a company word");
    assert_eq!(palette(&app, &person, "engines ltd").await, ["Ada Lovelace"], "every word must match");
    assert_eq!(palette(&app, &person, "442079").await, ["Ada Lovelace"], "phone digits");
    assert!(palette(&app, &person, "ovelace").await.is_empty(), "prefixes of words, not infixes");
    assert!(palette(&app, &person, "lovelace navy").await.is_empty(), "every word of one lead");
    assert_eq!(
        palette(&app, &person, "ada").await,
        ["Ada Lovelace", "Adam Smith"],
        "an exact word first, then prefixes"
    );
    for wild in ["%%", "__", "%_", "z%", "\\%", "_z_"] {
        assert!(palette(&app, &person, wild).await.is_empty(), "{wild} is no wildcard");
    }
    assert_eq!(palette(&app, &person, "%grace%").await, ["Grace Hopper"], "punctuation is no word");
}

#[tokio::test]
async fn the_palette_follows_updates_merges_and_deletes() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let grace = create_lead(&app, &owner, json!({"first_name": "Grace", "last_name": "Hopper"})).await;
    let path = format!("/api/v1/leads/{}", id(&grace));
    let updated = owner.patch(&app, &path, json!({"last_name": "Murray", "company": "Navy"}), Some(1)).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert!(palette(&app, &person, "hopper").await.is_empty(), "the old name is gone");
    assert_eq!(palette(&app, &person, "murr").await, ["Grace Murray"]);
    assert_eq!(palette(&app, &person, "navy").await, ["Grace Murray"]);
    let score = owner.patch(&app, &path, json!({"score": 5}), Some(2)).await;
    assert_eq!(score.status, 200, "{}", score.text());
    assert_eq!(palette(&app, &person, "murray").await, ["Grace Murray"], "other fields keep the words");

    let survivor = create_lead(&app, &owner, json!({"first_name": "Alan", "last_name": "Turing"})).await;
    let twin = create_lead(&app, &owner, json!({"first_name": "Alan", "last_name": "Twin"})).await;
    let merge = format!("/api/v1/leads/{}/merge", id(&survivor));
    let merged = owner.post(&app, &merge, json!({"merge_ids": [id(&twin)]})).await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    assert!(palette(&app, &person, "twin").await.is_empty(), "a merged lead is gone");
    assert_eq!(palette(&app, &person, "alan").await, ["Alan Turing"]);

    assert_eq!(owner.delete(&app, &path).await.status, 204);
    assert!(palette(&app, &person, "murray").await.is_empty(), "a deleted lead is gone");
}

#[tokio::test]
async fn the_palette_keeps_to_the_organization_and_the_callers_reach() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let org = owner.organization_id;
    let sales = app.member_with_email(org, "sales@acme.test", "sales").await;
    let other_sales = app.member_with_email(org, "sales2@acme.test", "sales").await;
    create_lead(&app, &sales, json!({"first_name": "Mine", "last_name": "Zephyr"})).await;
    create_lead(&app, &other_sales, json!({"first_name": "Theirs", "last_name": "Zephyr"})).await;
    create_lead(&app, &other, json!({"first_name": "Foreign", "last_name": "Zephyr"})).await;

    let seller = Client::logged_in(&app, "sales@acme.test").await;
    assert_eq!(palette(&app, &seller, "zeph").await, ["Mine Zephyr"], "own scope: only their own");
    let boss = Client::logged_in(&app, &owner.email).await;
    let mut all = palette(&app, &boss, "zephyr").await;
    all.sort();
    assert_eq!(all, ["Mine Zephyr", "Theirs Zephyr"], "never another organization's");
    let outsider = Client::logged_in(&app, &other.email).await;
    assert_eq!(palette(&app, &outsider, "zephyr").await, ["Foreign Zephyr"]);
}

#[tokio::test]
async fn the_palette_skips_leads_out_of_reach_in_later_rounds() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let org = owner.organization_id;
    let sales = app.member_with_email(org, "sales@acme.test", "sales").await;
    // Theirs is the oldest: newer leads the seller cannot see fill several rounds first.
    create_lead(&app, &sales, json!({"first_name": "Mine", "last_name": "Quill"})).await;
    for n in 0..120 {
        create_lead(&app, &owner, json!({"first_name": format!("Other{n}"), "last_name": "Quill"})).await;
    }
    let seller = Client::logged_in(&app, "sales@acme.test").await;
    assert_eq!(palette(&app, &seller, "quill").await, ["Mine Quill"]);
    let boss = Client::logged_in(&app, &owner.email).await;
    let newest = palette(&app, &boss, "quill").await;
    assert_eq!(newest.len(), 8, "a page of the palette: {newest:?}");
    assert_eq!(newest[0], "Other119 Quill", "the newest exact matches first");
    assert_eq!(newest[7], "Other112 Quill");
}

#[tokio::test]
async fn imported_leads_are_found_and_updated_ones_lose_their_old_words() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    create_lead(
        &app,
        &owner,
        json!({"first_name": "Old", "last_name": "Nameless", "email": "known@example.com"}),
    )
    .await;
    let file = b"first_name,last_name,email,company\nKnown,Renamed,known@example.com,\nFresh,Importee,fresh@example.com,Newco\n";
    let uploaded = crate::support::upload_csv(&app, &owner, file, &[("on_duplicate", "update")]).await;
    assert_eq!(uploaded.status, 202, "{}", uploaded.text());
    let id = uploaded.json()["id"].as_str().unwrap().to_owned();
    app.run_jobs().await;
    let commit = owner.post(&app, &format!("/api/v1/leads/imports/{id}/commit"), json!({})).await;
    assert_eq!(commit.status, 202, "{}", commit.text());
    app.run_jobs().await;
    let import = owner.get(&app, &format!("/api/v1/leads/imports/{id}")).await.json();
    assert_eq!(import["status"], "completed", "{import}");

    assert_eq!(palette(&app, &person, "importee").await, ["Fresh Importee"], "a created lead");
    assert_eq!(palette(&app, &person, "newco").await, ["Fresh Importee"]);
    assert_eq!(palette(&app, &person, "renamed").await, ["Known Renamed"], "an updated lead");
    assert!(palette(&app, &person, "nameless").await.is_empty(), "its old name is gone");
}
