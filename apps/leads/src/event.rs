//! Events the leads app emits, and its handlers: the new owner of a lead hears about it.

use baseops_jobs::{Delivered, Event, EventBus, JobContext, JobError};
use baseops_notifications::NewNotification;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A lead was created (`lead.created`) by hand or through the API; imports emit one
/// [`LeadsImported`] instead of one event per row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeadCreated {
    /// The lead.
    pub lead_id: Uuid,
    /// Its owner, if any.
    pub owner_id: Option<Uuid>,
    /// Where it came from (`web_form`, `manual`, …).
    pub source: String,
    /// The stage it starts in.
    pub stage_id: Uuid,
    /// Estimated value in minor units.
    pub value_amount: Option<i64>,
    /// Currency of the value.
    pub currency: Option<String>,
}

impl Event for LeadCreated {
    const NAME: &'static str = "lead.created";
}

/// A lead got an owner other than the one who acted (`lead.assigned`): by an assignment
/// rule, a reassignment, or a merge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeadAssigned {
    /// The lead.
    pub lead_id: Uuid,
    /// The new owner (`None`: unassigned).
    pub owner_id: Option<Uuid>,
    /// The owner before.
    pub previous_owner_id: Option<Uuid>,
    /// A short name for the notification (the lead's name or company).
    pub label: String,
    /// The user who acted (`None`: the system, or an event recorded before this field).
    #[serde(default)]
    pub by: Option<Uuid>,
}

impl Event for LeadAssigned {
    const NAME: &'static str = "lead.assigned";
}

/// A lead moved to another stage (`lead.stage_changed`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeadStageChanged {
    /// The lead.
    pub lead_id: Uuid,
    /// The stage it left.
    pub from_stage_id: Uuid,
    /// The stage it entered.
    pub to_stage_id: Uuid,
    /// `open`, `won` or `lost` after the move.
    pub status: String,
    /// Seconds it spent in the stage it left.
    pub time_in_stage_secs: i64,
}

impl Event for LeadStageChanged {
    const NAME: &'static str = "lead.stage_changed";
}

/// A won lead became a customer (`lead.converted`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeadConverted {
    /// The lead.
    pub lead_id: Uuid,
    /// The customer created from it.
    pub customer_id: Uuid,
    /// The lead's owner.
    pub owner_id: Option<Uuid>,
    /// The lead's estimated value in minor units.
    pub value_amount: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
}

impl Event for LeadConverted {
    const NAME: &'static str = "lead.converted";
}

/// An import committed its rows (`leads.imported`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeadsImported {
    /// The import.
    pub import_id: Uuid,
    /// Leads created.
    pub created: i64,
    /// Existing leads updated.
    pub updated: i64,
    /// Rows skipped (invalid or duplicates).
    pub skipped: i64,
}

impl Event for LeadsImported {
    const NAME: &'static str = "leads.imported";
}

/// Every event the leads app emits.
pub const EMITTED: &[&str] = &[
    <LeadCreated as Event>::NAME,
    <LeadAssigned as Event>::NAME,
    <LeadStageChanged as Event>::NAME,
    <LeadConverted as Event>::NAME,
    <LeadsImported as Event>::NAME,
];

/// Subscribes the leads app's handlers; the composition root calls it.
pub fn subscribe(bus: EventBus) -> EventBus {
    bus.on("leads.notify_new_owner", notify_new_owner)
}

/// Tells a lead's new owner, unless they gave it to themselves.
async fn notify_new_owner(event: Delivered<LeadAssigned>, ctx: JobContext) -> Result<(), JobError> {
    let Some(owner_id) = event.event.owner_id else { return Ok(()) };
    // Taking a lead yourself, by session or by token, is nothing to be told about.
    if event.event.by == Some(owner_id) {
        return Ok(());
    }
    let notification = NewNotification {
        user_id: owner_id,
        organization_id: event.organization_id,
        kind: LeadAssigned::NAME_FOR_NOTIFICATIONS,
        title: format!("Lead assigned to you: {}", event.event.label),
        body: "A lead is now yours to work.".to_owned(),
        link: Some(format!("/leads/{}", event.event.lead_id)),
        event_id: Some(event.id),
    };
    baseops_notifications::send(&ctx.state, vec![notification]).await.map(|_| ())
}

impl LeadAssigned {
    /// The notification kind, as users see it in their preferences.
    const NAME_FOR_NOTIFICATIONS: &'static str = "lead.assigned";
}
