//! The list's bulk actions: tick leads, choose *Give to…*, *Move to…* or *Delete…*, then
//! pick the owner or stage (or confirm the delete) on a second page that carries the ticked
//! ids. The same checks and services as `POST /leads/bulk/assign`, `/stage` and `/delete`:
//! all or none. The choices live on the second page so the list stays one query lighter.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use baseops_console::form::{Failure, all, answer, done, one};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use sea_orm::TransactionTrait;
use serde::Serialize;
use uuid::Uuid;

use super::ListForm;
use crate::permission::{LEADS_ASSIGN, LEADS_DELETE, LEADS_EDIT, LEADS_REOPEN, access_of};
use crate::selector::pipeline::pipelines_of;
use crate::service::directory::member_choices;
use crate::service::lead::bulk::checked_ids;
use crate::service::lead::{MAX_BULK, StageMove, leads_assign, leads_delete, leads_move_stage};

/// The form's name in failures.
const FORM: &str = "bulk";

/// What the second page offers: a value and its label.
#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// `POST /admin/leads/bulk?<the list's filters>`: `ids` ticked, `action` (`assign`, `stage`
/// or `delete`); with `confirm=1` and the `owner_id` or `stage_id` chosen, the change.
pub(super) async fn bulk(
    State(state): State<AppState>,
    signed: Signed,
    Query(list): Query<ListForm>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let action = one(&fields, "action");
    let permission = match action {
        "assign" => LEADS_ASSIGN,
        "stage" => LEADS_EDIT,
        "delete" => LEADS_DELETE,
        _ => return Err(ApiError::invalid("action", "must be assign, stage or delete").into()),
    };
    let access = access_of(&signed.ctx, permission)?;
    // One more than allowed is enough for the check to refuse the lot.
    let ids = all(&fields, "ids")
        .take(MAX_BULK + 1)
        .map(str::parse)
        .collect::<Result<Vec<Uuid>, _>>()
        .map_err(|_| ApiError::invalid("ids", "must be leads of the list"))?;
    let ids = match checked_ids(ids) {
        Ok(ids) => ids,
        // Nothing ticked: back to the list, which says so above it.
        Err(errors) => {
            let mut failure = Failure::of(FORM, ApiError::Validation(errors))?;
            failure.message = format!("Tick 1 to {MAX_BULK} leads first.");
            return super::render_list(&state, &signed, &list, Some(failure)).await;
        }
    };
    if one(&fields, "confirm") != "1" {
        return confirm_page(&state, &signed, &list, action, &ids, None).await;
    }
    let changed = async {
        let txn = state.db().write().begin().await?;
        let acting = signed.ctx.acting();
        match action {
            "assign" => {
                let owner = match one(&fields, "owner_id") {
                    "" => None,
                    id => Some(id.parse().map_err(|_| ApiError::invalid("owner_id", "is not a member"))?),
                };
                let directory = baseops_core::directory(&state);
                leads_assign(&txn, &*directory, acting, &access, &ids, owner).await?;
            }
            "stage" => {
                let stage_id = one(&fields, "stage_id")
                    .parse()
                    .map_err(|_| ApiError::invalid("stage_id", "choose a stage"))?;
                let lost_reason = baseops_console::list::given(one(&fields, "lost_reason"));
                let target = StageMove { stage_id, lost_reason }.check().map_err(ApiError::Validation)?;
                let reopen = access_of(&signed.ctx, LEADS_REOPEN).ok();
                leads_move_stage(&txn, acting, &access, &ids, &target, reopen.as_ref()).await?;
            }
            _ => {
                leads_delete(&txn, acting, &access, &ids).await?;
            }
        }
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match changed.await {
        Ok(()) => Ok(done(&list.first_page(), done_key(action))),
        Err(error) => {
            let failure = Failure::of(FORM, error)?;
            confirm_page(&state, &signed, &list, action, &ids, Some(failure)).await
        }
    }
}

/// The list's message after each action.
fn done_key(action: &str) -> &'static str {
    match action {
        "assign" => "assigned",
        "stage" => "moved",
        _ => "deleted_many",
    }
}

/// The second page: the owner or stage to choose, or the delete to confirm.
async fn confirm_page(
    state: &AppState,
    signed: &Signed,
    list: &ListForm,
    action: &str,
    ids: &[Uuid],
    failure: Option<Failure>,
) -> Result<Response, ConsoleError> {
    let organization_id = signed.ctx.organization_id()?;
    let db = state.db().read();
    let choices: Vec<Choice> = match action {
        "assign" => member_choices(db, &*baseops_core::directory(state), organization_id)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .map(|(id, label)| Choice { value: id.to_string(), label })
            .collect(),
        "stage" => pipelines_of(db, organization_id)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .flat_map(|pipeline| {
                pipeline.stages.into_iter().map(move |stage| Choice {
                    value: stage.id.to_string(),
                    label: format!("{} › {} ({})", pipeline.name, stage.name, stage.kind.as_str()),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let page = signed.page(
        "leads/bulk.html",
        vec![Crumb::link("Leads", list.first_page()), Crumb::here("Change leads")],
        context! {
            action => action,
            ids => value(&ids),
            choices => value(&choices),
            action_url => list.at("/admin/leads/bulk"),
            back => list.first_page(),
            failure => value(&failure),
        },
    );
    Ok(answer(failure.as_ref(), page))
}
