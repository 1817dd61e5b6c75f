//! Domain events: services [`emit`] typed events (`user.invited`, `role.changed`, later
//! `lead.created`, `invoice.paid`) into an outbox table in the same transaction as their
//! change, together with a job that dispatches the event to every handler registered for it.
//! Delivery is at least once; each handler's success is recorded per event, so a retried
//! dispatch skips the handlers that already succeeded, and handlers stay idempotent by
//! event id. Events carry the organization, the actor and the request id.
//!
//! An event no handler subscribes to is still recorded, but gets no dispatch job: the worker
//! would claim, read and complete it only to find nobody to tell (one create in the leads
//! benchmark paid that three round trips). Which events have handlers is known once the
//! composition root has built its bus, before anything is served or run.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use baseops_core::{Acting, AppState};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::job::{Job, JobContext, JobError};
use crate::model::{event, event_delivery};
use crate::queue::{Enqueue, enqueue};

/// A kind of domain event; its value is the payload.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// `<entity>.<past tense>`: `user.invited`, `role.changed`.
    const NAME: &'static str;
}

/// An event as handlers receive it.
#[derive(Debug, Clone)]
pub struct Delivered<E> {
    /// The event id: handlers use it to stay idempotent.
    pub id: Uuid,
    /// The payload.
    pub event: E,
    /// The organization it happened in.
    pub organization_id: Option<Uuid>,
    /// `user`, `token`, `system` or `anonymous`.
    pub actor_type: String,
    /// The actor's id.
    pub actor_id: Option<String>,
    /// The request it happened in.
    pub request_id: String,
}

/// Records `payload` in the outbox and enqueues its dispatch, in the caller's transaction.
///
/// # Errors
/// Database errors, or a payload that does not serialize.
pub async fn emit<E: Event>(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Option<Uuid>,
    payload: &E,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let row = event::Model {
        id,
        name: E::NAME.to_owned(),
        payload: serde_json::to_string(payload)
            .map_err(|error| DbErr::Custom(format!("event {}: {error}", E::NAME)))?,
        organization_id,
        actor_type: acting.actor.kind().to_owned(),
        actor_id: acting.actor.id().map(|id| id.chars().take(64).collect()),
        request_id: acting.origin.request_id.as_str().to_owned(),
        created_at: Utc::now(),
    };
    event::Entity::insert(row.into_active_model()).exec_without_returning(txn).await?;
    if !has_handlers(E::NAME) {
        return Ok(id);
    }
    let dispatch = Enqueue::new(&Dispatch { event_id: id })
        .map_err(|error| DbErr::Custom(error.to_string()))?
        .context(organization_id, Some(acting.origin.request_id.as_str()));
    enqueue(txn, dispatch).await?;
    Ok(id)
}

/// The names of the events some bus built in this process subscribes a handler to.
///
/// It only grows. Several buses may be built in one process (each test composes its own
/// app); a name another bus subscribes to only costs an event a dispatch job that finds no
/// handler, as every event did before — never a handler that is not told.
fn subscribed() -> &'static RwLock<HashSet<&'static str>> {
    static SUBSCRIBED: std::sync::OnceLock<RwLock<HashSet<&'static str>>> = std::sync::OnceLock::new();
    SUBSCRIBED.get_or_init(RwLock::default)
}

/// Whether any bus of this process has a handler for the event `name`.
pub fn has_handlers(name: &str) -> bool {
    subscribed().read().is_ok_and(|names| names.contains(name))
}

/// Why a handler failed: retried with the dispatch job.
pub type HandlerError = JobError;

#[async_trait::async_trait]
trait ErasedHandler: Send + Sync {
    async fn handle(&self, row: &event::Model, ctx: &JobContext) -> Result<(), HandlerError>;
}

struct Typed<E, F>(F, std::marker::PhantomData<fn() -> E>);

