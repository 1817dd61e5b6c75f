//! The command palette's lead search: word prefixes over `lead_search_words`
//! ([`baseops_db::search`]), so a keystroke reads an index range and a few leads, never the
//! whole table. Only leads within the caller's reach come back (the list's own condition).

use baseops_core::ApiError;
use baseops_db::search::{self, WordTable};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::model::lead;
use crate::permission::Access;
use crate::selector::lead::{LeadFilter, LeadOut, condition};
use crate::service::lead::words::model_words;

/// The leads app's words table.
pub const WORDS: WordTable = WordTable { table: "lead_search_words", record: "lead_id" };

/// Leads within `access`'s reach with a word starting with each word of `q` (name, e-mail
/// address or its local part, company, phone digits), exact words first, then newest; at
/// most `limit`. Nothing for a query without a word.
///
/// # Errors
/// Database errors.
pub async fn lead_search(
    db: &impl ConnectionTrait,
    access: &Access,
    q: &str,
    limit: usize,
) -> Result<Vec<LeadOut>, ApiError> {
    let reach = condition(access, &LeadFilter::default());
    search::search(db, WORDS, access.organization_id, q, limit, |ids| {
        let reach = reach.clone();
        async move {
            let found =
                lead::Entity::find().filter(reach).filter(lead::Column::Id.is_in(ids)).all(db).await?;
            Ok::<_, ApiError>(
                found
                    .into_iter()
                    .map(|model| (model.id, model_words(&model), LeadOut::from(model)))
                    .collect(),
            )
        }
    })
    .await
}
