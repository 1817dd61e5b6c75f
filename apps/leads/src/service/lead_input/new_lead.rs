//! [`NewLead`]: the body of `POST /leads`, and its one conversion into [`LeadFields`],
//! made by the handler before any service runs.

use baseops_core::FieldErrors;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::LeadFields;
use super::parse::{
    MAX_ADDRESS_LEN, MAX_COMPANY_LEN, MAX_NAME_LEN, MAX_NOTES_LEN, MAX_UTM_LEN, currency, email, phone,
    score, source, tags, text, value, website,
};

/// A new lead, as the API takes it. Everything is optional, but a lead needs a name, an
/// e-mail address, a phone number or a company.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLead {
    /// First name, up to 100 characters.
    pub first_name: Option<String>,
    /// Last name, up to 100 characters.
    pub last_name: Option<String>,
    /// E-mail address (stored lower-case).
    pub email: Option<String>,
    /// Phone number; stored as E.164 where it is a valid number.
    pub phone: Option<String>,
    /// Company, up to 200 characters.
    pub company: Option<String>,
    /// Job title, up to 200 characters.
    pub title: Option<String>,
    /// Website (`https://` is added to a bare host).
    pub website: Option<String>,
    /// Postal address, up to 1000 characters.
    pub address: Option<String>,
    /// Where the lead came from: `web_form`, `import`, `manual` (default), `referral`,
    /// `campaign`, or another lower-case word (`[a-z0-9_]`, up to 32).
    pub source: Option<String>,
    /// The owner (a member of the organization). Absent: the assignment rules choose, else
    /// the creator.
    pub owner_id: Option<Uuid>,
    /// The stage to start in; absent: the default pipeline's first stage.
    pub stage_id: Option<Uuid>,
    /// Estimated value in minor units of `currency` (cents for EUR), 0 to 10^15.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub value_amount: Option<i64>,
    /// ISO 4217 currency of the value; absent: the organization's currency.
    pub currency: Option<String>,
    /// Up to 20 tags, each up to 50 characters (stored lower-case).
    pub tags: Option<Vec<String>>,
    /// Score, 0–1000.
    pub score: Option<i32>,
    /// `utm_source` of the visit that brought the lead.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// `utm_term`.
    pub utm_term: Option<String>,
    /// `utm_content`.
    pub utm_content: Option<String>,
    /// Free notes, up to 10,000 characters.
    pub notes: Option<String>,
}

impl NewLead {
    /// Checks every field, reading phone numbers in `region`.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self, region: &str) -> Result<LeadFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let fields = LeadFields {
            first_name: text(&mut errors, "first_name", self.first_name, MAX_NAME_LEN, false)
                .unwrap_or_default(),
            last_name: text(&mut errors, "last_name", self.last_name, MAX_NAME_LEN, false)
                .unwrap_or_default(),
            email: email(&mut errors, self.email),
            phone: phone(&mut errors, self.phone, region),
            company: text(&mut errors, "company", self.company, MAX_COMPANY_LEN, false),
            title: text(&mut errors, "title", self.title, MAX_COMPANY_LEN, false),
            website: website(&mut errors, self.website),
            address: text(&mut errors, "address", self.address, MAX_ADDRESS_LEN, true),
            source: source(&mut errors, self.source),
            value_amount: value(&mut errors, self.value_amount),
            currency: currency(&mut errors, self.currency),
            tags: tags(&mut errors, self.tags),
            score: score(&mut errors, self.score),
            utm: [
                text(&mut errors, "utm_source", self.utm_source, MAX_UTM_LEN, false),
                text(&mut errors, "utm_medium", self.utm_medium, MAX_UTM_LEN, false),
                text(&mut errors, "utm_campaign", self.utm_campaign, MAX_UTM_LEN, false),
                text(&mut errors, "utm_term", self.utm_term, MAX_UTM_LEN, false),
                text(&mut errors, "utm_content", self.utm_content, MAX_UTM_LEN, false),
            ],
            notes: text(&mut errors, "notes", self.notes, MAX_NOTES_LEN, true),
        };
        fields.require_identity(&mut errors);
        if errors.is_empty() { Ok(fields) } else { Err(errors) }
    }
}
