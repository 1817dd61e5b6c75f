//! [`LeadPatch`]: the body of `PATCH /leads/{id}`. The handler checks it into
//! [`LeadChanges`] (every field given, parsed); the update service applies those to the
//! stored lead and checks the result as a whole.

use baseops_core::FieldErrors;
use serde::Deserialize;
use utoipa::ToSchema;

use super::LeadFields;
use super::parse::{
    MAX_ADDRESS_LEN, MAX_COMPANY_LEN, MAX_NAME_LEN, MAX_NOTES_LEN, MAX_UTM_LEN, currency, email, phone,
    score, source, tags, text, value, website,
};

/// Changes to a lead: absent fields stay, `null` clears a field. Owner and stage change
/// through their own endpoints (assign, stage), which record the move.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    /// First name.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    /// Last name.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    /// E-mail address.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Phone number.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Company.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    /// Job title.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// Website.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// Postal address.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// Source.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// Estimated value in minor units.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub value_amount: Option<Option<i64>>,
    /// Currency of the value.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub currency: Option<Option<String>>,
    /// The complete set of tags.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    /// Score.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<i32>)]
    pub score: Option<Option<i32>>,
    /// `utm_source`.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub utm_source: Option<Option<String>>,
    /// `utm_medium`.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub utm_medium: Option<Option<String>>,
    /// `utm_campaign`.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub utm_campaign: Option<Option<String>>,
    /// `utm_term`.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub utm_term: Option<Option<String>>,
    /// `utm_content`.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub utm_content: Option<Option<String>>,
    /// Notes.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// A checked [`LeadPatch`]: `None` leaves a field as it is, `Some` holds its new, parsed
/// value (`Some(None)` clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadChanges {
    /// First name ('' clears it).
    pub first_name: Option<String>,
    /// Last name ('' clears it).
    pub last_name: Option<String>,
    /// Lower-case e-mail address.
    pub email: Option<Option<String>>,
    /// Normalized phone number.
    pub phone: Option<Option<String>>,
    /// Company.
    pub company: Option<Option<String>>,
    /// Job title.
    pub title: Option<Option<String>>,
    /// Website URL.
    pub website: Option<Option<String>>,
    /// Address.
    pub address: Option<Option<String>>,
    /// Source word (cleared: the default source).
    pub source: Option<String>,
    /// Value in minor units.
    pub value_amount: Option<Option<i64>>,
    /// Currency code.
    pub currency: Option<Option<String>>,
    /// The complete set of tags.
    pub tags: Option<Vec<String>>,
    /// Score (cleared: 0).
    pub score: Option<i32>,
    /// UTM source, medium, campaign, term, content.
    pub utm: [Option<Option<String>>; 5],
    /// Notes.
    pub notes: Option<Option<String>>,
}

impl LeadPatch {
    /// Checks every field given, reading phone numbers in `region`.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self, region: &str) -> Result<LeadChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let utm = |e: &mut FieldErrors, field: &str, v: Option<Option<String>>| {
            v.map(|v| text(e, field, v, MAX_UTM_LEN, false))
        };
        let changes = LeadChanges {
            first_name: self
                .first_name
                .map(|v| text(e, "first_name", v, MAX_NAME_LEN, false).unwrap_or_default()),
            last_name: self
                .last_name
                .map(|v| text(e, "last_name", v, MAX_NAME_LEN, false).unwrap_or_default()),
            email: self.email.map(|v| email(e, v)),
            phone: self.phone.map(|v| phone(e, v, region)),
            company: self.company.map(|v| text(e, "company", v, MAX_COMPANY_LEN, false)),
            title: self.title.map(|v| text(e, "title", v, MAX_COMPANY_LEN, false)),
            website: self.website.map(|v| website(e, v)),
            address: self.address.map(|v| text(e, "address", v, MAX_ADDRESS_LEN, true)),
            source: self.source.map(|v| source(e, v)),
            value_amount: self.value_amount.map(|v| value(e, v)),
            currency: self.currency.map(|v| currency(e, v)),
            tags: self.tags.map(|v| tags(e, v)),
            score: self.score.map(|v| score(e, v)),
            utm: [
                utm(e, "utm_source", self.utm_source),
                utm(e, "utm_medium", self.utm_medium),
                utm(e, "utm_campaign", self.utm_campaign),
                utm(e, "utm_term", self.utm_term),
                utm(e, "utm_content", self.utm_content),
            ],
            notes: self.notes.map(|v| text(e, "notes", v, MAX_NOTES_LEN, true)),
        };
        if errors.is_empty() { Ok(changes) } else { Err(errors) }
    }
}

impl LeadChanges {
    /// The stored lead's fields with these changes, checked as a whole.
    ///
    /// # Errors
    /// `body` when the lead would have nothing left to know it by.
    pub fn apply(self, mut fields: LeadFields) -> Result<LeadFields, FieldErrors> {
        macro_rules! set {
            ($($field:ident),+) => { $( if let Some(v) = self.$field { fields.$field = v; } )+ };
        }
        set!(
            first_name,
            last_name,
            email,
            phone,
            company,
            title,
            website,
            address,
            source,
            value_amount,
            currency,
            tags,
            score,
            notes
        );
        for (index, v) in self.utm.into_iter().enumerate() {
            if let Some(v) = v {
                fields.utm[index] = v;
            }
        }
        let mut errors = FieldErrors::new();
        fields.require_identity(&mut errors);
        if errors.is_empty() { Ok(fields) } else { Err(errors) }
    }
}
