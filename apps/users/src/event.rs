//! Event handlers of the users app. It owns memberships and organizations, so it tells a
//! member when the roles app changed their roles.

use baseops_jobs::{Delivered, Event, EventBus, JobContext, JobError};
use baseops_notifications::NewNotification;
use baseops_roles::event::RoleChanged;
use sea_orm::EntityTrait;

use crate::model::{membership, organization};

/// Subscribes the users app's handlers to `bus`.
pub fn subscribe(bus: EventBus) -> EventBus {
    bus.on::<RoleChanged, _, _>("users.notify_member_of_roles", notify_member_of_roles)
}

async fn notify_member_of_roles(delivered: Delivered<RoleChanged>, ctx: JobContext) -> Result<(), JobError> {
    let db = ctx.state.db().read();
    let Some(member) = membership::Entity::find_by_id(delivered.event.membership_id)
        .one(db)
        .await
        .map_err(JobError::retry)?
    else {
        // The member left since: nobody to tell.
        return Ok(());
    };
    let organization = organization::Entity::find_by_id(member.organization_id)
        .one(db)
        .await
        .map_err(JobError::retry)?
        .map_or_else(|| "your organization".to_owned(), |found| found.name);
    let roles = baseops_roles::role_list(db, member.organization_id).await.map_err(JobError::retry)?;
    let mut names: Vec<&str> = roles
        .iter()
        .filter(|role| delivered.event.after.contains(&role.id))
        .map(|role| role.name.as_str())
        .collect();
    names.sort_unstable();
    let body = if names.is_empty() {
        format!("You no longer have a role in {organization}.")
    } else {
        format!("Your roles in {organization} are now: {}.", names.join(", "))
    };
    let notification = NewNotification {
        user_id: member.user_id,
        organization_id: Some(member.organization_id),
        kind: RoleChanged::NAME,
        title: format!("Your roles in {organization} changed"),
        body,
        link: Some("/me".to_owned()),
        event_id: Some(delivered.id),
    };
    baseops_notifications::send(&ctx.state, vec![notification]).await?;
    Ok(())
}
