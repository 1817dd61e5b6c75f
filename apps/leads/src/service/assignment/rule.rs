//! Editing the assignment rules (scope `all` of `leads.assign`). The handler checks a
//! [`RuleInput`] into [`RuleFields`]; the services check that the members are members and
//! write the rule with its audit record.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Directory, FieldErrors, check_version};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::assignment_rule;
use crate::service::directory::non_members;
use crate::service::lead_input;

/// Most rules per organization.
pub const MAX_RULES: u64 = 50;
/// Most members in one rule's rotation.
pub const MAX_MEMBERS: usize = 100;
/// Longest rule name.
const MAX_NAME_LEN: usize = 100;

/// A rule as the API takes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// Name, 1–100 characters.
    pub name: Option<String>,
    /// Only leads from this source (`web_form`); absent or `null`: every lead.
    pub source: Option<String>,
    /// The members leads rotate through (1–100 user ids, members of the organization).
    #[schema(min_items = 1, max_items = 100)]
    pub member_ids: Option<Vec<Uuid>>,
    /// Order among the rules (lower first).
    pub position: Option<i32>,
    /// Switched on (default) or off.
    pub active: Option<bool>,
}

/// A checked [`RuleInput`]: `None` leaves a field as it is (or takes its default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFields {
    /// The name, trimmed.
    pub name: Option<String>,
    /// The source word; `Some(None)`: every lead.
    pub source: Option<Option<String>>,
    /// The members, 1 to [`MAX_MEMBERS`] (not yet known to be members).
    pub member_ids: Option<Vec<Uuid>>,
    /// Order among the rules.
    pub position: Option<i32>,
    /// Switched on or off.
    pub active: Option<bool>,
}

impl RuleInput {
    /// Checks the fields of a new rule (`creating`: name and members are required) or of a
    /// change to one.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self, creating: bool) -> Result<RuleFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        match &self.name {
            Some(name) if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_LEN => {}
            Some(_) => {
                errors.add("name", format!("must be 1 to {MAX_NAME_LEN} characters"));
            }
            None if creating => {
                errors.add("name", "is required");
            }
            None => {}
        }
        if let Some(source) = &self.source {
            // A rule's source is a lead's source word; blank means every lead.
            let mut source_errors = FieldErrors::new();
            lead_input::source(&mut source_errors, Some(source.clone()));
            if !source_errors.is_empty() {
                errors.add("source", "must be a word of a-z, 0-9 and _");
            }
        }
        match &self.member_ids {
            Some(members) if members.is_empty() || members.len() > MAX_MEMBERS => {
                errors.add("member_ids", format!("1 to {MAX_MEMBERS} members"));
            }
            None if creating => {
                errors.add("member_ids", "is required");
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RuleFields {
            name: self.name.map(|name| name.trim().to_owned()),
            source: self.source.map(|source| Some(source.trim().to_lowercase()).filter(|s| !s.is_empty())),
            member_ids: self.member_ids,
            position: self.position,
            active: self.active,
        })
    }
}

/// 422 naming every rule member who is not a member of the organization.
async fn check_members(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
    rule: &RuleFields,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    if let Some(members) = &rule.member_ids {
        for member in non_members(txn, directory, organization_id, members).await? {
            errors.add("member_ids", format!("{member} is not a member of this organization"));
        }
    }
    errors.into_result()
}

/// Creates a rule.
///
/// # Errors
/// 422 for bad fields, 409 `too_many_rules`.
pub async fn rule_create(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    acting: Acting<'_>,
    organization_id: Uuid,
    rule: RuleFields,
) -> Result<Uuid, ApiError> {
    check_members(txn, directory, organization_id, &rule).await?;
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
    let members = rule.member_ids.unwrap_or_default();
    let source = rule.source.flatten();
    let name = rule.name.unwrap_or_default();
    assignment_rule::Entity::insert(assignment_rule::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        name: Set(name.clone()),
        position: Set(rule.position.unwrap_or(count as i32)),
        source: Set(source.clone()),
        member_ids: Set(serde_json::to_string(&members).unwrap_or_else(|_| "[]".into())),
        next_index: Set(0),
        active: Set(rule.active.unwrap_or(true)),
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

/// A rule of the organization, or 404.
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

/// Changes a rule (absent fields stay), and answers its version afterwards.
///
/// With `expected` (the client's `If-Match`) the change applies only at that version: one
/// `UPDATE … WHERE id = ? AND version = ?`, so of two edits holding the same version the
/// second gets 412. A change moves the version on; the same values again keep it. The
/// rotation advancing as leads are assigned is not a change to the rule.
///
/// # Errors
/// 404, 412 `version_mismatch`, 422.
pub async fn rule_update(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    rule: RuleFields,
) -> Result<i32, ApiError> {
    let before = find(txn, organization_id, id).await?;
    check_version(before.version, expected)?;
    check_members(txn, directory, organization_id, &rule).await?;
    let mut update = assignment_rule::Entity::update_many()
        .filter(assignment_rule::Column::Id.eq(id))
        .filter(assignment_rule::Column::OrganizationId.eq(organization_id));
    let mut changes = Changes::new();
    if let Some(name) = rule.name.filter(|name| *name != before.name) {
        changes = changes.set("name", &before.name, &name);
        update = update.col_expr(assignment_rule::Column::Name, Expr::value(name));
    }
    if let Some(source) = rule.source.filter(|source| *source != before.source) {
        changes = changes.set("source", &before.source, &source);
        update = update.col_expr(assignment_rule::Column::Source, Expr::value(source));
    }
    if let Some(members) = rule.member_ids {
        let text = serde_json::to_string(&members).unwrap_or_else(|_| "[]".into());
        if text != before.member_ids {
            changes = changes.set("member_ids", &before.member_ids, &text);
            update = update.col_expr(assignment_rule::Column::MemberIds, Expr::value(text));
        }
    }
    if let Some(position) = rule.position.filter(|position| *position != before.position) {
        changes = changes.set("position", before.position, position);
        update = update.col_expr(assignment_rule::Column::Position, Expr::value(position));
    }
    if let Some(on) = rule.active.filter(|on| *on != before.active) {
        changes = changes.set("active", before.active, on);
        update = update.col_expr(assignment_rule::Column::Active, Expr::value(on));
    }
    if changes.is_empty() {
        return Ok(before.version);
    }
    update = update
        .col_expr(assignment_rule::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(assignment_rule::Column::Version, Expr::col(assignment_rule::Column::Version).add(1));
    if let Some(expected) = expected {
        update = update.filter(assignment_rule::Column::Version.eq(expected));
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
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
    Ok(find(txn, organization_id, id).await?.version)
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
