//! The pipeline board: one column per stage, leads as cards, and moving a lead to another
//! stage through the API's own service (`lead_move_stage`) with the same permissions, the
//! lead's version (a stale one is refused, never overwritten) and a reason for lost stages.
//!
//! A move is a form post. Without JavaScript it answers 303 back to the board, or the board
//! again with the refusal. The board's script sends the same form with
//! `X-Requested-With: fetch` and gets a partial instead: the moved card and the column
//! heads (200), or a one-line refusal (403, 409, 422).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use baseops_console::form::{from_script, sentences};
use baseops_console::list::given;
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{Access, ApiError, AppState, FieldErrors};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::display_name;
use crate::permission::{LEADS_EDIT, LEADS_REOPEN, LEADS_VIEW, access_of};
use crate::selector::board::{Board, Total, board as board_of};
use crate::selector::lead::{LeadFilter, LeadOut, lead_get, lead_list};
use crate::selector::pipeline::pipelines_of;
use crate::service::lead::{StageMove, lead_move_stage};

/// Most cards a column shows (the newest); its head still counts every lead.
const CARDS_PER_COLUMN: u64 = 50;

/// The board's query: which pipeline, and the lead a form just moved (for the notice).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BoardQuery {
    pipeline_id: String,
    moved: String,
}

/// A card's move form, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct MoveForm {
    stage_id: String,
    version: String,
    lost_reason: String,
}

/// A stage as the cards' forms and the column heads show it.
#[derive(Debug, Serialize)]
struct StageView {
    id: Uuid,
    name: String,
    kind: &'static str,
    count: i64,
    totals: Vec<Total>,
}

/// A lead on a card; `movable` when the person may move it (edit reaching it, and reopen
/// for a won or lost lead), exactly as the service will judge.
#[derive(Debug, Serialize)]
struct Card {
    id: Uuid,
    name: String,
    company: Option<String>,
    value_amount: Option<i64>,
    currency: Option<String>,
    stage_id: Uuid,
    version: i32,
    movable: bool,
}

#[derive(Debug, Serialize)]
struct ColumnView {
    stage: StageView,
    cards: Vec<Card>,
    more: bool,
}

/// What the person may do to leads beyond seeing them.
struct Reach {
    edit: Option<Access>,
    reopen: Option<Access>,
}

impl Reach {
    fn of(signed: &Signed) -> Self {
        Self {
            edit: access_of(&signed.ctx, LEADS_EDIT).ok(),
            reopen: access_of(&signed.ctx, LEADS_REOPEN).ok(),
        }
    }

    fn card(&self, lead: LeadOut) -> Card {
        let reaches = |access: &Option<Access>| access.is_some_and(|access| access.reaches(lead.owner_id));
        let movable = reaches(&self.edit) && (!lead.status.is_final() || reaches(&self.reopen));
        Card {
            name: display_name(&lead.first_name, &lead.last_name, lead.email.as_deref()),
            id: lead.id,
            company: lead.company,
            value_amount: lead.value_amount,
            currency: lead.currency,
            stage_id: lead.stage_id,
            version: lead.version,
            movable,
        }
    }
}

fn stages_of(board: &Board) -> Vec<StageView> {
    board
        .stages
        .iter()
        .map(|column| StageView {
            id: column.stage.id,
            name: column.stage.name.clone(),
            kind: column.stage.kind.as_str(),
            count: column.count,
            totals: column.totals.clone(),
        })
        .collect()
}

/// A notice above the board: a refused move or a finished one.
#[derive(Debug, Serialize)]
struct Notice {
    kind: &'static str,
    text: String,
}

/// `GET /admin/leads/board`.
pub(super) async fn board(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<BoardQuery>,
) -> Result<Response, ConsoleError> {
    let pipeline_id = match given(&query.pipeline_id) {
        None => None,
        Some(text) => {
            Some(Uuid::parse_str(&text).map_err(|_| ApiError::invalid("pipeline_id", "is not a pipeline"))?)
        }
    };
    let moved = given(&query.moved).and_then(|text| Uuid::parse_str(&text).ok());
    let notice = match moved {
        Some(id) => notice_of_move(&state, &signed, id).await,
        None => None,
    };
    render_board(&state, &signed, pipeline_id, notice, StatusCode::OK).await
}

/// "Moved Ada to Won.", when the lead is still in reach.
async fn notice_of_move(state: &AppState, signed: &Signed, id: Uuid) -> Option<Notice> {
    let access = access_of(&signed.ctx, LEADS_VIEW).ok()?;
    let lead = lead_get(state.db().read(), &access, id).await.ok()?;
    let pipelines = pipelines_of(state.db().read(), access.organization_id).await.ok()?;
    let stage =
        pipelines.iter().flat_map(|pipeline| &pipeline.stages).find(|stage| stage.id == lead.stage_id)?;
    let name = display_name(&lead.first_name, &lead.last_name, lead.email.as_deref());
    Some(Notice { kind: "success", text: format!("Moved {name} to {}.", stage.name) })
}

