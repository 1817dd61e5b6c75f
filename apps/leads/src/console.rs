//! The leads app in the console: the list (search, status, order, keyset pages), a lead's
//! page, the pipeline board ([`board`]), and leads in the command palette. The same
//! selectors and services as the JSON API.

mod board;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use baseops_app::{ConsolePage, ConsoleSection, SearchHit};
use baseops_console::list::{first_page, given};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, RequestContext};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use uuid::Uuid;

use crate::api::leads::ListQuery;
use crate::model::StageKind;
use crate::permission::{LEADS_VIEW, access_of};
use crate::selector::lead::{LeadFilter, lead_count, lead_get, lead_list};

/// Matching leads are counted up to this many; beyond it the list says "more than".
const COUNT_BOUND: u64 = 1000;

/// What the leads app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[
        ConsolePage { path: "leads", title: "Leads", permission: Some(LEADS_VIEW) },
        ConsolePage { path: "leads/board", title: "Pipeline", permission: Some(LEADS_VIEW) },
    ],
    routes,
    templates: &[
        ("leads/list.html", include_str!("../templates/leads/list.html")),
        ("leads/detail.html", include_str!("../templates/leads/detail.html")),
        ("leads/board.html", include_str!("../templates/leads/board.html")),
        ("leads/board_head.html", include_str!("../templates/leads/board_head.html")),
        ("leads/board_card.html", include_str!("../templates/leads/board_card.html")),
        ("leads/board_answer.html", include_str!("../templates/leads/board_answer.html")),
    ],
    search: Some(search),
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/leads", get(list))
        .route("/admin/leads/board", get(board::board))
        .route("/admin/leads/{id}", get(detail))
        .route("/admin/leads/{id}/stage", post(board::move_stage))
}

/// The list's filter form, as a browser sends it: empty fields mean "any".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListForm {
    q: String,
    status: String,
    sort: String,
    cursor: String,
}

impl ListForm {
    fn filter(&self) -> Result<LeadFilter, ConsoleError> {
        let status = match self.status.as_str() {
            "" => None,
            "open" => Some(StageKind::Open),
            "won" => Some(StageKind::Won),
            "lost" => Some(StageKind::Lost),
            _ => return Err(baseops_core::ApiError::invalid("status", "must be open, won or lost").into()),
        };
        let query = ListQuery {
            q: given(&self.q),
            status,
            sort: given(&self.sort),
            cursor: given(&self.cursor),
            ..ListQuery::default()
        };
        Ok(query.filter()?)
    }

    /// The list's first page with this form's filters.
    fn first_page(&self) -> String {
        first_page("/admin/leads", &[("q", self.q.as_str()), ("status", &self.status), ("sort", &self.sort)])
    }
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let filter = form.filter()?;
    let page = lead_list(state.db().read(), &access, &filter).await?;
    let count = lead_count(state.db().read(), &access, &filter, COUNT_BOUND).await.map_err(ApiError::from)?;
    Ok(signed.page(
        "leads/list.html",
        vec![Crumb::here("Leads")],
        context! {
            page => value(&page),
            count => value(&count),
            q => form.q.trim(),
            status => form.status.as_str(),
            sort => form.sort.as_str(),
            first_page => form.first_page(),
            paged => !form.cursor.is_empty(),
        },
    ))
}

async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let lead = lead_get(state.db().read(), &access, id).await?;
    let name = display_name(&lead.first_name, &lead.last_name, lead.email.as_deref());
    Ok(signed.page(
        "leads/detail.html",
        vec![Crumb::link("Leads", "/admin/leads"), Crumb::here(name.clone())],
        context! { lead => value(&lead), name => name },
    ))
}

/// How a lead is called on screen: its name, else its e-mail address.
fn display_name(first: &str, last: &str, email: Option<&str>) -> String {
    let name = format!("{first} {last}");
    let name = name.trim();
    if name.is_empty() { email.unwrap_or("Unnamed lead").to_owned() } else { name.to_owned() }
}

/// Leads whose name, e-mail or company contains the query, newest first.
fn search(
    state: AppState,
    ctx: RequestContext,
    q: String,
    limit: u64,
) -> BoxFuture<'static, Result<Vec<SearchHit>, baseops_core::ApiError>> {
    async move {
        if !ctx.can(LEADS_VIEW) {
            return Ok(Vec::new());
        }
        let access = access_of(&ctx, LEADS_VIEW)?;
        let filter = LeadFilter { q: Some(q), limit: Some(limit), ..LeadFilter::default() };
        let page = lead_list(state.db().read(), &access, &filter).await?;
        Ok(page
            .items
            .into_iter()
            .map(|lead| SearchHit {
                kind: "Lead",
                title: display_name(&lead.first_name, &lead.last_name, lead.email.as_deref()),
                subtitle: [lead.company.as_deref(), lead.email.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                url: format!("/admin/leads/{}", lead.id),
            })
            .collect())
    }
    .boxed()
}
