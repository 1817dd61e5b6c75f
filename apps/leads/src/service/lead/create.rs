//! Creating a lead: the hot path (web forms, integrations), so in as few statements as
//! possible.
//!
//! One `INSERT … SELECT … RETURNING` (`insert.rs`) reads the starting stage (the
//! default pipeline's first, or the one asked for) and the organization's currency, and
//! checks that an owner asked for is a member, while inserting; then the tags (one
//! multi-row insert, only when there are tags), the `lead.created` event (outbox row +
//! dispatch job) and the audit record — last, because it locks the organization's audit
//! chain head until commit. Before the insert, the assignment rules choose an owner when
//! none is asked for (one read and one update, only for callers who may give leads to
//! others). Only when the insert writes nothing do further reads find out why.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Directory, Scope};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::insert::{NewRow, insert_lead, model_of};
use super::insert_tags;
use crate::event::{LeadAssigned, LeadCreated};
use crate::model::lead;
use crate::permission::Access;
use crate::service::assignment;
use crate::service::directory::is_member;
use crate::service::lead_input::LeadFields;
use crate::service::pipeline::pipeline_ensure_default;

/// The endpoint name idempotency keys of lead creation are scoped to.
pub const CREATE_ENDPOINT: &str = "leads.create";

/// Where a new lead starts and who owns it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Placement {
    /// The owner asked for; `None`: the assignment rules, else the creator.
    pub owner_id: Option<Uuid>,
    /// The stage asked for; `None`: the default pipeline's first stage.
    pub stage_id: Option<Uuid>,
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

/// A new lead's owner, decided before the insert.
struct Owner {
    id: Option<Uuid>,
    /// Chosen by an assignment rule.
    by_rule: bool,
    /// Asked for, and someone other than the creator: the insert checks membership.
    verify: bool,
}

/// Decides a new lead's owner: the one asked for (own scope may only name itself), else
/// the assignment rules, else the creator.
async fn decide_owner(
    txn: &impl ConnectionTrait,
    access: &Access,
    asked: Option<Uuid>,
    source: &str,
) -> Result<Owner, ApiError> {
    match asked {
        Some(owner) => {
            if access.scope == Scope::Own && Some(owner) != access.user_id {
                return Err(ApiError::Forbidden);
            }
            Ok(Owner { id: Some(owner), by_rule: false, verify: Some(owner) != access.user_id })
        }
        None if access.scope == Scope::Own => Ok(Owner { id: access.user_id, by_rule: false, verify: false }),
        None => Ok(match assignment::next_owner(txn, access.organization_id, source).await? {
            Some(owner) => Owner { id: Some(owner), by_rule: true, verify: false },
            None => Owner { id: access.user_id, by_rule: false, verify: false },
        }),
    }
}

/// Creates a lead. `access` is the caller's `leads.create` access; `fields` were checked at
/// the edge ([`NewLead::check`](crate::service::lead_input::NewLead::check)).
///
/// # Errors
/// 403 naming another owner with own scope; 422 for an unknown stage or an owner who is not
/// a member, or `idempotency_key_reused`; database errors.
pub async fn lead_create(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
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
    let owner = decide_owner(txn, access, placement.owner_id, &fields.source).await?;
    let row = NewRow {
        id,
        organization_id,
        fields: &fields,
        owner_id: owner.id,
        verify_owner: owner.verify,
        created_by: access.user_id,
        stage_id: placement.stage_id,
        // What PostgreSQL stores, so the answer equals a later read.
        now: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
    };
    let mut start = insert_lead(txn, directory, &row).await?;
    if start.is_none() {
        // Nothing written: say why, owner first as always. Without a stage asked for, this
        // is the organization's first lead, and its default pipeline is created now.
        if row.verify_owner
            && let Some(owner) = row.owner_id
            && !is_member(txn, directory, organization_id, owner).await?
        {
            return Err(ApiError::invalid("owner_id", "is not a member of this organization"));
        }
        if placement.stage_id.is_some() {
            return Err(ApiError::invalid("stage_id", "is not a stage of this organization"));
        }
        pipeline_ensure_default(txn, acting, organization_id).await?;
        start = insert_lead(txn, directory, &row).await?;
    }
    let start = start.ok_or_else(|| ApiError::internal(DbErr::Custom("leads: no starting stage".into())))?;
    insert_tags(txn, organization_id, id, &fields.tags).await?;
    super::words::insert_words(txn, organization_id, &[(id, super::words::fields_words(&fields))]).await?;
    let model = model_of(&row, start);
    let created = LeadCreated {
        lead_id: id,
        owner_id: owner.id,
        source: model.source.clone(),
        stage_id: model.stage_id,
        value_amount: model.value_amount,
        currency: model.currency.clone(),
    };
    baseops_jobs::emit(txn, acting, Some(organization_id), &created).await?;
    // An owner other than the creator hears of it; creating your own lead emits nothing more.
    if owner.by_rule || (owner.id.is_some() && owner.id != acting.actor.user_id()) {
        let assigned = LeadAssigned {
            lead_id: id,
            owner_id: owner.id,
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

/// The audit record's picture of a new lead: who it is, where it starts, who owns it.
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
