//! `GET /leads/export`: every lead of a filtered list as CSV, streamed a page at a time, so
//! no list is ever held in memory whole. The columns read back through the import.

use axum::extract::State;
use axum::response::Response;
use baseops_core::{ApiError, AppState, Currency, Money, Problem, Query, RequestContext};

use crate::api::leads::ListQuery;
use crate::permission::{Access, LEADS_EXPORT, access_of};
use crate::selector::MAX_LIMIT;
use crate::selector::lead::{LeadFilter, LeadOut, lead_list};

/// The header row.
pub(crate) const COLUMNS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "website",
    "address",
    "source",
    "owner_id",
    "stage_id",
    "status",
    "value",
    "currency",
    "tags",
    "score",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "notes",
    "created_at",
    "updated_at",
];

fn row(lead: &LeadOut) -> Vec<String> {
    let optional = |value: &Option<String>| value.clone().unwrap_or_default();
    // In major units with the currency's decimals, as the import reads them; the bare minor
    // units for a code stored before it was checked (or since withdrawn from ISO 4217).
    let currency = lead.currency.as_deref().and_then(|code| Currency::parse(code).ok());
    let value = match (lead.value_amount, currency) {
        (Some(amount), Some(currency)) => {
            Money::new(amount, currency).map_or_else(|_| amount.to_string(), Money::to_decimal_string)
        }
        (Some(amount), None) => amount.to_string(),
        (None, _) => String::new(),
    };
    vec![
        lead.id.to_string(),
        lead.first_name.clone(),
        lead.last_name.clone(),
        optional(&lead.email),
        optional(&lead.phone),
        optional(&lead.company),
        optional(&lead.title),
        optional(&lead.website),
        optional(&lead.address),
        lead.source.clone(),
        lead.owner_id.map(|id| id.to_string()).unwrap_or_default(),
        lead.stage_id.to_string(),
        lead.status.as_str().to_owned(),
        value,
        optional(&lead.currency),
        lead.tags.join(";"),
        lead.score.to_string(),
        optional(&lead.utm_source),
        optional(&lead.utm_medium),
        optional(&lead.utm_campaign),
        optional(&lead.utm_term),
        optional(&lead.utm_content),
        optional(&lead.notes),
        lead.created_at.to_rfc3339(),
        lead.updated_at.to_rfc3339(),
    ]
}

fn csv_chunk(header: bool, leads: &[LeadOut]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::with_capacity(leads.len() * 200));
    if header {
        writer.write_record(COLUMNS)?;
    }
    for lead in leads {
        writer.write_record(row(lead).iter().map(|value| baseops_core::text::defused(value)))?;
    }
    writer.into_inner().map_err(|error| csv::Error::from(error.into_error()))
}

/// Every lead within reach matching the list's filters (and sort), as CSV.
#[utoipa::path(get, path = "/leads/export", operation_id = "leads_export", tag = "leads", params(ListQuery),
    responses(
        (status = 200, description = "The leads as CSV (UTF-8), streamed", content_type = "text/csv"),
        (status = 403, description = "Requires leads.export", body = Problem),
        (status = 422, description = "Bad filter or sort", body = Problem),
    ))]
pub(crate) async fn export(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(mut query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let access = access_of(&ctx, LEADS_EXPORT)?;
    baseops_core::refuse_paging(query.limit, query.cursor.as_deref())?;
    query.limit = Some(MAX_LIMIT);
    Ok(csv_response(state, access, query.filter()?))
}

/// The leads `first` selects within `access`'s reach, from its first page on, as a streamed
/// CSV download (the console's *Export CSV* answers the same).
pub(crate) fn csv_response(state: AppState, access: Access, first: LeadFilter) -> Response {
    let first = LeadFilter { limit: Some(MAX_LIMIT), cursor: None, ..first };
    // Each chunk is one page; the next is read only once the client took this one.
    let pages = futures_util::stream::unfold(Some((state, first, true)), move |step| async move {
        let (state, filter, header) = step?;
        let page = match lead_list(state.db().read(), &access, &filter).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(error = ?error, "lead export stopped");
                return Some((Err(std::io::Error::other("lead export failed")), None));
            }
        };
        let chunk = match csv_chunk(header, &page.items) {
            Ok(chunk) => chunk,
            Err(error) => return Some((Err(std::io::Error::other(error.to_string())), None)),
        };
        let next =
            page.next_cursor.map(|cursor| (state, LeadFilter { cursor: Some(cursor), ..filter }, false));
        Some((Ok::<_, std::io::Error>(bytes::Bytes::from(chunk)), next))
    });
    baseops_core::stream::streamed("text/csv; charset=utf-8", Some("leads.csv"), pages)
}
