//! How an import matches rows with leads: by lower-case e-mail address and by normalized
//! phone number, within the file and against the organization's leads; and how a row
//! fills a lead it matches.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::model::lead;
use crate::service::lead_input::{LeadFields, MAX_TAGS};

/// The keys a lead is de-duplicated by.
pub(super) fn keys(fields: &LeadFields) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(email) = &fields.email {
        keys.push(format!("e:{email}"));
    }
    if let Some(phone) = &fields.phone {
        keys.push(format!("p:{phone}"));
    }
    keys
}

/// The organization's leads matching any of these e-mails or phones, by key.
pub(super) async fn existing(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    emails: Vec<String>,
    phones: Vec<String>,
) -> Result<HashMap<String, lead::Model>, DbErr> {
    let mut found = HashMap::new();
    if emails.is_empty() && phones.is_empty() {
        return Ok(found);
    }
    let rows = lead::Entity::find()
        .filter(lead::Column::OrganizationId.eq(organization_id))
        .filter(
            Condition::any().add(lead::Column::Email.is_in(emails)).add(lead::Column::Phone.is_in(phones)),
        )
        .all(db)
        .await?;
    for row in rows {
        for key in keys(&LeadFields::from(&row)) {
            found.entry(key).or_insert_with(|| row.clone());
        }
    }
    Ok(found)
}

/// How many of these rows (their keys) match an existing lead.
pub(super) async fn count_existing(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    rows: &[Vec<String>],
) -> Result<u64, DbErr> {
    let (emails, phones) = split_keys(rows.iter().flatten());
    let found = existing(db, organization_id, emails, phones).await?;
    Ok(rows.iter().filter(|row_keys| row_keys.iter().any(|key| found.contains_key(key))).count() as u64)
}

/// The e-mail addresses and the phone numbers among keys.
pub(super) fn split_keys<'a>(keys: impl Iterator<Item = &'a String>) -> (Vec<String>, Vec<String>) {
    let (mut emails, mut phones) = (Vec::new(), Vec::new());
    for key in keys {
        if let Some(email) = key.strip_prefix("e:") {
            emails.push(email.to_owned());
        } else if let Some(phone) = key.strip_prefix("p:") {
            phones.push(phone.to_owned());
        }
    }
    (emails, phones)
}

/// The row's non-empty values over the lead's; tags united.
pub(super) fn filled(existing: &LeadFields, row: &LeadFields) -> LeadFields {
    let mut out = existing.clone();
    macro_rules! fill {
        ($($field:ident),+) => { $( if row.$field.is_some() { out.$field = row.$field.clone(); } )+ };
    }
    fill!(email, phone, company, title, website, address, value_amount, currency, notes);
    if !row.first_name.is_empty() {
        out.first_name = row.first_name.clone();
    }
    if !row.last_name.is_empty() {
        out.last_name = row.last_name.clone();
    }
    if row.score != 0 {
        out.score = row.score;
    }
    for (index, value) in row.utm.iter().enumerate() {
        if value.is_some() {
            out.utm[index] = value.clone();
        }
    }
    for tag in &row.tags {
        if !out.tags.contains(tag) && out.tags.len() < MAX_TAGS {
            out.tags.push(tag.clone());
        }
    }
    out
}