#[async_trait::async_trait]
impl<E, F, Fut> ErasedHandler for Typed<E, F>
where
    E: Event,
    F: Fn(Delivered<E>, JobContext) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<(), HandlerError>> + Send,
{
    async fn handle(&self, row: &event::Model, ctx: &JobContext) -> Result<(), HandlerError> {
        let event: E = serde_json::from_str(&row.payload)
            .map_err(|error| JobError::Permanent(format!("event {} does not parse: {error}", row.id)))?;
        let delivered = Delivered {
            id: row.id,
            event,
            organization_id: row.organization_id,
            actor_type: row.actor_type.clone(),
            actor_id: row.actor_id.clone(),
            request_id: row.request_id.clone(),
        };
        (self.0)(delivered, ctx.clone()).await
    }
}

/// A subscribed handler: its name (recorded per delivered event) and its code.
type Subscriber = (&'static str, Arc<dyn ErasedHandler>);

/// Event handlers by event name; installed in the application state by the composition root.
#[derive(Clone, Default)]
pub struct EventBus {
    handlers: HashMap<&'static str, Vec<Subscriber>>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.handlers.iter().map(|(event, list)| (event, list.len()))).finish()
    }
}

impl EventBus {
    /// No handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes `handler` (named `name`, unique per event) to events of type `E`.
    ///
    /// # Panics
    /// When `name` is already subscribed to `E`.
    pub fn on<E, F, Fut>(mut self, name: &'static str, handler: F) -> Self
    where
        E: Event,
        F: Fn(Delivered<E>, JobContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        subscribed().write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(E::NAME);
        let list = self.handlers.entry(E::NAME).or_default();
        assert!(list.iter().all(|(existing, _)| *existing != name), "{name} subscribes to {} twice", E::NAME);
        list.push((name, Arc::new(Typed::<E, F>(handler, std::marker::PhantomData))));
        self
    }

    /// The events this bus has handlers for, sorted.
    pub fn events(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.handlers.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// The handlers subscribed to `event`, by name.
    pub fn handlers_of(&self, event: &str) -> Vec<&'static str> {
        self.handlers.get(event).map(|list| list.iter().map(|(name, _)| *name).collect()).unwrap_or_default()
    }

    fn of(state: &AppState) -> Self {
        state.extension::<Self>().cloned().unwrap_or_default()
    }
}

/// The job that delivers one event to its handlers.
#[derive(Debug, Serialize, Deserialize)]
pub struct Dispatch {
    /// The event.
    pub event_id: Uuid,
}

#[async_trait::async_trait]
impl Job for Dispatch {
    const NAME: &'static str = "events.dispatch";
    const MAX_ATTEMPTS: i32 = 10;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let db = ctx.state.db().write();
        let row = event::Entity::find_by_id(self.event_id)
            .one(db)
            .await
            .map_err(JobError::retry)?
            .ok_or_else(|| JobError::Permanent(format!("event {} is gone", self.event_id)))?;
        let bus = EventBus::of(&ctx.state);
        let Some(handlers) = bus.handlers.get(row.name.as_str()) else {
            return Ok(());
        };
        let done: Vec<String> = event_delivery::Entity::find()
            .filter(event_delivery::Column::EventId.eq(row.id))
            .all(db)
            .await
            .map_err(JobError::retry)?
            .into_iter()
            .map(|delivery| delivery.handler)
            .collect();
        let mut failures = Vec::new();
        for (name, handler) in handlers {
            if done.iter().any(|handled| handled == name) {
                continue;
            }
            match handler.handle(&row, ctx).await {
                Ok(()) => record_delivery(db, row.id, name).await.map_err(JobError::retry)?,
                Err(error) => {
                    tracing::warn!(event = %row.id, handler = name, %error, "event handler failed");
                    failures.push(format!("{name}: {error}"));
                }
            }
        }
        if failures.is_empty() { Ok(()) } else { Err(JobError::Retry(failures.join("; "))) }
    }
}

async fn record_delivery(db: &impl ConnectionTrait, event_id: Uuid, handler: &str) -> Result<(), DbErr> {
    event_delivery::Entity::insert(event_delivery::ActiveModel {
        event_id: Set(event_id),
        handler: Set(handler.to_owned()),
        delivered_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([event_delivery::Column::EventId, event_delivery::Column::Handler])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
