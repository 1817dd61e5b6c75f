//! The pipeline board (stages with their lead counts and total value) and likely duplicates.

use std::collections::BTreeMap;

use baseops_core::ApiError;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::lead;
use crate::permission::Access;
use crate::selector::lead::LeadOut;
use crate::selector::pipeline::{StageOut, pipelines_of};

/// A sum of values in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Total {
    /// ISO 4217 currency (`null` for leads without a value).
    pub currency: Option<String>,
    /// The sum, in minor units.
    pub amount: i64,
}

/// A stage on the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = LeadBoardColumn)]
pub struct BoardColumn {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageOut,
    /// Leads in it (within the caller's reach).
    pub count: i64,
    /// Their estimated value, per currency.
    pub totals: Vec<Total>,
}

/// A pipeline's board.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = LeadBoard)]
pub struct Board {
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its stages in order.
    pub stages: Vec<BoardColumn>,
}

/// The board of a pipeline (the default one when `pipeline_id` is `None`): one grouped
/// query for the counts and sums.
///
/// # Errors
/// 404 for an unknown pipeline; database errors.
pub async fn board(
    db: &impl ConnectionTrait,
    access: &Access,
    pipeline_id: Option<Uuid>,
) -> Result<Board, ApiError> {
    let pipelines = pipelines_of(db, access.organization_id).await?;
    let chosen = match pipeline_id {
        Some(id) => pipelines.into_iter().find(|pipeline| pipeline.id == id).ok_or(ApiError::NotFound)?,
        None => match pipelines.into_iter().find(|pipeline| pipeline.is_default) {
            Some(pipeline) => pipeline,
            None => return Ok(Board { pipeline_id: Uuid::nil(), name: String::new(), stages: Vec::new() }),
        },
    };
    let mut query = Query::select();
    query
        .column(lead::Column::StageId)
        .column(lead::Column::Currency)
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("lead_count"))
        .expr_as(Expr::cust("CAST(COALESCE(SUM(value_amount), 0) AS BIGINT)"), Alias::new("total"))
        .from(lead::Entity)
        .and_where(Expr::col(lead::Column::OrganizationId).eq(access.organization_id))
        .and_where(Expr::col(lead::Column::PipelineId).eq(chosen.id))
        .group_by_col(lead::Column::StageId)
        .group_by_col(lead::Column::Currency);
    if let Some(owner) = access.only_owner() {
        query.and_where(Expr::col(lead::Column::OwnerId).eq(owner));
    }
    let mut counts: BTreeMap<Uuid, (i64, Vec<Total>)> = BTreeMap::new();
    for row in db.query_all(&query).await? {
        let stage: Uuid = row.try_get("", "stage_id")?;
        let currency: Option<String> = row.try_get("", "currency")?;
        let count: i64 = row.try_get("", "lead_count")?;
        let total: i64 = row.try_get("", "total")?;
        let entry = counts.entry(stage).or_default();
        entry.0 += count;
        if currency.is_some() {
            entry.1.push(Total { currency, amount: total });
        }
    }
    let stages = chosen
        .stages
        .into_iter()
        .map(|stage| {
            let (count, totals) = counts.remove(&stage.id).unwrap_or_default();
            BoardColumn { stage, count, totals }
        })
        .collect();
    Ok(Board { pipeline_id: chosen.id, name: chosen.name, stages })
}

/// Leads that share an e-mail address or a phone number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateGroup {
    /// `email` or `phone`.
    pub reason: String,
    /// The shared value.
    pub value: String,
    /// The leads, oldest first.
    pub leads: Vec<LeadOut>,
}

/// Most groups one answer holds.
pub const MAX_GROUPS: u64 = 100;
/// Most leads shown per group.
const MAX_PER_GROUP: usize = 20;

