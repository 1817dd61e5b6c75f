//! Writes on one lead: create, update, reassign, move between stages, delete. Each runs in
//! the caller's transaction with its audit record and events.
//!
//! # Create, in as few statements as possible
//! Creating a lead is the hot path (web forms, integrations), so it is one `INSERT … SELECT
//! … RETURNING` that reads the starting stage (the default pipeline's first, or the one
//! asked for) and the organization's currency while inserting; then the tags (one multi-row
//! insert, only when there are tags), the `lead.created` event (outbox row + dispatch job)
//! and the audit record — last, because it locks the organization's audit chain head until
//! commit. Before the insert, one read decides the owner: the membership of the owner asked
//! for, or the assignment rules.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, Scope};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::event::{LeadAssigned, LeadCreated, LeadStageChanged};
use crate::model::{ActivityKind, StageKind, activity, lead, lead_tag, pipeline, stage};
use crate::permission::Access;
use crate::service::lead_input::{LeadFields, LeadPatch};
use crate::service::{assignment, pipeline::pipeline_ensure_default};

/// Longest lost reason.
pub const MAX_LOST_REASON_LEN: usize = 500;

/// Where a new lead starts and who owns it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Placement {
    /// The owner asked for; `None`: the assignment rules, else the creator.
    pub owner_id: Option<Uuid>,
    /// The stage asked for; `None`: the default pipeline's first stage.
    pub stage_id: Option<Uuid>,
}

/// Whether `user_id` is a member of the organization.
///
/// # Errors
/// Database errors.
pub async fn is_member(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let memberships = Alias::new("memberships");
    let query = Query::select()
        .expr(Expr::val(1))
        .from(memberships.clone())
        .and_where(Expr::col((memberships.clone(), Alias::new("organization_id"))).eq(organization_id))
        .and_where(Expr::col((memberships, Alias::new("user_id"))).eq(user_id))
        .limit(1)
        .to_owned();
    Ok(db.query_one(&query).await?.is_some())
}

/// Decides a new lead's owner: the one asked for (a member; own scope may only name itself),
/// else the assignment rules, else the creator. Returns the owner and whether a rule chose.
async fn decide_owner(
    txn: &impl ConnectionTrait,
    access: &Access,
    asked: Option<Uuid>,
    source: &str,
) -> Result<(Option<Uuid>, bool), ApiError> {
    match asked {
        Some(owner) => {
            if access.scope == Scope::Own && Some(owner) != access.user_id {
                return Err(ApiError::Forbidden);
            }
            if Some(owner) != access.user_id && !is_member(txn, access.organization_id, owner).await? {
                return Err(ApiError::invalid("owner_id", "is not a member of this organization"));
            }
            Ok((Some(owner), false))
        }
        None if access.scope == Scope::Own => Ok((access.user_id, false)),
        None => match assignment::next_owner(txn, access.organization_id, source).await? {
            Some(owner) => Ok((Some(owner), true)),
            None => Ok((access.user_id, false)),
        },
    }
}

/// An `Idempotency-Key` and the hash of the request it came with.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    /// The key.
    pub key: &'a str,
    /// SHA-256 of the parsed request body.
    pub request_hash: [u8; 32],
}

/// What [`lead_create`] did.
#[derive(Debug, Clone)]
pub enum Created {
    /// Created this lead.
    New(Box<lead::Model>),
    /// A retry of an earlier request with the same `Idempotency-Key`: that lead.
    Replayed(Uuid),
}

/// The endpoint name idempotency keys of lead creation are scoped to.
pub const CREATE_ENDPOINT: &str = "leads.create";

