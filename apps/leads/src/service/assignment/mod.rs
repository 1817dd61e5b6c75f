//! Assignment rules: a new lead without an owner goes round-robin to the members of the
//! first active rule (by position) whose source matches the lead's (a rule without a source
//! matches every lead). A rule with one member assigns "by source".
//!
//! The rotation lives here, once: [`next_owners`] picks the owners of a batch of new leads
//! (an import's), [`next_owner`] of one (a create), with the same turns — N leads created one
//! by one or in one batch go to the same members. Editing the rules is in [`rule`].

pub mod rule;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::model::assignment_rule;

pub use rule::{MAX_MEMBERS, MAX_RULES, RuleFields, RuleInput, rule_create, rule_delete, rule_update};

/// The owner the rules give a new lead from `source`, advancing the matching rule's
/// rotation; `None` when no active rule matches.
///
/// # Errors
/// Database errors.
pub async fn next_owner(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    source: &str,
) -> Result<Option<Uuid>, DbErr> {
    Ok(next_owners(txn, organization_id, &[source]).await?.pop().flatten())
}

/// An active rule with members, as the rotation reads it.
struct Rotation {
    id: Uuid,
    source: Option<String>,
    members: Vec<Uuid>,
}

impl Rotation {
    fn matches(&self, source: &str) -> bool {
        self.source.as_deref().is_none_or(|wanted| wanted == source)
    }
}

/// The owners the rules give new leads from these sources, one per source in order
/// (`None` where no active rule matches), advancing each matching rule's rotation once by
/// the number of leads it takes. A rule takes its leads' turns in the order given.
///
/// # Errors
/// Database errors.
pub async fn next_owners(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    sources: &[&str],
) -> Result<Vec<Option<Uuid>>, DbErr> {
    let mut owners = vec![None; sources.len()];
    if sources.is_empty() {
        return Ok(owners);
    }
    let mut rules: Vec<Rotation> = assignment_rule::Entity::find()
        .filter(assignment_rule::Column::OrganizationId.eq(organization_id))
        .filter(assignment_rule::Column::Active.eq(true))
        .order_by_asc(assignment_rule::Column::Position)
        .all(txn)
        .await?
        .into_iter()
        .map(|rule| Rotation {
            id: rule.id,
            source: rule.source,
            members: serde_json::from_str(&rule.member_ids).unwrap_or_default(),
        })
        .filter(|rule| !rule.members.is_empty())
        .collect();
    let mut waiting: Vec<usize> = (0..sources.len()).collect();
    while !waiting.is_empty() {
        // Each rule's leads, rules in position order: the order their rows are locked in,
        // the same in every transaction, so two batches never wait on each other in a cycle.
        let mut taken: Vec<(usize, Vec<usize>)> = Vec::new();
        for lead in waiting.drain(..) {
            let Some(rule) = rules.iter().position(|rule| rule.matches(sources[lead])) else { continue };
            match taken.iter_mut().find(|(index, _)| *index == rule) {
                Some((_, leads)) => leads.push(lead),
                None => taken.push((rule, vec![lead])),
            }
        }
        taken.sort_by_key(|(rule, _)| *rule);
        let mut vanished = Vec::new();
        for (index, leads) in taken {
            let rule = &rules[index];
            match advance(txn, rule.id, leads.len()).await? {
                Some(end) => {
                    // The turns `end - n .. end`, as n single advances would have returned.
                    let first = end - leads.len() as i64;
                    for (turn, lead) in leads.into_iter().enumerate() {
                        let at = (first + turn as i64).rem_euclid(rule.members.len() as i64);
                        owners[lead] = rule.members.get(at as usize).copied();
                    }
                }
                // Deleted since it was read: its leads go to the next matching rule.
                None => {
                    vanished.push(index);
                    waiting.extend(leads);
                }
            }
        }
        for index in vanished.into_iter().rev() {
            rules.remove(index);
        }
        waiting.sort_unstable();
    }
    Ok(owners)
}

/// Moves a rule's rotation on by `turns` and returns where it now stands; `None` when the
/// rule is gone. The row lock this takes serializes concurrent creates and imports on one
/// rule, so each member gets the next lead in turn.
async fn advance(txn: &impl ConnectionTrait, rule_id: Uuid, turns: usize) -> Result<Option<i64>, DbErr> {
    let advance = Query::update()
        .table(assignment_rule::Entity)
        .value(
            assignment_rule::Column::NextIndex,
            Expr::col(assignment_rule::Column::NextIndex).add(turns as i64),
        )
        .and_where(Expr::col(assignment_rule::Column::Id).eq(rule_id))
        .returning(Query::returning().column(assignment_rule::Column::NextIndex))
        .to_owned();
    match txn.query_one(&advance).await? {
        Some(row) => Ok(Some(row.try_get("", "next_index")?)),
        None => Ok(None),
    }
}