/// Likely duplicates within the caller's reach: groups of leads sharing an e-mail address
/// or a phone number — of one lead when `lead_id` is given, else across the organization
/// (at most `limit` groups of each kind).
///
/// # Errors
/// 404 for an unknown `lead_id`; database errors.
pub async fn duplicates(
    db: &impl ConnectionTrait,
    access: &Access,
    lead_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<DuplicateGroup>, ApiError> {
    let limit = limit.clamp(1, MAX_GROUPS);
    let mut reach = Condition::all().add(lead::Column::OrganizationId.eq(access.organization_id));
    if let Some(owner) = access.only_owner() {
        reach = reach.add(lead::Column::OwnerId.eq(owner));
    }
    let (emails, phones) = match lead_id {
        Some(id) => {
            let one = crate::selector::lead::lead_get(db, access, id).await?;
            (one.email.into_iter().collect::<Vec<_>>(), one.phone.into_iter().collect::<Vec<_>>())
        }
        None => (
            shared_values(db, access, lead::Column::Email, limit).await?,
            shared_values(db, access, lead::Column::Phone, limit).await?,
        ),
    };
    if emails.is_empty() && phones.is_empty() {
        return Ok(Vec::new());
    }
    let rows = lead::Entity::find()
        .filter(reach)
        .filter(
            Condition::any()
                .add(lead::Column::Email.is_in(emails.clone()))
                .add(lead::Column::Phone.is_in(phones.clone())),
        )
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?;
    let mut groups = Vec::new();
    for (reason, values, pick) in [
        ("email", emails, (|lead: &lead::Model| lead.email.clone()) as fn(&lead::Model) -> Option<String>),
        ("phone", phones, |lead: &lead::Model| lead.phone.clone()),
    ] {
        for value in values {
            let leads: Vec<LeadOut> = rows
                .iter()
                .filter(|lead| pick(lead).as_deref() == Some(value.as_str()))
                .take(MAX_PER_GROUP)
                .cloned()
                .map(LeadOut::from)
                .collect();
            if leads.len() > 1 {
                groups.push(DuplicateGroup { reason: reason.to_owned(), value, leads });
            }
        }
    }
    Ok(groups)
}

/// Values of `column` shared by more than one lead in reach, first `limit` in order.
async fn shared_values(
    db: &impl ConnectionTrait,
    access: &Access,
    column: lead::Column,
    limit: u64,
) -> Result<Vec<String>, ApiError> {
    let mut query = Query::select();
    query
        .column(column)
        .from(lead::Entity)
        .and_where(Expr::col(lead::Column::OrganizationId).eq(access.organization_id))
        .and_where(Expr::col(column).is_not_null())
        .group_by_col(column)
        .and_having(Expr::cust("COUNT(*) > 1"))
        .order_by(column, sea_orm::Order::Asc)
        .limit(limit);
    if let Some(owner) = access.only_owner() {
        query.and_where(Expr::col(lead::Column::OwnerId).eq(owner));
    }
    let name = match column {
        lead::Column::Email => "email",
        _ => "phone",
    };
    let mut values = Vec::new();
    for row in db.query_all(&query).await? {
        values.push(row.try_get::<String>("", name)?);
    }
    Ok(values)
}

/// Open leads per stage and currency: their count and value, in one grouped query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageValue {
    /// The stage's name.
    pub stage: String,
    /// Its position in its pipeline.
    pub position: i32,
    /// The currency (`None` for leads without a value).
    pub currency: Option<String>,
    /// How many open leads.
    pub count: i64,
    /// Their value, in minor units.
    pub amount: i64,
}

/// The organization's open leads by stage and currency (every pipeline), for analytics'
/// daily snapshot; grouped in the database.
///
/// # Errors
/// Database errors.
pub async fn value_by_stage(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<StageValue>, sea_orm::DbErr> {
    use crate::model::stage;
    let mut query = Query::select();
    query
        .expr_as(Expr::col((stage::Entity, stage::Column::Name)), Alias::new("stage_name"))
        .expr_as(Expr::cust("MIN(lead_stages.position)"), Alias::new("stage_position"))
        .column((lead::Entity, lead::Column::Currency))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("lead_count"))
        .expr_as(Expr::cust("CAST(COALESCE(SUM(value_amount), 0) AS BIGINT)"), Alias::new("total"))
        .from(lead::Entity)
        .inner_join(
            stage::Entity,
            Expr::col((stage::Entity, stage::Column::Id)).equals((lead::Entity, lead::Column::StageId)),
        )
        .and_where(Expr::col((lead::Entity, lead::Column::OrganizationId)).eq(organization_id))
        .and_where(Expr::col((lead::Entity, lead::Column::Status)).eq("open"))
        .group_by_col((stage::Entity, stage::Column::Name))
        .group_by_col((lead::Entity, lead::Column::Currency));
    let mut out = Vec::new();
    for row in db.query_all(&query).await? {
        out.push(StageValue {
            stage: row.try_get("", "stage_name")?,
            position: row.try_get("", "stage_position")?,
            currency: row.try_get("", "currency")?,
            count: row.try_get("", "lead_count")?,
            amount: row.try_get("", "total")?,
        });
    }
    out.sort_by(|a, b| (a.position, &a.stage, &a.currency).cmp(&(b.position, &b.stage, &b.currency)));
    Ok(out)
}
