//! Writes on one lead, one action per file: [`create`], [`update`], [`assign`], [`stage`]
//! (moves between stages), [`delete`]; [`bulk`], the same for many leads at once; and [`insert_many`], the multi-row insert of imports
//! and demo data. Each runs in the caller's transaction with its audit record and events.
//! This module holds what they share: finding a lead within reach, the versioned write, tags.

pub mod assign;
pub mod bulk;
pub mod create;
pub mod delete;
mod insert;
pub mod insert_many;
pub mod stage;
pub mod update;
pub mod words;

use baseops_core::ApiError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::model::{lead, lead_tag};
use crate::permission::Access;

pub use assign::lead_assign;
pub use bulk::{BulkResult, MAX_BULK, leads_assign, leads_delete, leads_move_stage};
pub use create::{CREATE_ENDPOINT, Created, Idempotency, Placement, lead_create};
pub use delete::lead_delete;
pub use insert_many::{SeedRow, StartStage, leads_insert_many, start_stage};
pub use stage::{MAX_LOST_REASON_LEN, StageMove, StageTarget, lead_move_stage};
pub use update::lead_update;

/// A lead of the organization within `access`'s reach: 404 for another organization's
/// lead, 403 or 404 (see [`Access::refusal`]) for one out of reach.
///
/// # Errors
/// As above; database errors.
pub async fn lead_for(
    txn: &impl ConnectionTrait,
    access: &Access,
    id: Uuid,
) -> Result<lead::Model, ApiError> {
    let found = lead::Entity::find_by_id(id)
        .filter(lead::Column::OrganizationId.eq(access.organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !access.reaches(found.owner_id) {
        return Err(access.refusal(found.owner_id));
    }
    Ok(found)
}

/// 412 unless the lead is at `expected` (when one is given).
pub(crate) fn check_version(found: &lead::Model, expected: Option<i32>) -> Result<(), ApiError> {
    match expected {
        Some(version) if version != found.version => Err(ApiError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// Writes `columns` to the lead at `found.version`, bumping the version; 412 when someone
/// changed it meanwhile.
pub(crate) async fn write(
    txn: &impl ConnectionTrait,
    found: &lead::Model,
    columns: Vec<(lead::Column, Expr)>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut update = lead::Entity::update_many()
        .col_expr(lead::Column::Version, Expr::val(found.version + 1))
        .col_expr(lead::Column::UpdatedAt, Expr::val(now));
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    let result = update
        .filter(lead::Column::Id.eq(found.id))
        .filter(lead::Column::Version.eq(found.version))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 { Err(ApiError::PreconditionFailed) } else { Ok(()) }
}

/// Inserts a lead's tags (one statement; nothing without tags).
pub(crate) async fn insert_tags(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    lead_id: Uuid,
    tags: &[String],
) -> Result<(), DbErr> {
    if tags.is_empty() {
        return Ok(());
    }
    let rows = tags.iter().map(|tag| lead_tag::ActiveModel {
        lead_id: Set(lead_id),
        tag: Set(tag.clone()),
        organization_id: Set(organization_id),
    });
    lead_tag::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// Replaces a lead's tags with `tags`.
pub(crate) async fn replace_tags(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    lead_id: Uuid,
    tags: &[String],
) -> Result<(), DbErr> {
    lead_tag::Entity::delete_many().filter(lead_tag::Column::LeadId.eq(lead_id)).exec(txn).await?;
    insert_tags(txn, organization_id, lead_id, tags).await
}
