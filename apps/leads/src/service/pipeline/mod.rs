//! Pipelines and their stages: the default pipeline every organization gets on first use
//! (here), and editing pipelines with scope `all` of `leads.edit` — [`create`] and
//! [`update`] of pipelines, [`stages`] for their stages. The handlers check the bodies
//! ([`input`]) before any of these run.

pub mod create;
pub mod input;
pub mod stages;
pub mod update;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::migration::one_default_pipeline::DEFAULT_INDEX;
use crate::model::{StageKind, pipeline, stage};

pub use create::pipeline_create;
pub use input::{
    NewPipeline, PipelineChanges, PipelinePatch, PipelineSpec, StageChanges, StageInput, StagePatch,
    StageSpec,
};
pub use stages::{stage_create, stage_delete, stage_update};
pub use update::pipeline_update;

/// The stages of the default pipeline, in order.
pub const DEFAULT_STAGES: &[(&str, StageKind)] = &[
    ("New", StageKind::Open),
    ("Contacted", StageKind::Open),
    ("Qualified", StageKind::Open),
    ("Proposal", StageKind::Open),
    ("Won", StageKind::Won),
    ("Lost", StageKind::Lost),
];
/// The default pipeline's name.
pub const DEFAULT_PIPELINE: &str = "Sales";
/// Most pipelines per organization.
pub const MAX_PIPELINES: u64 = 20;
/// Most stages per pipeline.
pub const MAX_STAGES: usize = 30;
/// Longest pipeline or stage name.
pub const MAX_NAME_LEN: usize = 100;

/// The organization's default pipeline, created with [`DEFAULT_STAGES`] when it has none.
///
/// # Errors
/// Database errors.
pub async fn pipeline_ensure_default(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
) -> Result<Uuid, DbErr> {
    if let Some(found) = default_pipeline(txn, organization_id).await? {
        return Ok(found);
    }
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    let inserted = pipeline::Entity::insert(pipeline::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        name: Set(DEFAULT_PIPELINE.to_owned()),
        is_default: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    // A concurrent first use creates it too: one wins, the other reads the winner's.
    .on_conflict(
        OnConflict::columns([pipeline::Column::OrganizationId, pipeline::Column::Name])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 0 {
        return default_pipeline(txn, organization_id)
            .await?
            .ok_or_else(|| DbErr::Custom("leads: the default pipeline vanished".into()));
    }
    let stages = DEFAULT_STAGES.iter().enumerate().map(|(position, (name, kind))| stage::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        pipeline_id: Set(id),
        name: Set((*name).to_owned()),
        kind: Set(kind.as_str().to_owned()),
        position: Set(position as i32),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    });
    stage::Entity::insert_many(stages).exec_without_returning(txn).await?;
    let names: Vec<&str> = DEFAULT_STAGES.iter().map(|(name, _)| *name).collect();
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.create", "pipeline", id).changes(
            Changes::new().set("name", None::<()>, DEFAULT_PIPELINE).set("stages", None::<()>, &names),
        ),
    )
    .await?;
    Ok(id)
}

async fn default_pipeline(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<Option<Uuid>, DbErr> {
    let found = pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .filter(pipeline::Column::IsDefault.eq(true))
        .one(db)
        .await?;
    Ok(found.map(|pipeline| pipeline.id))
}

/// 409 `name_taken` for a name already used in the organization (pipelines) or pipeline
/// (stages).
pub(super) fn name_taken(error: DbErr) -> ApiError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) if message.contains(DEFAULT_INDEX) => {
            ApiError::Conflict {
                code: "default_changed",
                detail: "Another pipeline became the default at the same time; read the pipelines and retry."
                    .into(),
            }
        }
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict { code: "name_taken", detail: "That name is already used here.".into() }
        }
        _ => ApiError::from(error),
    }
}

/// Makes the organization's default pipeline other than `keep` no longer the default — before
/// `keep` becomes it, since the database holds at most one ([`DEFAULT_INDEX`]): a change to
/// that pipeline, so its version moves on.
pub(super) async fn clear_default(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    keep: Uuid,
) -> Result<(), DbErr> {
    pipeline::Entity::update_many()
        .col_expr(pipeline::Column::IsDefault, Expr::value(false))
        .col_expr(pipeline::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .col_expr(pipeline::Column::Version, Expr::col(pipeline::Column::Version).add(1))
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .filter(pipeline::Column::IsDefault.eq(true))
        .filter(pipeline::Column::Id.ne(keep))
        .exec(txn)
        .await?;
    Ok(())
}

/// A pipeline of the organization, or 404.
pub(super) async fn find_pipeline(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<pipeline::Model, ApiError> {
    pipeline::Entity::find_by_id(id)
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A stage of the organization.
pub(crate) async fn find_stage(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<stage::Model>, DbErr> {
    stage::Entity::find_by_id(id).filter(stage::Column::OrganizationId.eq(organization_id)).one(txn).await
}
