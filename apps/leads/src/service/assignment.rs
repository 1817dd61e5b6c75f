//! Assignment rules: a new lead without an owner goes round-robin to the members of the
//! first active rule (by position) whose source matches the lead's (a rule without a source
//! matches every lead). A rule with one member assigns "by source".

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::assignment_rule;
use crate::service::lead::is_member;

/// Most rules per organization.
pub const MAX_RULES: u64 = 50;
/// Most members in one rule's rotation.
pub const MAX_MEMBERS: usize = 100;

/// The owner the rules give a new lead from `source`, advancing the matching rule's
/// rotation; `None` when no active rule matches.
///
/// # Errors
/// Database errors.
pub async fn next_owner(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    source: &str,
) -> Result<Option<Uuid>, DbErr> {
    let rules = assignment_rule::Entity::find()
        .filter(assignment_rule::Column::OrganizationId.eq(organization_id))
        .filter(assignment_rule::Column::Active.eq(true))
        .order_by_asc(assignment_rule::Column::Position)
        .all(txn)
        .await?;
    for rule in rules {
        if rule.source.as_deref().is_some_and(|wanted| wanted != source) {
            continue;
        }
        let members: Vec<Uuid> = serde_json::from_str(&rule.member_ids).unwrap_or_default();
        if members.is_empty() {
            continue;
        }
        // The row lock this takes serializes concurrent creates on one rule, so each member
        // gets the next lead in turn.
        let advance = Query::update()
            .table(assignment_rule::Entity)
            .value(assignment_rule::Column::NextIndex, Expr::col(assignment_rule::Column::NextIndex).add(1))
            .and_where(Expr::col(assignment_rule::Column::Id).eq(rule.id))
            .returning(Query::returning().column(assignment_rule::Column::NextIndex))
            .to_owned();
        let Some(row) = txn.query_one(&advance).await? else { continue };
        let next: i64 = row.try_get("", "next_index")?;
        let index = usize::try_from((next - 1).rem_euclid(members.len() as i64)).unwrap_or(0);
        return Ok(Some(members[index]));
    }
    Ok(None)
}

/// A rule as the API takes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// Name, 1–100 characters.
    pub name: Option<String>,
    /// Only leads from this source (`web_form`); absent or `null`: every lead.
    pub source: Option<String>,
    /// The members leads rotate through (1–100 user ids, members of the organization).
    pub member_ids: Option<Vec<Uuid>>,
    /// Order among the rules (lower first).
    pub position: Option<i32>,
    /// Switched on (default) or off.
    pub active: Option<bool>,
}

async fn check(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    input: &RuleInput,
    creating: bool,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    match &input.name {
        Some(name) if !name.trim().is_empty() && name.chars().count() <= 100 => {}
        Some(_) => {
            errors.add("name", "must be 1 to 100 characters");
        }
        None if creating => {
            errors.add("name", "is required");
        }
        None => {}
    }
    if let Some(source) = &input.source {
        let mut source_errors = FieldErrors::new();
        crate::service::lead_input::source(&mut source_errors, Some(source.clone()));
        if !source_errors.is_empty() {
            errors.add("source", "must be a word of a-z, 0-9 and _");
        }
    }
    match &input.member_ids {
        Some(members) if members.is_empty() || members.len() > MAX_MEMBERS => {
            errors.add("member_ids", format!("1 to {MAX_MEMBERS} members"));
        }
        Some(members) => {
            for member in members {
                if !is_member(txn, organization_id, *member).await? {
                    errors.add("member_ids", format!("{member} is not a member of this organization"));
                }
            }
        }
        None if creating => {
            errors.add("member_ids", "is required");
        }
        None => {}
    }
    errors.into_result()
}

