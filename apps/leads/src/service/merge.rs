//! Merging duplicates: one lead survives, choosing field by field whose value it keeps;
//! the others' activities, tags, customer link and the records of other apps linked to them
//! (tasks) move to it, and they are deleted.

use std::collections::{BTreeMap, BTreeSet};

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Links};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{ActivityKind, activity, lead};
use crate::permission::Access;
use crate::service::activity::add_activity;
use crate::service::lead::update::diff;
use crate::service::lead::{check_version, lead_for, replace_tags, write};
use crate::service::lead_input::{LeadFields, MAX_TAGS};

/// Most leads merged into one at once.
pub const MAX_MERGED: usize = 10;

/// The fields a merge can take from either lead. `value` moves the amount and its currency
/// together, `utm` the five UTM fields together.
pub const MERGE_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "website",
    "address",
    "source",
    "value",
    "score",
    "utm",
    "notes",
    "owner_id",
];

/// Which leads merge into the survivor, and whose value each field keeps.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The leads merged away (1–10, distinct, not the survivor).
    #[schema(min_items = 1, max_items = 10)]
    pub merge_ids: Vec<Uuid>,
    /// Field → the id of the lead whose value survives (the survivor or one of `merge_ids`).
    /// Fields not named keep the survivor's value, or take the first merged lead's when the
    /// survivor's is empty. Tags are always united.
    #[serde(default)]
    pub fields: BTreeMap<String, Uuid>,
}

/// A checked [`MergeInput`] for one survivor: distinct ids other than the survivor's,
/// fields that can be chosen. Only [`MergeInput::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePlan {
    survivor_id: Uuid,
    merge_ids: Vec<Uuid>,
    fields: BTreeMap<String, Uuid>,
}

impl MergeInput {
    /// Checks a merge into `survivor_id`.
    ///
    /// # Errors
    /// 422 for missing, repeated or too many ids, the survivor among them, or a field that
    /// cannot be chosen.
    pub fn check(self, survivor_id: Uuid) -> Result<MergePlan, ApiError> {
        let unique: BTreeSet<Uuid> = self.merge_ids.iter().copied().collect();
        if unique.is_empty() || unique.len() > MAX_MERGED || unique.len() != self.merge_ids.len() {
            return Err(ApiError::invalid("merge_ids", format!("1 to {MAX_MERGED} distinct lead ids")));
        }
        if unique.contains(&survivor_id) {
            return Err(ApiError::invalid("merge_ids", "must not contain the surviving lead"));
        }
        for field in self.fields.keys() {
            if !MERGE_FIELDS.contains(&field.as_str()) {
                return Err(ApiError::invalid(
                    &format!("fields.{}", field.chars().take(40).collect::<String>()),
                    "cannot be chosen",
                ));
            }
        }
        Ok(MergePlan { survivor_id, merge_ids: self.merge_ids, fields: self.fields })
    }
}

