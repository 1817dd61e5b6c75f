//! What a lead is made of when it comes in: the API's create and update bodies, and the
//! checked [`LeadFields`] every write path (API, import, demo data) turns them into.

use baseops_core::FieldErrors;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::contact::{Currency, Email, Phone, Website};

/// Longest first or last name.
pub const MAX_NAME_LEN: usize = 100;
/// Longest company or job title.
pub const MAX_COMPANY_LEN: usize = 200;
/// Longest address.
pub const MAX_ADDRESS_LEN: usize = 1000;
/// Longest UTM value.
pub const MAX_UTM_LEN: usize = 200;
/// Longest notes.
pub const MAX_NOTES_LEN: usize = 10_000;
/// Most tags on one lead.
pub const MAX_TAGS: usize = 20;
/// Longest tag.
pub const MAX_TAG_LEN: usize = 50;
/// Longest source name.
pub const MAX_SOURCE_LEN: usize = 32;
/// Highest score (scores run from 0).
pub const MAX_SCORE: i32 = 1000;
/// Largest estimated value, in minor units (10^15: exact in every engine and in JSON).
pub const MAX_VALUE: i64 = 1_000_000_000_000_000;
/// The source of a lead created without one.
pub const DEFAULT_SOURCE: &str = "manual";

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

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Changes to a lead: absent fields stay, `null` clears a field. Owner and stage change
/// through their own endpoints (assign, stage), which record the move.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    /// First name.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    /// Last name.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    /// E-mail address.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Phone number.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Company.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    /// Job title.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// Website.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// Postal address.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// Source.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// Estimated value in minor units.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub value_amount: Option<Option<i64>>,
    /// Currency of the value.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub currency: Option<Option<String>>,
    /// The complete set of tags.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    /// Score.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub score: Option<Option<i32>>,
    /// `utm_source`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub utm_source: Option<Option<String>>,
    /// `utm_medium`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub utm_medium: Option<Option<String>>,
    /// `utm_campaign`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub utm_campaign: Option<Option<String>>,
    /// `utm_term`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub utm_term: Option<Option<String>>,
    /// `utm_content`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub utm_content: Option<Option<String>>,
    /// Notes.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// A lead's own fields, checked: what the services store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFields {
    /// First name ('' when none).
    pub first_name: String,
    /// Last name ('' when none).
    pub last_name: String,
    /// Lower-case e-mail address.
    pub email: Option<String>,
    /// Normalized phone number.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Website URL.
    pub website: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Source word.
    pub source: String,
    /// Value in minor units.
    pub value_amount: Option<i64>,
    /// Currency code; `None` with a value means the organization's currency.
    pub currency: Option<String>,
    /// Tags, lower-case, unique, in the order given.
    pub tags: Vec<String>,
    /// Score.
    pub score: i32,
    /// UTM source, medium, campaign, term, content.
    pub utm: [Option<String>; 5],
    /// Notes.
    pub notes: Option<String>,
}

impl LeadFields {
    /// The text the `q` filter searches: lower-case name, e-mail and company.
    pub fn search_text(&self) -> String {
        search_text(&self.first_name, &self.last_name, self.email.as_deref(), self.company.as_deref())
    }

    /// A short label: the name, else the company, else the e-mail or phone.
    pub fn label(&self) -> String {
        label(&self.first_name, &self.last_name, self.company.as_deref(), self.email.as_deref())
    }
}

/// The lower-case text the `q` filter looks in.
pub fn search_text(first: &str, last: &str, email: Option<&str>, company: Option<&str>) -> String {
    [first, last, email.unwrap_or(""), company.unwrap_or("")]
        .iter()
        .filter(|part| !part.is_empty())
        .map(|part| part.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A lead's short name for notifications and reports.
pub fn label(first: &str, last: &str, company: Option<&str>, email: Option<&str>) -> String {
    let name = format!("{first} {last}").trim().to_owned();
    if !name.is_empty() {
        return name;
    }
    company.or(email).unwrap_or("(unnamed lead)").to_owned()
}

/// Trims; `None` for blank text; an error past `max` characters or with control characters
/// (newlines allowed where `multiline`).
pub(crate) fn text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let value = value?.trim().to_owned();
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        return None;
    }
    if value.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        errors.add(field, "must not contain control characters");
        return None;
    }
    Some(value)
}

/// Checks a source word.
pub(crate) fn source(errors: &mut FieldErrors, value: Option<String>) -> String {
    let Some(value) = value.map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty()) else {
        return DEFAULT_SOURCE.to_owned();
    };
    if value.len() > MAX_SOURCE_LEN
        || !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errors.add("source", format!("must be a word of a-z, 0-9 and _, at most {MAX_SOURCE_LEN} long"));
        return DEFAULT_SOURCE.to_owned();
    }
    value
}

