//! The leads app's JSON API, under `/api/v1/leads`. Handlers parse, authorize with
//! [`Access::of`](crate::permission::Access::of) and call one service or selector.

mod activities;
mod bulk;
pub(crate) mod export;
pub(crate) mod imports;
pub(crate) mod leads;
mod pipelines;
mod rules;

use baseops_core::{ApiError, AppState};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the leads app.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(leads::list, leads::create))
        .routes(routes!(leads::detail, leads::update, leads::remove))
        .routes(routes!(leads::move_stage))
        .routes(routes!(leads::assign))
        .routes(routes!(bulk::bulk_assign))
        .routes(routes!(bulk::bulk_stage))
        .routes(routes!(bulk::bulk_delete))
        .routes(routes!(leads::convert))
        .routes(routes!(leads::merge))
        .routes(routes!(leads::duplicates))
        .routes(routes!(leads::board))
        .routes(routes!(export::export))
        .routes(routes!(activities::activities, activities::log_activity))
        .routes(routes!(pipelines::pipelines, pipelines::create_pipeline))
        .routes(routes!(pipelines::update_pipeline))
        .routes(routes!(pipelines::add_stage))
        .routes(routes!(pipelines::update_stage, pipelines::delete_stage))
        .routes(routes!(imports::upload))
        .routes(routes!(imports::import_detail))
        .routes(routes!(imports::configure))
        .routes(routes!(imports::commit))
        .routes(routes!(rules::rules, rules::create_rule))
        .routes(routes!(rules::update_rule, rules::delete_rule))
}

/// Longest text filter accepted in a query string.
const MAX_FILTER_LEN: usize = 200;

/// 422 when a query-string text is too long.
fn check_len(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    if value.is_some_and(|value| value.chars().count() > MAX_FILTER_LEN) {
        return Err(ApiError::invalid(field, format!("must be at most {MAX_FILTER_LEN} characters")));
    }
    Ok(())
}
