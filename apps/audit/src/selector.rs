//! Reading the audit trail: filtered, newest first, with keyset (cursor) pagination.
//!
//! Selectors are read-only; pass the read pool. Events are ordered by `(created_at, id)`
//! descending; the cursor names the last event of a page, so pages stay stable while new
//! events arrive.

use baseops_core::{ApiError, Cursor, Paging};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Changes;
use crate::chain::{HashedFields, PLATFORM_CHAIN, timestamp_text};
use crate::model::audit_event;

pub use baseops_core::{DEFAULT_LIMIT, MAX_LIMIT, Page};

/// The order cursors of the trail are made for.
const SORT: &str = "-created_at";

/// Which events to list. Every field narrows the selection; `Default` is the first page of
/// the platform chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// The organization whose events to list. Tenant-facing callers must always set it (to
    /// the caller's organization); `None` selects the platform chain (events with no
    /// organization), for superusers only.
    pub organization_id: Option<Uuid>,
    /// Only events by this actor (a user id, token id or system actor name).
    pub actor_id: Option<String>,
    /// Only events about this kind of record.
    pub entity_type: Option<String>,
    /// Only events about this record (usually together with `entity_type`).
    pub entity_id: Option<String>,
    /// Only this action (`lead.update`).
    pub action: Option<String>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events strictly before this time.
    pub until: Option<DateTime<Utc>>,
    /// Page size: [`DEFAULT_LIMIT`] when `None`, at most [`MAX_LIMIT`], at least 1.
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
}

/// An audit event as readers see it: every stored field, including its place in the chain
/// once sealed (`seq`, `prev_hash` and `hash` are `None` until then, usually under a second).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// The event's id (UUIDv7).
    pub id: Uuid,
    /// The organization, or `None` for a platform event.
    pub organization_id: Option<Uuid>,
    /// The chain: the organization id as text, or `platform`.
    pub chain: String,
    /// Position in the chain, from 1; `None` until sealed.
    pub seq: Option<i64>,
    /// `user`, `token`, `system` or `anonymous`.
    pub actor_type: String,
    /// The user id, token id or system actor name; `None` for anonymous.
    pub actor_id: Option<String>,
    /// What happened (`lead.update`).
    pub action: String,
    /// The kind of record.
    pub entity_type: String,
    /// The record's id.
    pub entity_id: String,
    /// Changed fields, `field → {before, after}`, secrets redacted.
    pub changes: Changes,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The request (or job run) it happened in.
    pub request_id: String,
    /// When it was recorded (UTC, microseconds).
    pub created_at: DateTime<Utc>,
    /// The previous event's hash (64 zeros for the first); `None` until sealed.
    pub prev_hash: Option<String>,
    /// This event's hash (see the `chain` module for the encoding); `None` until sealed.
    pub hash: Option<String>,
}

impl AuditEvent {
    /// Recomputes this event's hash from its fields (see [`crate::chain`]): equal to `hash`
    /// as long as the stored row is untouched; `None` for an event not sealed yet. Lets a
    /// reader check an exported event alone; [`crate::verify()`] checks whole chains.
    pub fn computed_hash(&self) -> Option<String> {
        let (seq, prev_hash) = (self.seq?, self.prev_hash.as_deref()?);
        let changes = self.changes.to_canonical_json();
        let created_at = timestamp_text(self.created_at);
        HashedFields {
            id: self.id,
            chain: &self.chain,
            seq,
            organization_id: self.organization_id,
            actor_type: &self.actor_type,
            actor_id: self.actor_id.as_deref(),
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: &self.entity_id,
            changes: &changes,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            request_id: &self.request_id,
            created_at: &created_at,
            prev_hash,
        }
        .hash()
        .into()
    }
}

/// Why a list failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The cursor is not one this selector produced (the API answers 400).
    #[error("the cursor is not valid")]
    InvalidCursor,
    /// The database failed, or a stored event could not be read.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<ListError> for ApiError {
    fn from(error: ListError) -> Self {
        match error {
            ListError::InvalidCursor => ApiError::BadRequest {
                code: "invalid_cursor",
                detail: "The cursor is not valid; start again from the first page.".to_owned(),
            },
            ListError::Db(error) => ApiError::internal(error),
        }
    }
}