/// Creates a rule.
///
/// # Errors
/// 422 for bad fields, 409 `too_many_rules`.
pub async fn rule_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    input: RuleInput,
) -> Result<Uuid, ApiError> {
    check(txn, organization_id, &input, true).await?;
    let count = assignment_rule::Entity::find()
        .filter(assignment_rule::Column::OrganizationId.eq(organization_id))
        .count(txn)
        .await?;
    if count >= MAX_RULES {
        return Err(ApiError::Conflict {
            code: "too_many_rules",
            detail: format!("At most {MAX_RULES} rules."),
        });
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let members = input.member_ids.unwrap_or_default();
    let source = input.source.map(|source| source.trim().to_lowercase()).filter(|source| !source.is_empty());
    let name = input.name.unwrap_or_default().trim().to_owned();
    assignment_rule::Entity::insert(assignment_rule::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        name: Set(name.clone()),
        position: Set(input.position.unwrap_or(count as i32)),
        source: Set(source.clone()),
        member_ids: Set(serde_json::to_string(&members).unwrap_or_else(|_| "[]".into())),
        next_index: Set(0),
        active: Set(input.active.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(txn)
    .await?;
    let changes = Changes::new().set("name", None::<()>, &name).set("source", None::<()>, &source).set(
        "member_ids",
        None::<()>,
        &members,
    );
    record(
        txn,
        AuditEntry::new(
            acting,
            Some(organization_id),
            "lead_assignment_rule.create",
            "lead_assignment_rule",
            id,
        )
        .changes(changes),
    )
    .await?;
    Ok(id)
}

async fn find(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<assignment_rule::Model, ApiError> {
    assignment_rule::Entity::find_by_id(id)
        .filter(assignment_rule::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Changes a rule; absent fields stay.
///
/// # Errors
/// 404, 422.
pub async fn rule_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    input: RuleInput,
) -> Result<(), ApiError> {
    let before = find(txn, organization_id, id).await?;
    check(txn, organization_id, &input, false).await?;
    let mut active: assignment_rule::ActiveModel = before.clone().into();
    let mut changes = Changes::new();
    if let Some(name) = input.name.map(|name| name.trim().to_owned()).filter(|name| *name != before.name) {
        changes = changes.set("name", &before.name, &name);
        active.name = Set(name);
    }
    if let Some(source) = input.source {
        let source = Some(source.trim().to_lowercase()).filter(|source| !source.is_empty());
        if source != before.source {
            changes = changes.set("source", &before.source, &source);
            active.source = Set(source);
        }
    }
    if let Some(members) = input.member_ids {
        let text = serde_json::to_string(&members).unwrap_or_else(|_| "[]".into());
        if text != before.member_ids {
            changes = changes.set("member_ids", &before.member_ids, &text);
            active.member_ids = Set(text);
        }
    }
    if let Some(position) = input.position.filter(|position| *position != before.position) {
        changes = changes.set("position", before.position, position);
        active.position = Set(position);
    }
    if let Some(on) = input.active.filter(|on| *on != before.active) {
        changes = changes.set("active", before.active, on);
        active.active = Set(on);
    }
    if changes.is_empty() {
        return Ok(());
    }
    active.updated_at = Set(Utc::now());
    active.version = Set(before.version + 1);
    sea_orm::ActiveModelTrait::update(active, txn).await?;
    record(
        txn,
        AuditEntry::new(
            acting,
            Some(organization_id),
            "lead_assignment_rule.update",
            "lead_assignment_rule",
            id,
        )
        .changes(changes),
    )
    .await?;
    Ok(())
}

/// Deletes a rule.
///
/// # Errors
/// 404.
pub async fn rule_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let found = find(txn, organization_id, id).await?;
    assignment_rule::Entity::delete_by_id(id).exec(txn).await?;
    record(
        txn,
        AuditEntry::new(
            acting,
            Some(organization_id),
            "lead_assignment_rule.delete",
            "lead_assignment_rule",
            id,
        )
        .changes(Changes::new().set("name", &found.name, None::<()>)),
    )
    .await?;
    Ok(())
}
