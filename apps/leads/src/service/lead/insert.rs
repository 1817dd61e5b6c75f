//! The one `INSERT … SELECT … RETURNING` that creates a lead ([`super::create`]): the
//! SELECT finds the starting stage, takes the organization's currency from the directory
//! and, when asked, requires the owner to be a member — so the whole decision is the one
//! statement, and an empty answer means one of those did not hold.

use baseops_core::Directory;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::model::{lead, pipeline, stage};
use crate::service::lead_input::LeadFields;

/// A new lead's row, before the stage is known.
#[derive(Debug, Clone, Copy)]
pub(super) struct NewRow<'a> {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub fields: &'a LeadFields,
    pub owner_id: Option<Uuid>,
    /// Insert only when `owner_id` is a member of the organization.
    pub verify_owner: bool,
    pub created_by: Option<Uuid>,
    /// The stage asked for; `None`: the default pipeline's first.
    pub stage_id: Option<Uuid>,
    pub now: DateTime<Utc>,
}

/// What the insert read from the stage and the directory.
#[derive(Debug, Clone)]
pub(super) struct Start {
    pipeline_id: Uuid,
    stage_id: Uuid,
    status: String,
    currency: Option<String>,
}

/// Inserts the lead; `None` when nothing was inserted: the stage (or, without one, the
/// default pipeline) does not exist, or the owner to verify is not a member.
pub(super) async fn insert_lead(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    row: &NewRow<'_>,
) -> Result<Option<Start>, DbErr> {
    let NewRow { id, organization_id, fields, owner_id, created_by, stage_id, now, .. } = *row;
    let (s, p) = (Alias::new("s"), Alias::new("p"));
    let currency = match (&fields.currency, fields.value_amount) {
        (Some(code), _) => Expr::val(code.clone()),
        (None, Some(_)) => directory.organization_currency(Expr::val(organization_id)),
        (None, None) => Expr::val(None::<String>),
    };
    let tags = serde_json::to_string(&fields.tags).unwrap_or_else(|_| "[]".into());
    let values: Vec<(lead::Column, Expr)> = vec![
        (lead::Column::Id, Expr::val(id)),
        (lead::Column::OrganizationId, Expr::val(organization_id)),
        (lead::Column::FirstName, Expr::val(fields.first_name.clone())),
        (lead::Column::LastName, Expr::val(fields.last_name.clone())),
        (lead::Column::Email, Expr::val(fields.email.clone())),
        (lead::Column::Phone, Expr::val(fields.phone.clone())),
        (lead::Column::Company, Expr::val(fields.company.clone())),
        (lead::Column::Title, Expr::val(fields.title.clone())),
        (lead::Column::Website, Expr::val(fields.website.clone())),
        (lead::Column::Address, Expr::val(fields.address.clone())),
        (lead::Column::Source, Expr::val(fields.source.clone())),
        (lead::Column::OwnerId, Expr::val(owner_id)),
        (lead::Column::PipelineId, Expr::col((s.clone(), stage::Column::PipelineId))),
        (lead::Column::StageId, Expr::col((s.clone(), stage::Column::Id))),
        (lead::Column::Status, Expr::col((s.clone(), stage::Column::Kind))),
        (lead::Column::LostReason, Expr::val(None::<String>)),
        (lead::Column::StageEnteredAt, Expr::val(now)),
        (lead::Column::ValueAmount, Expr::val(fields.value_amount)),
        (lead::Column::Currency, currency),
        (lead::Column::Tags, Expr::val(tags)),
        (lead::Column::Score, Expr::val(fields.score)),
        (lead::Column::UtmSource, Expr::val(fields.utm[0].clone())),
        (lead::Column::UtmMedium, Expr::val(fields.utm[1].clone())),
        (lead::Column::UtmCampaign, Expr::val(fields.utm[2].clone())),
        (lead::Column::UtmTerm, Expr::val(fields.utm[3].clone())),
        (lead::Column::UtmContent, Expr::val(fields.utm[4].clone())),
        (lead::Column::Notes, Expr::val(fields.notes.clone())),
        (lead::Column::Search, Expr::val(fields.search_text())),
        (lead::Column::CustomerId, Expr::val(None::<Uuid>)),
        (lead::Column::CreatedBy, Expr::val(created_by)),
        (lead::Column::CreatedAt, Expr::val(now)),
        (lead::Column::UpdatedAt, Expr::val(now)),
        (lead::Column::ConvertedAt, Expr::val(None::<DateTime<Utc>>)),
        (lead::Column::Version, Expr::val(1)),
    ];
    let mut select = Query::select();
    select
        .exprs(values.iter().map(|(_, value)| value.clone()))
        .from_as(stage::Entity, s.clone())
        .and_where(Expr::col((s.clone(), stage::Column::OrganizationId)).eq(organization_id));
    if row.verify_owner
        && let Some(owner) = owner_id
    {
        select.and_where(directory.is_member(Expr::val(organization_id), Expr::val(owner)));
    }
    match stage_id {
        Some(stage_id) => {
            select.and_where(Expr::col((s.clone(), stage::Column::Id)).eq(stage_id));
        }
        None => {
            select
                .join_as(
                    JoinType::InnerJoin,
                    pipeline::Entity,
                    p.clone(),
                    Expr::col((p.clone(), pipeline::Column::Id))
                        .equals((s.clone(), stage::Column::PipelineId)),
                )
                .and_where(Expr::col((p.clone(), pipeline::Column::IsDefault)).eq(true))
                .order_by((s.clone(), stage::Column::Position), Order::Asc)
                .limit(1);
        }
    }
    let mut insert = Query::insert();
    insert
        .into_table(lead::Entity)
        .columns(values.iter().map(|(column, _)| *column))
        .select_from(select)
        .map_err(|error| DbErr::Custom(format!("leads: insert statement: {error}")))?
        .returning(Query::returning().columns([
            lead::Column::PipelineId,
            lead::Column::StageId,
            lead::Column::Status,
            lead::Column::Currency,
        ]));
    let Some(row) = txn.query_one(&insert).await? else { return Ok(None) };
    Ok(Some(Start {
        pipeline_id: row.try_get("", "pipeline_id")?,
        stage_id: row.try_get("", "stage_id")?,
        status: row.try_get("", "status")?,
        currency: row.try_get("", "currency")?,
    }))
}

/// The lead the insert wrote, without reading it back.
pub(super) fn model_of(row: &NewRow<'_>, start: Start) -> lead::Model {
    let NewRow { id, organization_id, fields, owner_id, created_by, now, .. } = *row;
    let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = fields.utm.clone();
    lead::Model {
        id,
        organization_id,
        first_name: fields.first_name.clone(),
        last_name: fields.last_name.clone(),
        email: fields.email.clone(),
        phone: fields.phone.clone(),
        company: fields.company.clone(),
        title: fields.title.clone(),
        website: fields.website.clone(),
        address: fields.address.clone(),
        source: fields.source.clone(),
        owner_id,
        pipeline_id: start.pipeline_id,
        stage_id: start.stage_id,
        status: start.status,
        lost_reason: None,
        stage_entered_at: now,
        value_amount: fields.value_amount,
        currency: start.currency,
        tags: serde_json::to_string(&fields.tags).unwrap_or_else(|_| "[]".into()),
        score: fields.score,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        notes: fields.notes.clone(),
        search: fields.search_text(),
        customer_id: None,
        created_by,
        created_at: now,
        updated_at: now,
        converted_at: None,
        version: 1,
    }
}