/// One page of events matching `filter`, newest first.
///
/// # Errors
/// [`ListError::InvalidCursor`] for a cursor this function did not produce; a database error.
pub async fn list(db: &impl ConnectionTrait, filter: &EventFilter) -> Result<Page<AuditEvent>, ListError> {
    // Exports page at the largest size; the API checks a client's limit before it gets here.
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let paging = Paging { limit, after: filter.cursor.as_deref().map(decode_cursor).transpose()? };
    let mut query = audit_event::Entity::find().filter(selection(filter));
    if let Some(Cursor { value, id }) = &paging.after {
        let created_at = value.as_str().ok_or(ListError::InvalidCursor)?;
        let id = *id;
        query = query.filter(
            Condition::any().add(audit_event::Column::CreatedAt.lt(created_at)).add(
                Condition::all()
                    .add(audit_event::Column::CreatedAt.eq(created_at))
                    .add(audit_event::Column::Id.lt(id)),
            ),
        );
    }
    let rows = query
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(paging.fetch())
        .all(db)
        .await?;
    let page = paging.page(rows, SORT, |row| (row.created_at.clone().into(), row.id), AuditEvent::try_from);
    let items = page.items.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Calls `visit` with every event matching `filter`, newest first, page by page (at most
/// [`MAX_LIMIT`] rows in memory), starting at `filter.cursor`; `filter.limit` is ignored.
/// Returns how many events were visited. Made for CSV and JSON Lines exports.
///
/// # Errors
/// The first error of `visit`, which stops the walk, or a [`ListError`] converted into the
/// caller's error type.
pub async fn for_each<E, F>(db: &impl ConnectionTrait, filter: &EventFilter, mut visit: F) -> Result<u64, E>
where
    E: From<ListError>,
    F: FnMut(AuditEvent) -> Result<(), E>,
{
    let mut page_filter = EventFilter { limit: Some(MAX_LIMIT), ..filter.clone() };
    let mut visited = 0;
    loop {
        let page = list(db, &page_filter).await?;
        for event in page.items {
            visit(event)?;
            visited += 1;
        }
        match page.next_cursor {
            Some(cursor) => page_filter.cursor = Some(cursor),
            None => return Ok(visited),
        }
    }
}

/// The filter's conditions, except the cursor.
fn selection(filter: &EventFilter) -> Condition {
    use audit_event::Column;
    let mut condition = Condition::all().add(match filter.organization_id {
        Some(organization_id) => Column::OrganizationId.eq(organization_id),
        None => Column::Chain.eq(PLATFORM_CHAIN),
    });
    let equal = [
        (Column::ActorId, &filter.actor_id),
        (Column::EntityType, &filter.entity_type),
        (Column::EntityId, &filter.entity_id),
        (Column::Action, &filter.action),
    ];
    for (column, value) in equal {
        if let Some(value) = value {
            condition = condition.add(column.eq(value.as_str()));
        }
    }
    if let Some(since) = filter.since {
        condition = condition.add(Column::CreatedAt.gte(timestamp_text(since)));
    }
    if let Some(until) = filter.until {
        condition = condition.add(Column::CreatedAt.lt(timestamp_text(until)));
    }
    condition
}

/// A cursor made by [`list`]: the last event's stored `created_at` text and its id.
fn decode_cursor(text: &str) -> Result<Cursor, ListError> {
    let cursor = Cursor::decode(SORT, text).map_err(|_| ListError::InvalidCursor)?;
    let created_at = cursor.value.as_str().ok_or(ListError::InvalidCursor)?;
    // Only what `created_at` is stored as (fixed-width RFC 3339 in UTC) can be a cursor.
    let parsed = DateTime::parse_from_rfc3339(created_at).map_err(|_| ListError::InvalidCursor)?;
    if timestamp_text(parsed.with_timezone(&Utc)) != created_at {
        return Err(ListError::InvalidCursor);
    }
    Ok(cursor)
}

impl TryFrom<audit_event::Model> for AuditEvent {
    type Error = DbErr;

    fn try_from(event: audit_event::Model) -> Result<Self, DbErr> {
        let changes = serde_json::from_str(&event.changes)
            .map_err(|error| DbErr::Json(format!("audit event {}: changes: {error}", event.id)))?;
        let created_at = DateTime::parse_from_rfc3339(&event.created_at)
            .map_err(|error| DbErr::Type(format!("audit event {}: created_at: {error}", event.id)))?
            .with_timezone(&Utc);
        Ok(Self {
            id: event.id,
            organization_id: event.organization_id,
            chain: event.chain,
            seq: event.seq,
            actor_type: event.actor_type,
            actor_id: event.actor_id,
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            changes,
            ip: event.ip,
            user_agent: event.user_agent,
            request_id: event.request_id,
            created_at,
            prev_hash: event.prev_hash,
            hash: event.hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let id = Uuid::try_parse("0190f3c2-aaaa-7bbb-8ccc-dddddddddddd").unwrap();
        let stored = "2025-01-02T03:04:05.000006Z";
        let cursor = Cursor::encode(SORT, stored.into(), id);
        assert_eq!(decode_cursor(&cursor).unwrap(), Cursor { value: stored.into(), id });
        let not_stored_form = Cursor::encode(SORT, "2025-01-02T03:04:05Z".into(), id);
        let not_text = Cursor::encode(SORT, 42.into(), id);
        let other_sort = Cursor::encode("created_at", stored.into(), id);
        for junk in ["", "abc", "' OR 1=1 --", &not_stored_form, &not_text, &other_sort] {
            assert!(matches!(decode_cursor(junk), Err(ListError::InvalidCursor)), "{junk}");
        }
    }
}