/// Creates a lead. `access` is the caller's `leads.create` access.
///
/// # Errors
/// 403 naming another owner with own scope; 422 for an unknown stage or an owner who is not
/// a member, or `idempotency_key_reused`; database errors.
pub async fn lead_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    fields: LeadFields,
    placement: Placement,
    idempotency: Option<Idempotency<'_>>,
) -> Result<Created, ApiError> {
    let organization_id = access.organization_id;
    let id = Uuid::now_v7();
    if let Some(Idempotency { key, request_hash }) = idempotency {
        let principal = access.user_id.map(|user| user.to_string()).unwrap_or_else(|| "system".into());
        let claim = baseops_idempotency::claim(
            txn,
            organization_id,
            &principal,
            CREATE_ENDPOINT,
            key,
            request_hash,
            id,
        )
        .await?;
        if let baseops_idempotency::Claim::Replay(first) = claim {
            return Ok(Created::Replayed(first));
        }
    }
    let (owner_id, by_rule) = decide_owner(txn, access, placement.owner_id, &fields.source).await?;
    // What PostgreSQL stores, so the answer equals a later read.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let inserted = match insert_lead(
        txn,
        id,
        organization_id,
        &fields,
        owner_id,
        access.user_id,
        placement.stage_id,
        now,
    )
    .await?
    {
        Some(start) => start,
        None if placement.stage_id.is_some() => {
            return Err(ApiError::invalid("stage_id", "is not a stage of this organization"));
        }
        None => {
            // The organization's first lead: its default pipeline is created now.
            pipeline_ensure_default(txn, acting, organization_id).await?;
            insert_lead(txn, id, organization_id, &fields, owner_id, access.user_id, None, now)
                .await?
                .ok_or_else(|| ApiError::internal(DbErr::Custom("leads: no starting stage".into())))?
        }
    };
    insert_tags(txn, organization_id, id, &fields.tags).await?;
    let model = model_of(id, organization_id, &fields, owner_id, access.user_id, inserted, now);
    let created = LeadCreated {
        lead_id: id,
        owner_id,
        source: model.source.clone(),
        stage_id: model.stage_id,
        value_amount: model.value_amount,
        currency: model.currency.clone(),
    };
    baseops_jobs::emit(txn, acting, Some(organization_id), &created).await?;
    // An owner other than the creator hears of it; creating your own lead emits nothing more.
    if by_rule || (owner_id.is_some() && owner_id != acting.actor.user_id()) {
        let assigned = LeadAssigned {
            lead_id: id,
            owner_id,
            previous_owner_id: None,
            label: fields.label(),
            by: acting.actor.user_id(),
        };
        baseops_jobs::emit(txn, acting, Some(organization_id), &assigned).await?;
    }
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "lead.create", "lead", id)
            .changes(created_changes(&model)),
    )
    .await?;
    Ok(Created::New(Box::new(model)))
}

/// What the insert read from the stage and the organization.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    pipeline_id: Uuid,
    stage_id: Uuid,
    status: String,
    currency: Option<String>,
}

