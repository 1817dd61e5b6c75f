//! The leads and tasks apps' domain events, recorded as analytics events. Each keeps the
//! domain event's id, so a redelivered event is recorded once.

use baseops_core::{Access, Scope};
use baseops_jobs::{Delivered, EventBus, JobContext, JobError};
use baseops_leads::event::{LeadConverted, LeadCreated, LeadStageChanged};
use baseops_tasks::event::{TaskCreated, TaskStatusChanged};
use chrono::Utc;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::track::{NewEvent, record};

/// Subscribes the analytics handlers; the composition root calls it.
pub(crate) fn subscribe(bus: EventBus) -> EventBus {
    bus.on::<LeadCreated, _, _>("analytics.lead_created", |delivered, ctx| async move {
        let event = &delivered.event;
        let properties = json!({"source": event.source, "lead_id": event.lead_id.to_string()});
        store(&ctx, &delivered, "lead.created", properties).await
    })
    .on::<LeadStageChanged, _, _>("analytics.lead_stage_changed", |delivered, ctx| async move {
        let event = &delivered.event;
        let name = match event.status.as_str() {
            "won" => "lead.won",
            "lost" => "lead.lost",
            _ => "lead.stage_changed",
        };
        let mut properties =
            json!({"lead_id": event.lead_id.to_string(), "to_stage_id": event.to_stage_id.to_string()});
        if name != "lead.stage_changed" {
            properties["source"] = Value::String(source_of(&ctx, &delivered, event.lead_id).await?);
        }
        store(&ctx, &delivered, name, properties).await
    })
    .on::<LeadConverted, _, _>("analytics.lead_converted", |delivered, ctx| async move {
        let event = &delivered.event;
        let source = source_of(&ctx, &delivered, event.lead_id).await?;
        store(
            &ctx,
            &delivered,
            "lead.converted",
            json!({"lead_id": event.lead_id.to_string(), "source": source}),
        )
        .await
    })
    .on::<TaskCreated, _, _>("analytics.task_created", |delivered, ctx| async move {
        let properties = json!({"task_id": delivered.event.task_id.to_string()});
        store(&ctx, &delivered, "task.created", properties).await
    })
    .on::<TaskStatusChanged, _, _>("analytics.task_completed", |delivered, ctx| async move {
        if delivered.event.to != baseops_tasks::workflow::DONE {
            return Ok(());
        }
        let properties = json!({"task_id": delivered.event.task_id.to_string()});
        store(&ctx, &delivered, "task.completed", properties).await
    })
}

/// The lead's source, asked of the leads app; a lead deleted since counts as `unknown`.
async fn source_of<E>(ctx: &JobContext, delivered: &Delivered<E>, lead_id: Uuid) -> Result<String, JobError> {
    let Some(organization_id) = delivered.organization_id else { return Ok("unknown".to_owned()) };
    let access = Access { organization_id, user_id: None, scope: Scope::All, sees: Some(Scope::All) };
    match baseops_leads::selector::lead::lead_get(ctx.state.db().write(), &access, lead_id).await {
        Ok(lead) => Ok(lead.source),
        Err(baseops_core::ApiError::NotFound) => Ok("unknown".to_owned()),
        Err(error) => Err(JobError::retry(error)),
    }
}

async fn store<E>(
    ctx: &JobContext,
    delivered: &Delivered<E>,
    name: &str,
    properties: Value,
) -> Result<(), JobError> {
    // Events outside an organization have no dashboard to count towards.
    let Some(organization_id) = delivered.organization_id else { return Ok(()) };
    let actor_id = (delivered.actor_type == "user")
        .then(|| delivered.actor_id.as_deref().and_then(|id| Uuid::parse_str(id).ok()))
        .flatten();
    let properties = match properties {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let event = NewEvent {
        id: delivered.id,
        organization_id,
        name: name.to_owned(),
        actor_id,
        properties,
        // Handlers run within moments of the change; the delivery carries no time of its own.
        occurred_at: Utc::now(),
    };
    record(ctx.state.db().write(), vec![event]).await.map(|_| ()).map_err(JobError::retry)
}
