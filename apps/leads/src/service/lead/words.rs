//! A lead's search words (`lead_search_words`), kept in the transaction of every write that
//! changes its name, e-mail address, company or phone number: created with the lead, replaced
//! when they change, deleted with the lead (the foreign key cascades, on SQLite too: the
//! pools enforce foreign keys).

use baseops_db::search;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::model::lead;
use crate::selector::search::WORDS;
use crate::service::lead_input::LeadFields;

/// The words the command palette finds a lead by: its name, e-mail address, company and
/// phone number.
pub fn words_of(
    first: &str,
    last: &str,
    email: Option<&str>,
    company: Option<&str>,
    phone: Option<&str>,
) -> Vec<String> {
    search::words(&[first, last, email.unwrap_or(""), company.unwrap_or(""), phone.unwrap_or("")])
}

/// [`words_of`] a lead's fields.
pub fn fields_words(fields: &LeadFields) -> Vec<String> {
    words_of(
        &fields.first_name,
        &fields.last_name,
        fields.email.as_deref(),
        fields.company.as_deref(),
        fields.phone.as_deref(),
    )
}

/// [`words_of`] a stored lead.
pub fn model_words(model: &lead::Model) -> Vec<String> {
    words_of(
        &model.first_name,
        &model.last_name,
        model.email.as_deref(),
        model.company.as_deref(),
        model.phone.as_deref(),
    )
}

/// Inserts the words of many leads (`(lead, words)`), a few thousand rows per statement.
///
/// # Errors
/// Database errors.
pub(crate) async fn insert_words(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    leads: &[(Uuid, Vec<String>)],
) -> Result<(), DbErr> {
    WORDS.insert(txn, organization_id, leads).await
}

/// Replaces a lead's words when `before` and `after` give different ones.
///
/// # Errors
/// Database errors.
pub(crate) async fn replace_words(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    lead_id: Uuid,
    before: &LeadFields,
    after: &LeadFields,
) -> Result<(), DbErr> {
    let words = fields_words(after);
    if fields_words(before) == words {
        return Ok(());
    }
    WORDS.replace(txn, organization_id, lead_id, words).await
}
