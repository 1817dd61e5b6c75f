//! [`LeadFields`]: a lead's own fields once checked, the one value every write path (API,
//! import, merge, demo data) hands the services, and the labels derived from it.

use baseops_core::FieldErrors;

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

impl LeadFields {
    /// A lead needs something to know it by: reported (under `body`) only when every field
    /// parsed, so a bad e-mail address is not also "no e-mail address".
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
