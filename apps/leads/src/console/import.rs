//! The CSV import wizard in the console: upload, the column mapping (suggested from the
//! headers, adjustable), the validation report, live progress, the result — the same
//! services and background jobs as `POST /leads/imports`, `/validate` and `/commit`.
//!
//! While a step runs, the page's progress panel asks for itself again every second (htmx);
//! without JavaScript, a *Refresh* link does the same.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use baseops_console::form::{Failure, answer, done, from_script};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::api::imports::{ImportOut, store_upload};
use crate::import::{ImportField, Mapping};
use crate::permission::LEADS_IMPORT;
use crate::service::import::{OnDuplicate, import_configure, import_for, import_start};

/// Problems of the report the page lists; the rest are counted.
const PROBLEMS_SHOWN: usize = 50;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/leads/import", get(upload_form).post(upload))
        .route("/admin/leads/imports/{id}", get(wizard))
        .route("/admin/leads/imports/{id}/validate", post(configure))
        .route("/admin/leads/imports/{id}/commit", post(commit))
}

fn upload_page(signed: &Signed, failure: Option<Failure>) -> Response {
    let page = signed.page(
        "leads/import.html",
        vec![Crumb::link("Leads", "/admin/leads"), Crumb::here("Import")],
        context! { failure => value(&failure) },
    );
    answer(failure.as_ref(), page)
}

/// `GET /admin/leads/import`: the upload form.
async fn upload_form(signed: Signed) -> Result<Response, ConsoleError> {
    signed.ctx.require(LEADS_IMPORT)?;
    Ok(upload_page(&signed, None))
}

/// `POST /admin/leads/import` (multipart, its CSRF token in the query string): stores the
/// file and starts validating it, as `POST /leads/imports`.
async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(LEADS_IMPORT)?;
    let stored = async {
        let form = form.map_err(|_| ApiError::invalid("file", "must be sent as a file upload form"))?;
        Ok::<_, ApiError>(store_upload(&state, ctx, form).await?.id)
    };
    match stored.await {
        Ok(id) => Ok(done(&format!("/admin/leads/imports/{id}"), "uploaded")),
        Err(error @ ApiError::PayloadTooLarge) => {
            let mut failure =
                Failure::of("upload", ApiError::invalid("file", "is larger than imports allow"))?;
            failure.status = error.problem().status_code();
            Ok(upload_page(&signed, Some(failure)))
        }
        Err(error) => Ok(upload_page(&signed, Some(Failure::of("upload", error)?))),
    }
}

/// One column of the mapping form: its header and the field it fills.
#[derive(serde::Serialize)]
struct Column<'a> {
    header: &'a str,
    field: ImportField,
}

/// What the wizard shows of an import: where it is, and what can be done next.
fn render(signed: &Signed, import: &ImportOut, fragment: bool, failure: Option<Failure>) -> Response {
    let running = matches!(import.status.as_str(), "uploaded" | "validating" | "importing");
    let columns: Vec<Column<'_>> = import
        .columns
        .iter()
        .map(|header| Column {
            header,
            field: import.mapping.get(header).copied().unwrap_or(ImportField::Ignore),
        })
        .collect();
    let problems =
        import.report.as_ref().map(|report| &report.problems[..report.problems.len().min(PROBLEMS_SHOWN)]);
    let context = context! {
        import => value(import),
        running => running,
        columns => value(&columns),
        fields => value(&ImportField::ALL),
        problems => value(&problems),
        failure => value(&failure),
        // The panel alone, polled, has no frame to carry the token its forms need.
        csrf_token => signed.viewer.csrf_token.as_str(),
    };
    let page = if fragment {
        signed.console().bare("leads/import_progress.html", context, StatusCode::OK)
    } else {
        signed.page(
            "leads/import_wizard.html",
            vec![
                Crumb::link("Leads", "/admin/leads"),
                Crumb::link("Import", "/admin/leads/import"),
                Crumb::here(import.file_name.clone()),
            ],
            context,
        )
    };
    answer(failure.as_ref(), page)
}

/// `GET /admin/leads/imports/{id}`: the wizard at the import's step; the progress panel
/// alone for the page's own polling.
async fn wizard(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(LEADS_IMPORT)?;
    let import = import_for(state.db().read(), signed.ctx.organization_id()?, id).await?;
    let fragment = from_script(&headers) || headers.contains_key("hx-request");
    Ok(render(&signed, &ImportOut::from(import), fragment, None))
}

/// The mapping form's `column:<header>` choices as a mapping of the file's columns.
fn mapping_of(fields: &[(String, String)], columns: &[String]) -> Result<Mapping, ApiError> {
    // One choice per column, the token and the duplicate handling: more is not this form.
    if fields.len() > columns.len() + 2 {
        return Err(ApiError::invalid("mapping", "has more choices than the file has columns"));
    }
    let mut mapping = Mapping::new();
    for (key, chosen) in fields {
        let Some(header) = key.strip_prefix("column:") else { continue };
        if !columns.iter().any(|column| column == header) {
            return Err(ApiError::invalid("mapping", "names a column the file does not have"));
        }
        let field = serde_json::from_value(serde_json::Value::String(chosen.clone()))
            .map_err(|_| ApiError::invalid("mapping", "names a field leads do not have"))?;
        mapping.insert(header.to_owned(), field);
    }
    Ok(mapping)
}

/// `POST /admin/leads/imports/{id}/validate`: a new mapping, validated again.
async fn configure(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(LEADS_IMPORT)?;
    let organization_id = ctx.organization_id()?;
    let import = ImportOut::from(import_for(state.db().write(), organization_id, id).await?);
    let changed = async {
        let mapping = mapping_of(&fields, &import.columns)?;
        let choice = baseops_console::form::one(&fields, "on_duplicate").to_owned();
        let on_duplicate: OnDuplicate = serde_json::from_value(serde_json::Value::String(choice))
            .map_err(|_| ApiError::invalid("on_duplicate", "must be skip, update or create"))?;
        let txn = state.db().write().begin().await?;
        import_configure(&txn, ctx.acting(), organization_id, id, Some(mapping), Some(on_duplicate)).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match changed.await {
        Ok(()) => Ok(done(&format!("/admin/leads/imports/{id}"), "validating")),
        Err(error) => Ok(render(&signed, &import, false, Some(Failure::of("mapping", error)?))),
    }
}

/// `POST /admin/leads/imports/{id}/commit`: the valid rows become leads in the background.
async fn commit(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(LEADS_IMPORT)?;
    let organization_id = ctx.organization_id()?;
    let started = async {
        let txn = state.db().write().begin().await?;
        import_start(&txn, ctx.acting(), organization_id, id, true).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match started.await {
        Ok(()) => Ok(done(&format!("/admin/leads/imports/{id}"), "importing")),
        Err(error @ ApiError::Conflict { .. }) => {
            let import = ImportOut::from(import_for(state.db().write(), organization_id, id).await?);
            Ok(render(&signed, &import, false, Some(Failure::of("commit", error)?)))
        }
        Err(error) => Err(error.into()),
    }
}