/// Merges leads into the plan's survivor. `edit` is the caller's `leads.edit` access (for
/// the survivor), `delete` their `leads.delete` access (for the merged leads); `plan` was
/// checked at the edge ([`MergeInput::check`]).
///
/// # Errors
/// 404/403 out of reach, 412 stale survivor version, 422 for a field chosen from a lead not
/// in the merge, 409 `both_converted` when two leads already have customers.
pub async fn lead_merge(
    txn: &DatabaseTransaction,
    links: &Links,
    acting: Acting<'_>,
    edit: &Access,
    delete: &Access,
    expected: Option<i32>,
    plan: MergePlan,
) -> Result<(), ApiError> {
    let MergePlan { survivor_id, merge_ids, fields } = plan;
    let survivor = lead_for(txn, edit, survivor_id).await?;
    check_version(&survivor, expected)?;
    let mut merged = Vec::with_capacity(merge_ids.len());
    for id in &merge_ids {
        merged.push(lead_for(txn, delete, *id).await?);
    }
    for chosen in fields.values() {
        if *chosen != survivor_id && !merge_ids.contains(chosen) {
            return Err(ApiError::invalid("fields", "every value must name the survivor or a merged lead"));
        }
    }
    let customers: Vec<(Uuid, Uuid)> =
        merged.iter().filter_map(|lead| lead.customer_id.map(|customer| (lead.id, customer))).collect();
    if customers.len() + usize::from(survivor.customer_id.is_some()) > 1 {
        return Err(ApiError::Conflict {
            code: "both_converted",
            detail: "More than one of these leads is already a customer.".into(),
        });
    }

    let before = LeadFields::from(&survivor);
    let mut after = before.clone();
    let source_of = |field: &str| -> Option<&lead::Model> {
        let chosen = fields.get(field)?;
        if *chosen == survivor_id { Some(&survivor) } else { merged.iter().find(|lead| lead.id == *chosen) }
    };
    let first_merged = LeadFields::from(&merged[0]);
    macro_rules! take {
        ($name:literal, $($field:ident).+, $empty:expr) => {
            match source_of($name) {
                Some(lead) => after.$($field).+ = LeadFields::from(lead).$($field).+,
                None => {
                    if $empty(&after.$($field).+) {
                        after.$($field).+ = first_merged.$($field).+.clone();
                    }
                }
            }
        };
    }
    let blank_text = |value: &String| value.is_empty();
    let blank = |value: &Option<String>| value.is_none();
    take!("first_name", first_name, blank_text);
    take!("last_name", last_name, blank_text);
    take!("email", email, blank);
    take!("phone", phone, blank);
    take!("company", company, blank);
    take!("title", title, blank);
    take!("website", website, blank);
    take!("address", address, blank);
    take!("notes", notes, blank);
    if let Some(lead) = source_of("source") {
        after.source = lead.source.clone();
    }
    if let Some(lead) = source_of("score") {
        after.score = lead.score;
    }
    match source_of("value") {
        Some(lead) => (after.value_amount, after.currency) = (lead.value_amount, lead.currency.clone()),
        None if after.value_amount.is_none() => {
            (after.value_amount, after.currency) = (first_merged.value_amount, first_merged.currency.clone());
        }
        None => {}
    }
    if let Some(lead) = source_of("utm") {
        after.utm = LeadFields::from(lead).utm;
    }
    for lead in &merged {
        for tag in LeadFields::from(lead).tags {
            if !after.tags.contains(&tag) && after.tags.len() < MAX_TAGS {
                after.tags.push(tag);
            }
        }
    }
    let owner = match source_of("owner_id") {
        Some(lead) => lead.owner_id,
        None => survivor.owner_id.or(merged[0].owner_id),
    };

    let (mut columns, mut changes) = diff(&before, &after);
    if owner != survivor.owner_id {
        columns.push((lead::Column::OwnerId, Expr::val(owner)));
        changes = changes.set("owner_id", survivor.owner_id, owner);
    }
    let moved_customer = customers.first().copied();
    if let Some((_, customer_id)) = moved_customer {
        columns.push((lead::Column::CustomerId, Expr::val(customer_id)));
        changes = changes.set("customer_id", None::<()>, customer_id);
    }
    let merged_ids: Vec<Uuid> = merged.iter().map(|lead| lead.id).collect();
    changes = changes.set("merged_ids", None::<()>, &merged_ids);
    let now = Utc::now();
    write(txn, &survivor, columns, now).await?;
    activity::Entity::update_many()
        .col_expr(activity::Column::LeadId, Expr::val(survivor_id))
        .filter(activity::Column::LeadId.is_in(merged_ids.clone()))
        .exec(txn)
        .await?;
    if before.tags != after.tags {
        replace_tags(txn, edit.organization_id, survivor_id, &after.tags).await?;
    }
    crate::service::lead::words::replace_words(txn, edit.organization_id, survivor_id, &before, &after)
        .await?;
    if let Some((from_lead, customer_id)) = moved_customer {
        baseops_customers::customer_relink_lead(
            txn,
            acting,
            edit.organization_id,
            customer_id,
            from_lead,
            survivor_id,
        )
        .await?;
    }
    for from in &merged_ids {
        links.retarget(txn, acting, edit.organization_id, crate::link::KIND, *from, survivor_id).await?;
    }
    lead::Entity::delete_many().filter(lead::Column::Id.is_in(merged_ids.clone())).exec(txn).await?;
    let data = serde_json::json!({ "merged_ids": merged_ids, "fields": fields });
    add_activity(
        txn,
        edit.organization_id,
        survivor_id,
        ActivityKind::Merge,
        edit.user_id,
        String::new(),
        Some(data),
        now,
    )
    .await?;
    for lead in &merged {
        let gone = Changes::new()
            .set("merged_into", None::<()>, survivor_id)
            .set("email", &lead.email, None::<()>)
            .set("owner_id", lead.owner_id, None::<()>);
        record(
            txn,
            AuditEntry::new(acting, Some(edit.organization_id), "lead.merged_away", "lead", lead.id)
                .changes(gone),
        )
        .await?;
    }
    record(
        txn,
        AuditEntry::new(acting, Some(edit.organization_id), "lead.merge", "lead", survivor_id)
            .changes(changes),
    )
    .await?;
    Ok(())
}