/// The one `INSERT … SELECT … RETURNING`; `None` when the stage (or, without one, the
/// default pipeline) does not exist.
#[allow(clippy::too_many_arguments)]
async fn insert_lead(
    txn: &impl ConnectionTrait,
    id: Uuid,
    organization_id: Uuid,
    fields: &LeadFields,
    owner_id: Option<Uuid>,
    created_by: Option<Uuid>,
    stage_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<Start>, DbErr> {
    let (s, o, p) = (Alias::new("s"), Alias::new("o"), Alias::new("p"));
    let currency = match (&fields.currency, fields.value_amount) {
        (Some(code), _) => Expr::val(code.clone()),
        (None, Some(_)) => Expr::col((o.clone(), Alias::new("currency"))),
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
        .join_as(
            JoinType::InnerJoin,
            Alias::new("organizations"),
            o.clone(),
            Expr::col((o.clone(), Alias::new("id"))).equals((s.clone(), stage::Column::OrganizationId)),
        )
        .and_where(Expr::col((s.clone(), stage::Column::OrganizationId)).eq(organization_id));
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

fn model_of(
    id: Uuid,
    organization_id: Uuid,
    fields: &LeadFields,
    owner_id: Option<Uuid>,
    created_by: Option<Uuid>,
    start: Start,
    now: DateTime<Utc>,
) -> lead::Model {
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

fn created_changes(model: &lead::Model) -> Changes {
    let mut changes = Changes::new();
    let none = None::<()>;
    for (field, value) in [
        ("first_name", Some(model.first_name.as_str()).filter(|v| !v.is_empty())),
        ("last_name", Some(model.last_name.as_str()).filter(|v| !v.is_empty())),
        ("email", model.email.as_deref()),
        ("phone", model.phone.as_deref()),
        ("company", model.company.as_deref()),
        ("source", Some(model.source.as_str())),
    ] {
        if let Some(value) = value {
            changes = changes.set(field, none, value);
        }
    }
    changes.set("owner_id", none, model.owner_id).set("stage_id", none, model.stage_id).set(
        "value_amount",
        none,
        model.value_amount,
    )
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

/// Updates a lead's own fields. `access` is the caller's `leads.edit` access; `expected` the
/// version from `If-Match`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 422 invalid fields.
pub async fn lead_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
    patch: LeadPatch,
    region: &str,
) -> Result<(), ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    let before = LeadFields::from(&found);
    let after = before.clone().patched(patch, region).map_err(ApiError::Validation)?;
    let mut after = after;
    if after.value_amount.is_some() && after.currency.is_none() {
        after.currency = Some(organization_currency(txn, access.organization_id).await?);
    }
    let (columns, changes) = diff(&before, &after);
    if changes.is_empty() {
        return Ok(());
    }
    let tags_changed = before.tags != after.tags;
    write(txn, &found, columns, Utc::now()).await?;
    if tags_changed {
        lead_tag::Entity::delete_many().filter(lead_tag::Column::LeadId.eq(id)).exec(txn).await?;
        insert_tags(txn, access.organization_id, id, &after.tags).await?;
    }
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.update", "lead", id).changes(changes),
    )
    .await?;
    Ok(())
}

/// The organization's currency (the default of a lead's value).
pub(crate) async fn organization_currency(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<String, DbErr> {
    let organizations = Alias::new("organizations");
    let query = Query::select()
        .column(Alias::new("currency"))
        .from(organizations.clone())
        .and_where(Expr::col((organizations, Alias::new("id"))).eq(organization_id))
        .to_owned();
    match db.query_one(&query).await? {
        Some(row) => row.try_get("", "currency"),
        None => Ok("USD".to_owned()),
    }
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

/// Records an activity on a lead (the services' own entries and people's).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_activity(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    lead_id: Uuid,
    kind: ActivityKind,
    author_id: Option<Uuid>,
    body: String,
    data: Option<serde_json::Value>,
    occurred_at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    activity::Entity::insert(activity::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        lead_id: Set(lead_id),
        kind: Set(kind.as_str().to_owned()),
        author_id: Set(author_id),
        body: Set(body),
        data: Set(data.map(|data| data.to_string())),
        occurred_at: Set(occurred_at),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}

/// Gives a lead another owner (`None`: unassigned). `access` is `leads.assign`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 422 for an owner who is not a member.
pub async fn lead_assign(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
    owner_id: Option<Uuid>,
) -> Result<(), ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    if found.owner_id == owner_id {
        return Ok(());
    }
    if let Some(owner) = owner_id
        && !is_member(txn, access.organization_id, owner).await?
    {
        return Err(ApiError::invalid("owner_id", "is not a member of this organization"));
    }
    let now = Utc::now();
    write(txn, &found, vec![(lead::Column::OwnerId, Expr::val(owner_id))], now).await?;
    let data = serde_json::json!({"from_owner_id": found.owner_id, "to_owner_id": owner_id});
    add_activity(
        txn,
        access.organization_id,
        id,
        ActivityKind::Assignment,
        access.user_id,
        String::new(),
        Some(data),
        now,
    )
    .await?;
    let fields = LeadFields::from(&found);
    let assigned = LeadAssigned {
        lead_id: id,
        owner_id,
        previous_owner_id: found.owner_id,
        label: fields.label(),
        by: acting.actor.user_id(),
    };
    baseops_jobs::emit(txn, acting, Some(access.organization_id), &assigned).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.assign", "lead", id)
            .changes(Changes::new().set("owner_id", found.owner_id, owner_id)),
    )
    .await?;
    Ok(())
}

/// A move to another stage.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageMove {
    /// The stage to move to (any pipeline of the organization).
    pub stage_id: Uuid,
    /// Why it was lost: required when moving to a `lost` stage, up to 500 characters.
    pub lost_reason: Option<String>,
}

/// Moves a lead to another stage, recording the time it spent in the one it leaves. Won
/// and lost are final: leaving them needs `reopen` (the caller's `leads.reopen` access,
/// reaching this lead). `access` is `leads.edit`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 422 unknown stage or missing lost reason,
/// 403 `reopen_not_allowed`.
pub async fn lead_move_stage(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
    input: StageMove,
    reopen: Option<&Access>,
) -> Result<(), ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    let target = crate::service::pipeline::find_stage(txn, access.organization_id, input.stage_id)
        .await?
        .ok_or_else(|| ApiError::invalid("stage_id", "is not a stage of this organization"))?;
    if target.id == found.stage_id {
        return Ok(());
    }
    let from_kind = StageKind::parse(&found.status).unwrap_or(StageKind::Open);
    let to_kind = StageKind::parse(&target.kind).unwrap_or(StageKind::Open);
    if from_kind.is_final() && !reopen.is_some_and(|reopen| reopen.reaches(found.owner_id)) {
        return Err(ApiError::Refused {
            code: "reopen_not_allowed",
            detail: format!("The lead is {}; reopening it needs leads.reopen.", from_kind.as_str()),
        });
    }
    let mut errors = FieldErrors::new();
    let reason = crate::service::lead_input::text(
        &mut errors,
        "lost_reason",
        input.lost_reason,
        MAX_LOST_REASON_LEN,
        true,
    );
    if to_kind == StageKind::Lost && reason.is_none() && errors.is_empty() {
        errors.add("lost_reason", "is required when a lead is lost");
    }
    errors.into_result()?;
    let lost_reason = if to_kind == StageKind::Lost { reason } else { None };
    let now = Utc::now();
    let in_stage = Ord::max((now - found.stage_entered_at).num_seconds(), 0);
    write(
        txn,
        &found,
        vec![
            (lead::Column::StageId, Expr::val(target.id)),
            (lead::Column::PipelineId, Expr::val(target.pipeline_id)),
            (lead::Column::Status, Expr::val(to_kind.as_str())),
            (lead::Column::LostReason, Expr::val(lost_reason.clone())),
            (lead::Column::StageEnteredAt, Expr::val(now)),
        ],
        now,
    )
    .await?;
    let data = serde_json::json!({
        "from_stage_id": found.stage_id,
        "to_stage_id": target.id,
        "to_stage": target.name,
        "status": to_kind.as_str(),
        "time_in_stage_secs": in_stage,
        "lost_reason": lost_reason,
    });
    add_activity(
        txn,
        access.organization_id,
        id,
        ActivityKind::StageChange,
        access.user_id,
        String::new(),
        Some(data),
        now,
    )
    .await?;
    let changed = LeadStageChanged {
        lead_id: id,
        from_stage_id: found.stage_id,
        to_stage_id: target.id,
        status: to_kind.as_str().to_owned(),
        time_in_stage_secs: in_stage,
    };
    baseops_jobs::emit(txn, acting, Some(access.organization_id), &changed).await?;
    let changes = Changes::new()
        .set("stage_id", found.stage_id, target.id)
        .set("status", &found.status, to_kind.as_str())
        .set("lost_reason", &found.lost_reason, &lost_reason)
        .set("time_in_stage_secs", None::<()>, in_stage);
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.stage_change", "lead", id)
            .changes(changes),
    )
    .await?;
    Ok(())
}

/// Deletes a lead with its activities and tags. `access` is `leads.delete`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version.
pub async fn lead_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    lead::Entity::delete_many()
        .filter(lead::Column::Id.eq(id))
        .filter(lead::Column::Version.eq(found.version))
        .exec(txn)
        .await?;
    let fields = LeadFields::from(&found);
    let changes = Changes::new()
        .set("name", fields.label(), None::<()>)
        .set("email", &found.email, None::<()>)
        .set("owner_id", found.owner_id, None::<()>);
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.delete", "lead", id).changes(changes),
    )
    .await?;
    Ok(())
}
