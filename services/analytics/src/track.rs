//! Recording analytics events: the bounds every event must keep, and the one writer of
//! `analytics_events` (tracked batches and the domain-event handlers both go through it).

use baseops_core::FieldErrors;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::table::AnalyticsEvents;

/// Most events one batch may hold.
pub const MAX_BATCH: usize = 100;
/// Most properties one event may carry.
pub const MAX_PROPERTIES: usize = 20;
/// Longest property key or string value, in characters.
pub const MAX_VALUE_CHARS: usize = 200;
/// Longest event name.
pub const MAX_NAME_LEN: usize = 64;
/// How old an event may be: older ones would land in days already aggregated and settled.
pub const MAX_AGE: TimeDelta = TimeDelta::days(7);
/// How far ahead an event may be dated, for clocks that run fast.
pub const MAX_AHEAD: TimeDelta = TimeDelta::minutes(5);

/// One event as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnalyticsTrackedEvent)]
pub struct TrackedEvent {
    /// `[a-z][a-z0-9_.]{0,63}`, e.g. `console.page_viewed`.
    pub name: String,
    /// Up to 20 keys, each with a string (at most 200 characters), number or boolean.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// When it happened (default: now): within the last 7 days, at most 5 minutes ahead.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A batch of events; the caller is recorded as their actor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnalyticsTrackBatch)]
pub struct TrackBatch {
    /// 1–100 events.
    pub events: Vec<TrackedEvent>,
}

/// An event ready to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Its id: a new UUIDv7, or the domain event's id so that a redelivery adds nothing.
    pub id: Uuid,
    /// The organization it happened in.
    pub organization_id: Uuid,
    /// Its name.
    pub name: String,
    /// Who caused it.
    pub actor_id: Option<Uuid>,
    /// Its properties, as a JSON object.
    pub properties: Map<String, Value>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// Name prefixes kept for the domain events analytics records itself, so that a client
/// cannot inflate the lead and task figures.
pub const RESERVED_PREFIXES: &[&str] = &["lead.", "task."];

/// Whether `name` matches `[a-z][a-z0-9_.]{0,63}`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && name.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

fn check_properties(errors: &mut FieldErrors, path: &str, properties: &Map<String, Value>) {
    if properties.len() > MAX_PROPERTIES {
        errors.add(path, format!("has more than {MAX_PROPERTIES} keys"));
    }
    for (key, value) in properties {
        let key_ok =
            !key.is_empty() && key.chars().count() <= MAX_VALUE_CHARS && !key.chars().any(char::is_control);
        if !key_ok {
            errors.add(path, "keys must be 1–200 characters of text");
        }
        let value_ok = match value {
            Value::String(text) => text.chars().count() <= MAX_VALUE_CHARS,
            Value::Number(_) | Value::Bool(_) => true,
            _ => false,
        };
        if !value_ok {
            errors.add(
                format!("{path}.{key}"),
                "must be a string of at most 200 characters, a number or a boolean",
            );
        }
    }
}

impl TrackBatch {
    /// The batch's events, checked against every bound, dated `now` when undated.
    ///
    /// # Errors
    /// Each offending field at its path (`events[3].name`); nothing is recorded then.
    pub fn check(
        self,
        organization_id: Uuid,
        actor_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewEvent>, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.events.is_empty() || self.events.len() > MAX_BATCH {
            errors.add("events", format!("must hold 1–{MAX_BATCH} events"));
            return Err(errors);
        }
        let mut out = Vec::with_capacity(self.events.len());
        for (index, event) in self.events.into_iter().enumerate() {
            if !valid_name(&event.name) {
                errors.add(format!("events[{index}].name"), "must match [a-z][a-z0-9_.]{0,63}");
            } else if RESERVED_PREFIXES.iter().any(|prefix| event.name.starts_with(prefix)) {
                errors
                    .add(format!("events[{index}].name"), "lead.* and task.* are recorded by baseops itself");
            }
            check_properties(&mut errors, &format!("events[{index}].properties"), &event.properties);
            let occurred_at = event.occurred_at.unwrap_or(now);
            if occurred_at < now - MAX_AGE || occurred_at > now + MAX_AHEAD {
                errors.add(
                    format!("events[{index}].occurred_at"),
                    "must be within the last 7 days and at most 5 minutes ahead",
                );
            }
            out.push(NewEvent {
                id: Uuid::now_v7(),
                organization_id,
                name: event.name,
                actor_id,
                properties: event.properties,
                occurred_at,
            });
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }
}

/// Writes `events` in one transaction of its own; an id already recorded is skipped, so a
/// redelivered domain event counts once. Returns how many were new.
///
/// # Errors
/// Database errors.
pub async fn record(db: &DatabaseConnection, events: Vec<NewEvent>) -> Result<u64, DbErr> {
    if events.is_empty() {
        return Ok(0);
    }
    let recorded_at = Utc::now();
    let mut insert = Query::insert();
    insert
        .into_table(AnalyticsEvents::Table)
        .columns([
            AnalyticsEvents::Id,
            AnalyticsEvents::OrganizationId,
            AnalyticsEvents::Name,
            AnalyticsEvents::ActorId,
            AnalyticsEvents::Properties,
            AnalyticsEvents::OccurredAt,
            AnalyticsEvents::RecordedAt,
        ])
        .on_conflict(OnConflict::column(AnalyticsEvents::Id).do_nothing().to_owned());
    for event in events {
        insert.values_panic([
            event.id.into(),
            event.organization_id.into(),
            event.name.into(),
            event.actor_id.into(),
            Value::Object(event.properties).to_string().into(),
            event.occurred_at.into(),
            recorded_at.into(),
        ]);
    }
    let txn = db.begin().await?;
    let result = txn.execute(&insert).await?;
    txn.commit().await?;
    Ok(result.rows_affected())
}
