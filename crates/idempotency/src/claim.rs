//! Claiming a key inside the create's transaction.
//!
//! The claim is an `INSERT … ON CONFLICT DO NOTHING` on the primary key (organization,
//! principal, endpoint, key). Two concurrent requests with one key serialize on that index:
//! on PostgreSQL the second insert waits for the first transaction, then finds its row
//! (READ COMMITTED reads what committed) and replays; if the first rolled back, the second
//! inserts and creates. On SQLite the single writer connection already orders them.

use baseops_core::ApiError;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::{idempotency_key, idempotent_request};

/// How long a key is remembered; a key older than this is free again.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);

/// What the create service does after [`claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: create the record with the id given to [`claim`].
    New,
    /// The key was used for the same request: answer with this record, create nothing.
    Replay(Uuid),
}

/// The SHA-256 of a request's parsed input (its JSON serialization), to pass to [`claim`].
/// Hashing the parsed input makes whitespace and key order irrelevant; include path
/// parameters (a parent id) in `input` when the endpoint has them, e.g. `&(parent_id, &body)`.
pub fn request_hash(input: &impl Serialize) -> [u8; 32] {
    let bytes = serde_json::to_vec(input).unwrap_or_default();
    Sha256::digest(&bytes).into()
}

/// Inside the create service's transaction, before inserting: records (organization,
/// principal, endpoint, key) → (`request_hash`, `new_id`). The first request gets
/// [`Claim::New`]; a second request with the same key and hash gets [`Claim::Replay`] with
/// the first request's id; a key older than [`RETENTION`] is claimed afresh.
///
/// `principal` is the acting user's id as text; `endpoint` names the operation
/// (`tasks.create`).
///
/// # Errors
/// 422 `idempotency_key_reused` when the key was used with another request; database errors.
pub async fn claim(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    principal: &str,
    endpoint: &'static str,
    key: &str,
    request_hash: [u8; 32],
    new_id: Uuid,
) -> Result<Claim, ApiError> {
    let hash = hex::encode(request_hash);
    // A purge or an expired key can remove or renew the row between the insert and the
    // read; a second round settles it.
    for _ in 0..3 {
        let now = Utc::now();
        let row = idempotency_key::ActiveModel {
            organization_id: Set(organization_id),
            principal: Set(principal.to_owned()),
            endpoint: Set(endpoint.to_owned()),
            key: Set(key.to_owned()),
            request_hash: Set(hash.clone()),
            resource_id: Set(new_id),
            created_at: Set(now),
        };
        let inserted = idempotency_key::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    idempotency_key::Column::OrganizationId,
                    idempotency_key::Column::Principal,
                    idempotency_key::Column::Endpoint,
                    idempotency_key::Column::Key,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if inserted == 1 {
            return Ok(Claim::New);
        }
        let Some(existing) = idempotency_key::Entity::find_by_id((
            organization_id,
            principal.to_owned(),
            endpoint.to_owned(),
            key.to_owned(),
        ))
        .one(txn)
        .await?
        else {
            continue;
        };
        if existing.created_at < now - RETENTION {
            if renew(txn, &existing, &hash, new_id, now).await? {
                return Ok(Claim::New);
            }
            continue;
        }
        if existing.request_hash != hash {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: "This Idempotency-Key was used with a different request; use a new key.".into(),
            });
        }
        return Ok(Claim::Replay(existing.resource_id));
    }
    Err(ApiError::Conflict {
        code: "idempotency_key_busy",
        detail: "Another request with this Idempotency-Key is changing it; retry.".into(),
    })
}

/// Takes over an expired key, unless another request renewed it first.
async fn renew(
    txn: &impl ConnectionTrait,
    existing: &idempotency_key::Model,
    hash: &str,
    new_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let renewed = idempotency_key::Entity::update_many()
        .set(idempotency_key::ActiveModel {
            request_hash: Set(hash.to_owned()),
            resource_id: Set(new_id),
            created_at: Set(now),
            ..Default::default()
        })
        .filter(idempotency_key::Column::OrganizationId.eq(existing.organization_id))
        .filter(idempotency_key::Column::Principal.eq(existing.principal.as_str()))
        .filter(idempotency_key::Column::Endpoint.eq(existing.endpoint.as_str()))
        .filter(idempotency_key::Column::Key.eq(existing.key.as_str()))
        .filter(idempotency_key::Column::CreatedAt.eq(existing.created_at))
        .exec(txn)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Deletes keys claimed before `cutoff`; returns how many.
///
/// # Errors
/// Database errors.
pub async fn purge(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    let keys = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?;
    let requests = idempotent_request::Entity::delete_many()
        .filter(idempotent_request::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(keys.rows_affected + requests.rows_affected)
}
