//! Many new leads at once, for imports and demo data: one multi-row `INSERT` per call (and
//! one for their tags), one audit record listing them, and no per-lead events — what makes
//! a 100,000-row import or a million demo leads take seconds, not hours. Their search words
//! go in with them, a few thousand rows per statement.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::Acting;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::model::{StageKind, lead, lead_tag, stage};
use crate::service::lead_input::LeadFields;
use crate::service::pipeline::pipeline_ensure_default;

/// Most tag rows per `INSERT` (3 values each: far under either engine's parameter limit).
const TAG_ROWS_PER_INSERT: usize = 2000;

/// A new lead ready for a multi-row insert.
#[derive(Debug, Clone)]
pub struct SeedRow {
    /// Its fields.
    pub fields: LeadFields,
    /// Its owner.
    pub owner_id: Option<Uuid>,
    /// Its stage and that stage's kind; `None`: the batch's start stage (open).
    pub stage: Option<(StartStage, StageKind)>,
}

/// Where new leads start: the default pipeline's first stage.
#[derive(Debug, Clone, Copy)]
pub struct StartStage {
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// The stage.
    pub stage_id: Uuid,
}

/// The default pipeline's first stage (created on first use).
///
/// # Errors
/// Database errors.
pub async fn start_stage(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
) -> Result<StartStage, DbErr> {
    let pipeline_id = pipeline_ensure_default(txn, acting, organization_id).await?;
    let first = stage::Entity::find()
        .filter(stage::Column::PipelineId.eq(pipeline_id))
        .filter(stage::Column::Kind.eq("open"))
        .order_by(stage::Column::Position, sea_orm::Order::Asc)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::Custom("leads: the default pipeline has no open stage".into()))?;
    Ok(StartStage { pipeline_id, stage_id: first.id })
}

/// Inserts many new leads with one multi-row statement (and one for their tags), in the
/// caller's transaction, and records one audit event `action` on `entity` listing them.
/// Used by imports and demo data; emits no per-lead events.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub async fn leads_insert_many(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    start: StartStage,
    created_by: Option<Uuid>,
    rows: Vec<SeedRow>,
    audit: (&str, &str, Uuid),
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut tags: Vec<(Uuid, Vec<String>)> = Vec::new();
    let mut words: Vec<(Uuid, Vec<String>)> = Vec::with_capacity(rows.len());
    let models: Vec<lead::ActiveModel> = rows
        .into_iter()
        .map(|row| {
            let id = Uuid::now_v7();
            ids.push(id);
            let fields = row.fields;
            if !fields.tags.is_empty() {
                tags.push((id, fields.tags.clone()));
            }
            let search = fields.search_text();
            words.push((id, super::words::fields_words(&fields)));
            let (placed, kind) = row.stage.unwrap_or((start, StageKind::Open));
            let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = fields.utm;
            lead::ActiveModel {
                id: Set(id),
                organization_id: Set(organization_id),
                first_name: Set(fields.first_name),
                last_name: Set(fields.last_name),
                email: Set(fields.email),
                phone: Set(fields.phone),
                company: Set(fields.company),
                title: Set(fields.title),
                website: Set(fields.website),
                address: Set(fields.address),
                source: Set(fields.source),
                owner_id: Set(row.owner_id),
                pipeline_id: Set(placed.pipeline_id),
                stage_id: Set(placed.stage_id),
                status: Set(kind.as_str().to_owned()),
                lost_reason: Set((kind == StageKind::Lost).then(|| "demo".to_owned())),
                stage_entered_at: Set(now),
                value_amount: Set(fields.value_amount),
                currency: Set(fields.currency),
                tags: Set(serde_json::to_string(&fields.tags).unwrap_or_else(|_| "[]".into())),
                score: Set(fields.score),
                utm_source: Set(utm_source),
                utm_medium: Set(utm_medium),
                utm_campaign: Set(utm_campaign),
                utm_term: Set(utm_term),
                utm_content: Set(utm_content),
                notes: Set(fields.notes),
                search: Set(search),
                customer_id: Set(None),
                created_by: Set(created_by),
                created_at: Set(now),
                updated_at: Set(now),
                converted_at: Set(None),
                version: Set(1),
            }
        })
        .collect();
    lead::Entity::insert_many(models).exec_without_returning(txn).await?;
    let tag_rows: Vec<lead_tag::ActiveModel> = tags
        .iter()
        .flat_map(|(id, tags)| {
            tags.iter().map(move |tag| lead_tag::ActiveModel {
                lead_id: Set(*id),
                tag: Set(tag.clone()),
                organization_id: Set(organization_id),
            })
        })
        .collect();
    for chunk in tag_rows.chunks(TAG_ROWS_PER_INSERT) {
        lead_tag::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    super::words::insert_words(txn, organization_id, &words).await?;
    let (action, entity_type, entity_id) = audit;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), action, entity_type, entity_id)
            .changes(Changes::new().set("created", None::<()>, &ids)),
    )
    .await?;
    Ok(ids)
}
