//! What a lead is made of when it comes in. The edges (the API's handlers, the CSV import's
//! row reader) parse raw input once into checked values; the services take only those:
//! [`LeadFields`] for a new lead, [`LeadChanges`] for an update.

mod fields;
mod new_lead;
mod parse;
mod patch;

pub use fields::{LeadFields, label, search_text};
pub use new_lead::NewLead;
pub use parse::{
    DEFAULT_SOURCE, MAX_ADDRESS_LEN, MAX_COMPANY_LEN, MAX_NAME_LEN, MAX_NOTES_LEN, MAX_SCORE, MAX_SOURCE_LEN,
    MAX_TAG_LEN, MAX_TAGS, MAX_UTM_LEN, MAX_VALUE,
};
pub(crate) use parse::{email, phone, score, source, tags, text, value, website};
pub use patch::{LeadChanges, LeadPatch};
