//! Updating a lead's own fields. Owner and stage change through [`super::assign`] and
//! [`super::stage`], which record the move on the timeline.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Directory};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;
use uuid::Uuid;

use super::words::replace_words;
use super::{check_version, lead_for, replace_tags, write};
use crate::model::lead;
use crate::permission::Access;
use crate::service::directory::organization_currency;
use crate::service::lead_input::{LeadChanges, LeadFields};

/// Updates a lead's own fields. `access` is the caller's `leads.edit` access; `expected` the
/// version from `If-Match`; `changes` were checked at the edge
/// ([`LeadPatch::check`](crate::service::lead_input::LeadPatch::check)).
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 422 when the lead would have nothing left to
/// know it by.
pub async fn lead_update(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
    changes: LeadChanges,
) -> Result<(), ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    let before = LeadFields::from(&found);
    let mut after = changes.apply(before.clone()).map_err(ApiError::Validation)?;
    if after.value_amount.is_some() && after.currency.is_none() {
        after.currency = Some(organization_currency(txn, directory, access.organization_id).await?);
    }
    let (columns, changes) = diff(&before, &after);
    if changes.is_empty() {
        return Ok(());
    }
    write(txn, &found, columns, Utc::now()).await?;
    if before.tags != after.tags {
        replace_tags(txn, access.organization_id, id, &after.tags).await?;
    }
    replace_words(txn, access.organization_id, id, &before, &after).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.update", "lead", id).changes(changes),
    )
    .await?;
    Ok(())
}

/// The columns to write and the audit changes between two versions of a lead's fields.
pub(crate) fn diff(before: &LeadFields, after: &LeadFields) -> (Vec<(lead::Column, Expr)>, Changes) {
    let mut columns = Vec::new();
    let mut changes = Changes::new();
    macro_rules! field {
        ($name:literal, $column:expr, $before:expr, $after:expr) => {
            if $before != $after {
                changes = changes.set($name, &$before, &$after);
                columns.push(($column, Expr::val($after.clone())));
            }
        };
    }
    field!("first_name", lead::Column::FirstName, before.first_name, after.first_name);
    field!("last_name", lead::Column::LastName, before.last_name, after.last_name);
    field!("email", lead::Column::Email, before.email, after.email);
    field!("phone", lead::Column::Phone, before.phone, after.phone);
    field!("company", lead::Column::Company, before.company, after.company);
    field!("title", lead::Column::Title, before.title, after.title);
    field!("website", lead::Column::Website, before.website, after.website);
    field!("address", lead::Column::Address, before.address, after.address);
    field!("source", lead::Column::Source, before.source, after.source);
    field!("value_amount", lead::Column::ValueAmount, before.value_amount, after.value_amount);
    field!("currency", lead::Column::Currency, before.currency, after.currency);
    field!("score", lead::Column::Score, before.score, after.score);
    field!("utm_source", lead::Column::UtmSource, before.utm[0], after.utm[0]);
    field!("utm_medium", lead::Column::UtmMedium, before.utm[1], after.utm[1]);
    field!("utm_campaign", lead::Column::UtmCampaign, before.utm[2], after.utm[2]);
    field!("utm_term", lead::Column::UtmTerm, before.utm[3], after.utm[3]);
    field!("utm_content", lead::Column::UtmContent, before.utm[4], after.utm[4]);
    field!("notes", lead::Column::Notes, before.notes, after.notes);
    if before.tags != after.tags {
        changes = changes.set("tags", &before.tags, &after.tags);
        columns.push((lead::Column::Tags, Expr::val(serde_json::to_string(&after.tags).unwrap_or_default())));
    }
    if before.search_text() != after.search_text() {
        columns.push((lead::Column::Search, Expr::val(after.search_text())));
    }
    (columns, changes)
}
