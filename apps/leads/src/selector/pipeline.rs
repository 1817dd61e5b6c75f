//! Reading pipelines with their stages, and assignment rules.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{StageKind, assignment_rule, pipeline, stage};

/// A stage as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StageOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `open`, `won` or `lost`.
    pub kind: StageKind,
    /// Place in the pipeline, from 0.
    pub position: i32,
    /// For `If-Match` on `PATCH /leads/stages/{id}`; moves on with every change to the stage,
    /// its place too when another stage's move, addition or removal shifts it.
    pub version: i32,
}

/// A pipeline with its stages in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PipelineOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Whether new leads start in it.
    pub is_default: bool,
    /// Stages in order.
    pub stages: Vec<StageOut>,
    /// For `If-Match` on `PATCH /leads/pipelines/{id}`; moves on with every change to the
    /// name or default flag (the stages have their own).
    pub version: i32,
}

/// The organization's pipelines (default first, then by name) with their stages: two queries.
///
/// # Errors
/// Database errors.
pub async fn pipelines_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<PipelineOut>, DbErr> {
    let pipelines = pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .order_by_desc(pipeline::Column::IsDefault)
        .order_by_asc(pipeline::Column::Name)
        .all(db)
        .await?;
    let stages = stage::Entity::find()
        .filter(stage::Column::OrganizationId.eq(organization_id))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(db)
        .await?;
    Ok(pipelines
        .into_iter()
        .map(|pipeline| PipelineOut {
            stages: stages
                .iter()
                .filter(|stage| stage.pipeline_id == pipeline.id)
                .map(|stage| StageOut {
                    id: stage.id,
                    name: stage.name.clone(),
                    kind: StageKind::parse(&stage.kind).unwrap_or(StageKind::Open),
                    position: stage.position,
                    version: stage.version,
                })
                .collect(),
            id: pipeline.id,
            name: pipeline.name,
            is_default: pipeline.is_default,
            version: pipeline.version,
        })
        .collect())
}

/// An assignment rule as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Order among the rules (lower first).
    pub position: i32,
    /// Only leads from this source; `null`: every lead.
    pub source: Option<String>,
    /// The members leads rotate through.
    pub member_ids: Vec<Uuid>,
    /// Whether it is on.
    pub active: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// For `If-Match` on `PATCH /leads/assignment-rules/{id}`; moves on with every change.
    pub version: i32,
}

/// The organization's assignment rules in evaluation order.
///
/// # Errors
/// Database errors.
pub async fn rules_of(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<Vec<RuleOut>, DbErr> {
    let rules = assignment_rule::Entity::find()
        .filter(assignment_rule::Column::OrganizationId.eq(organization_id))
        .order_by_asc(assignment_rule::Column::Position)
        .order_by_asc(assignment_rule::Column::Id)
        .all(db)
        .await?;
    Ok(rules
        .into_iter()
        .map(|rule| RuleOut {
            member_ids: serde_json::from_str(&rule.member_ids).unwrap_or_default(),
            id: rule.id,
            name: rule.name,
            position: rule.position,
            source: rule.source,
            active: rule.active,
            updated_at: rule.updated_at,
            version: rule.version,
        })
        .collect())
}