async fn render_board(
    state: &AppState,
    signed: &Signed,
    pipeline_id: Option<Uuid>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let db = state.db().read();
    let board = board_of(db, &access, pipeline_id).await?;
    let pipelines = pipelines_of(db, access.organization_id).await.map_err(ApiError::from)?;
    let reach = Reach::of(signed);
    let mut columns = Vec::with_capacity(board.stages.len());
    for stage in stages_of(&board) {
        let filter =
            LeadFilter { stage_id: Some(stage.id), limit: Some(CARDS_PER_COLUMN), ..LeadFilter::default() };
        let page = lead_list(db, &access, &filter).await?;
        let cards = page.items.into_iter().map(|lead| reach.card(lead)).collect();
        columns.push(ColumnView { stage, cards, more: page.next_cursor.is_some() });
    }
    let stages: Vec<&StageView> = columns.iter().map(|column| &column.stage).collect();
    let choices: Vec<_> = pipelines
        .iter()
        .map(|pipeline| context! { id => pipeline.id.to_string(), name => pipeline.name.as_str() })
        .collect();
    let mut response = signed.page(
        "leads/board.html",
        vec![Crumb::link("Leads", "/admin/leads"), Crumb::here("Pipeline")],
        context! {
            pipeline_id => board.pipeline_id.to_string(),
            pipeline_name => board.name.as_str(),
            pipelines => choices,
            columns => value(&columns),
            stages => value(&stages),
            can_move => reach.edit.is_some(),
            shown => CARDS_PER_COLUMN,
            notice => value(&notice),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// The refusals a person can act on, shown on the board with their status; any other
/// error is the console's error page.
fn refusal(error: &ApiError) -> Option<(StatusCode, String)> {
    match error {
        ApiError::PreconditionFailed => Some((
            StatusCode::CONFLICT,
            "Someone changed this lead since the board was loaded, so it was not moved. Reload the board and try again."
                .to_owned(),
        )),
        ApiError::Validation(errors) => Some((StatusCode::UNPROCESSABLE_ENTITY, sentences(errors, &[("lost_reason", "Lost reason"), ("stage_id", "Stage"), ("version", "Version")]))),
        ApiError::Conflict { detail, .. } => Some((StatusCode::CONFLICT, detail.clone())),
        ApiError::Refused { code: "reopen_not_allowed", detail } => Some((StatusCode::FORBIDDEN, detail.clone())),
        _ => None,
    }
}

impl MoveForm {
    /// The service's input and the version the form was rendered with.
    fn parse(&self) -> Result<(StageMove, i32), ApiError> {
        let mut errors = FieldErrors::new();
        let stage_id = Uuid::parse_str(self.stage_id.trim()).ok();
        if stage_id.is_none() {
            errors.add("stage_id", "must be chosen");
        }
        let version = self.version.trim().parse::<i32>().ok();
        if version.is_none() {
            errors.add("version", "is missing from the form; reload the board");
        }
        match (stage_id, version) {
            (Some(stage_id), Some(version)) => {
                Ok((StageMove { stage_id, lost_reason: given(&self.lost_reason) }, version))
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// `POST /admin/leads/{id}/stage`: the API's `POST /leads/{id}/stage`, from a card.
pub(super) async fn move_stage(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<MoveForm>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_EDIT)?;
    let reopen = access_of(&signed.ctx, LEADS_REOPEN).ok();
    let moved = async {
        let (input, version) = form.parse()?;
        let target = input.check().map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        lead_move_stage(&txn, signed.ctx.acting(), &access, id, Some(version), target, reopen.as_ref())
            .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(())
    }
    .await;
    let script = from_script(&headers);
    // Read back from the primary: a replica may not have the move yet.
    let view = Access::system(access.organization_id, access.user_id);
    if let Err(error) = moved {
        let Some((status, message)) = refusal(&error) else { return Err(error.into()) };
        if script {
            return Ok(signed.console().bare(
                "leads/board_answer.html",
                context! { message => message },
                status,
            ));
        }
        let pipeline_id = lead_get(state.db().write(), &view, id).await.ok().map(|lead| lead.pipeline_id);
        return render_board(
            &state,
            &signed,
            pipeline_id,
            Some(Notice { kind: "error", text: message }),
            status,
        )
        .await;
    }
    let lead = lead_get(state.db().write(), &view, id).await?;
    if !script {
        let to = format!("/admin/leads/board?pipeline_id={}&moved={id}", lead.pipeline_id);
        return Ok(Redirect::to(&to).into_response());
    }
    answer(&state, &signed, lead).await
}

/// The script's partial after a move: the card as it is now and every column head of its
/// pipeline (counts and totals moved too).
async fn answer(state: &AppState, signed: &Signed, lead: LeadOut) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let board = board_of(state.db().write(), &access, Some(lead.pipeline_id)).await?;
    let stages = stages_of(&board);
    let card = Reach::of(signed).card(lead);
    Ok(signed.console().bare(
        "leads/board_answer.html",
        context! {
            card => value(&card),
            stages => value(&stages),
            csrf_token => signed.viewer.csrf_token.as_str(),
        },
        StatusCode::OK,
    ))
}
