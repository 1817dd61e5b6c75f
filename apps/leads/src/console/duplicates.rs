//! Likely duplicates in the console and merging them: the same selector and service as
//! `GET /leads/duplicates` and `POST /leads/{id}/merge`. Each group of leads sharing an
//! e-mail address or a phone number gets a form: which lead survives, which are merged into
//! it (their timelines, tags and customer link move over; blanks are filled from them).

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use baseops_console::form::{Failure, all, answer, done, one};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Links};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use uuid::Uuid;

use crate::permission::{LEADS_DELETE, LEADS_EDIT, LEADS_VIEW, access_of};
use crate::selector::board::duplicates as duplicates_of;
use crate::service::merge::{MAX_MERGED, MergeInput, lead_merge};

/// Groups of each kind the page lists.
const GROUPS: u64 = 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/leads/duplicates", get(page).post(merge))
}

/// The page's query: one lead's duplicates, a message after a merge.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DuplicatesQuery {
    lead_id: String,
    done: String,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    lead_id: Option<Uuid>,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let groups = duplicates_of(state.db().read(), &access, lead_id, GROUPS).await?;
    let page = signed.page(
        "leads/duplicates.html",
        vec![Crumb::link("Leads", "/admin/leads"), Crumb::here("Duplicates")],
        context! {
            groups => value(&groups),
            lead_id => lead_id.map(|id| id.to_string()),
            can_merge => signed.can(LEADS_EDIT) && signed.can(LEADS_DELETE),
            failure => value(&failure),
            done => done,
        },
    );
    Ok(answer(failure.as_ref(), page))
}

/// `GET /admin/leads/duplicates[?lead_id=]`.
async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DuplicatesQuery>,
) -> Result<Response, ConsoleError> {
    let lead_id = match query.lead_id.trim() {
        "" => None,
        text => Some(text.parse().map_err(|_| ApiError::invalid("lead_id", "must be a lead id"))?),
    };
    let done = (query.done == "merged").then_some("The leads are merged.");
    render(&state, &signed, lead_id, None, done).await
}

/// `POST /admin/leads/duplicates`: `survivor` and the `merge` ids, as `POST
/// /leads/{survivor}/merge` with no field chosen (the survivor's values, blanks filled).
async fn merge(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let edit = access_of(ctx, LEADS_EDIT)?;
    let delete = access_of(ctx, LEADS_DELETE)?;
    let merged = async {
        let survivor: Uuid = one(&fields, "survivor")
            .parse()
            .map_err(|_| ApiError::invalid("survivor", "choose the lead that stays"))?;
        let merge_ids = all(&fields, "merge")
            .take(MAX_MERGED + 1)
            .map(str::parse)
            .filter(|id| id.as_ref() != Ok(&survivor))
            .collect::<Result<Vec<Uuid>, _>>()
            .map_err(|_| ApiError::invalid("merge_ids", "must be leads of the list"))?;
        let plan = MergeInput { merge_ids, fields: Default::default() }.check(survivor)?;
        let txn = state.db().write().begin().await?;
        lead_merge(&txn, &Links::of(&state), ctx.acting(), &edit, &delete, None, plan).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    let lead_id = one(&fields, "lead_id").parse().ok();
    match merged.await {
        Ok(()) => Ok(done("/admin/leads/duplicates", "merged")),
        Err(error) => render(&state, &signed, lead_id, Some(Failure::of("merge", error)?), None).await,
    }
}
