//! Notifications in the console: the bell's page (the list, mark read, mark all read) and
//! the preferences — a person's own inbox, so a session only, like the API. The kit shows
//! the page at `notifications` as the bell, kept live by the SSE stream.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::list::{first_page, given};
use baseops_console::{ConsoleError, Crumb, Signed, context, is_local_page, value};
use baseops_core::{ApiError, AppState, Paging};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use uuid::Uuid;

use crate::selector::{self, ANY_KIND, Channels, Filter, SORT};
use crate::service;

/// What the notifications service adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[ConsolePage { path: "notifications", title: "Notifications", permission: None }],
    routes,
    templates: &[
        ("notifications/list.html", include_str!("../templates/notifications/list.html")),
        ("notifications/preferences.html", include_str!("../templates/notifications/preferences.html")),
    ],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/notifications", get(list))
        .route("/admin/notifications/{id}/open", post(open))
        .route("/admin/notifications/read-all", post(read_all))
        .route("/admin/notifications/preferences", get(preferences).post(set_preferences))
}

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListForm {
    unread: String,
    cursor: String,
}

/// A notification's link as a console page: apps link to their records by path
/// (`/tasks/{id}`); anything that would not be a console page is no link at all.
fn console_link(link: Option<&str>) -> Option<String> {
    let link = link?;
    let page = if link == "/me" { "/admin/account".to_owned() } else { format!("/admin{link}") };
    (link.starts_with('/') && is_local_page(&page)).then_some(page)
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Result<Response, ConsoleError> {
    let filter = Filter {
        unread_only: form.unread == "1",
        organization_id: None,
        paging: Paging::new(None, given(&form.cursor).as_deref(), SORT)?,
    };
    let page =
        selector::list(state.db().read(), signed.ctx.user_id(), &filter).await.map_err(ApiError::from)?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|item| context! { item => value(item), url => console_link(item.link.as_deref()) })
        .collect();
    Ok(signed.page(
        "notifications/list.html",
        vec![Crumb::here("Notifications")],
        context! {
            items => items,
            page => value(&page),
            unread_only => form.unread == "1",
            first_page => first_page("/admin/notifications", &[("unread", &form.unread)]),
            paged => !form.cursor.is_empty(),
        },
    ))
}

/// Opens a notification: marks it read and goes to what it is about.
async fn open(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let user_id = signed.ctx.user_id();
    let item = selector::get(state.db().write(), user_id, id)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    service::mark_read(state.db().write(), user_id, id).await.map_err(ApiError::from)?;
    let target = console_link(item.link.as_deref()).unwrap_or_else(|| "/admin/notifications".to_owned());
    Ok(Redirect::to(&target).into_response())
}

async fn read_all(State(state): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    service::mark_all_read(state.db().write(), signed.ctx.user_id(), None).await.map_err(ApiError::from)?;
    Ok(Redirect::to("/admin/notifications").into_response())
}

async fn preferences(State(state): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    let user_id = signed.ctx.user_id();
    let rows = selector::preferences_of(state.db().read(), [user_id]).await.map_err(ApiError::from)?;
    let default = selector::effective(&rows, user_id, ANY_KIND);
    let kinds: Vec<_> = rows
        .iter()
        .filter(|row| row.kind != ANY_KIND)
        .map(|row| {
            context! {
                kind => row.kind.as_str(), channels => value(&Channels::from(row)),
            }
        })
        .collect();
    Ok(signed.page(
        "notifications/preferences.html",
        vec![Crumb::link("Notifications", "/admin/notifications"), Crumb::here("Preferences")],
        context! { default => value(&default), kinds => kinds },
    ))
}

/// One kind's channels as checkboxes send them (a box left unchecked is absent).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PreferenceForm {
    kind: String,
    in_app: String,
    email: String,
    digest: String,
}

async fn set_preferences(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<PreferenceForm>,
) -> Result<Response, ConsoleError> {
    let kind = given(&form.kind).unwrap_or_else(|| ANY_KIND.to_owned());
    let channels =
        Channels { in_app: form.in_app == "on", email: form.email == "on", digest: form.digest == "on" };
    let txn = state.db().write().begin().await.map_err(ApiError::from)?;
    service::set_preference(&txn, signed.ctx.acting(), signed.ctx.user_id(), &kind, None, channels).await?;
    txn.commit().await.map_err(ApiError::from)?;
    Ok(Redirect::to("/admin/notifications/preferences").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_console_pages_or_nothing() {
        assert_eq!(console_link(Some("/tasks/1")).as_deref(), Some("/admin/tasks/1"));
        assert_eq!(console_link(Some("/me")).as_deref(), Some("/admin/account"));
        assert_eq!(console_link(Some("//evil.example")), None);
        assert_eq!(console_link(Some("https://evil.example")), None);
        assert_eq!(console_link(Some("javascript:alert(1)")), None);
        assert_eq!(console_link(None), None);
    }
}