/// Checks and normalizes tags: lower-case, trimmed, unique.
pub(crate) fn tags(errors: &mut FieldErrors, value: Option<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in value.unwrap_or_default() {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || tag.chars().any(char::is_control) {
            errors.add("tags", format!("each tag must be 1 to {MAX_TAG_LEN} printable characters"));
            return Vec::new();
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        errors.add("tags", format!("at most {MAX_TAGS} tags"));
        out.truncate(MAX_TAGS);
    }
    out
}

pub(crate) fn email(errors: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Email::parse(&value) {
        Ok(email) => Some(email.into_inner()),
        Err(message) => {
            errors.add("email", message);
            None
        }
    }
}

pub(crate) fn phone(errors: &mut FieldErrors, value: Option<String>, region: &str) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Phone::parse(&value, region) {
        Ok(phone) => Some(phone.into_inner()),
        Err(message) => {
            errors.add("phone", message);
            None
        }
    }
}

pub(crate) fn website(errors: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Website::parse(&value) {
        Ok(site) => Some(site.into_inner()),
        Err(message) => {
            errors.add("website", message);
            None
        }
    }
}

pub(crate) fn currency(errors: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Currency::parse(&value) {
        Ok(code) => Some(code.as_str().to_owned()),
        Err(message) => {
            errors.add("currency", message);
            None
        }
    }
}

pub(crate) fn value(errors: &mut FieldErrors, value: Option<i64>) -> Option<i64> {
    let value = value?;
    if !(0..=MAX_VALUE).contains(&value) {
        errors.add("value_amount", format!("must be between 0 and {MAX_VALUE} (minor units)"));
        return None;
    }
    Some(value)
}

pub(crate) fn score(errors: &mut FieldErrors, value: Option<i32>) -> i32 {
    let value = value.unwrap_or(0);
    if !(0..=MAX_SCORE).contains(&value) {
        errors.add("score", format!("must be between 0 and {MAX_SCORE}"));
        return 0;
    }
    value
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

impl LeadFields {
    /// A lead needs something to know it by.
    pub(crate) fn require_identity(&self, errors: &mut FieldErrors) {
        let anonymous = self.first_name.is_empty()
            && self.last_name.is_empty()
            && self.email.is_none()
            && self.phone.is_none()
            && self.company.is_none();
        if anonymous && errors.is_empty() {
            errors.add("body", "a lead needs a name, an e-mail address, a phone number or a company");
        }
    }

    /// Applies a patch: the result, checked as a whole.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn patched(mut self, patch: LeadPatch, region: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        if let Some(v) = patch.first_name {
            self.first_name = text(e, "first_name", v, MAX_NAME_LEN, false).unwrap_or_default();
        }
        if let Some(v) = patch.last_name {
            self.last_name = text(e, "last_name", v, MAX_NAME_LEN, false).unwrap_or_default();
        }
        if let Some(v) = patch.email {
            self.email = email(e, v);
        }
        if let Some(v) = patch.phone {
            self.phone = phone(e, v, region);
        }
        if let Some(v) = patch.company {
            self.company = text(e, "company", v, MAX_COMPANY_LEN, false);
        }
        if let Some(v) = patch.title {
            self.title = text(e, "title", v, MAX_COMPANY_LEN, false);
        }
        if let Some(v) = patch.website {
            self.website = website(e, v);
        }
        if let Some(v) = patch.address {
            self.address = text(e, "address", v, MAX_ADDRESS_LEN, true);
        }
        if let Some(v) = patch.source {
            self.source = source(e, v);
        }
        if let Some(v) = patch.value_amount {
            self.value_amount = value(e, v);
        }
        if let Some(v) = patch.currency {
            self.currency = currency(e, v);
        }
        if let Some(v) = patch.tags {
            self.tags = tags(e, v);
        }
        if let Some(v) = patch.score {
            self.score = score(e, v);
        }
        for (index, (field, v)) in [
            ("utm_source", patch.utm_source),
            ("utm_medium", patch.utm_medium),
            ("utm_campaign", patch.utm_campaign),
            ("utm_term", patch.utm_term),
            ("utm_content", patch.utm_content),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(v) = v {
                self.utm[index] = text(e, field, v, MAX_UTM_LEN, false);
            }
        }
        if let Some(v) = patch.notes {
            self.notes = text(e, "notes", v, MAX_NOTES_LEN, true);
        }
        self.require_identity(&mut errors);
        if errors.is_empty() { Ok(self) } else { Err(errors) }
    }
}

/// A stored lead's own fields, to patch or merge them.
impl From<&crate::model::lead::Model> for LeadFields {
    fn from(lead: &crate::model::lead::Model) -> Self {
        Self {
            first_name: lead.first_name.clone(),
            last_name: lead.last_name.clone(),
            email: lead.email.clone(),
            phone: lead.phone.clone(),
            company: lead.company.clone(),
            title: lead.title.clone(),
            website: lead.website.clone(),
            address: lead.address.clone(),
            source: lead.source.clone(),
            value_amount: lead.value_amount,
            currency: lead.currency.clone(),
            tags: serde_json::from_str(&lead.tags).unwrap_or_default(),
            score: lead.score,
            utm: [
                lead.utm_source.clone(),
                lead.utm_medium.clone(),
                lead.utm_campaign.clone(),
                lead.utm_term.clone(),
                lead.utm_content.clone(),
            ],
            notes: lead.notes.clone(),
        }
    }
}
