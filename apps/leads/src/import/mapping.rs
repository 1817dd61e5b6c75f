//! Which column becomes which lead field: suggested from the headers, adjustable by the
//! importer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A lead field a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportField {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// "First Last": split at the last space.
    FullName,
    /// E-mail address.
    Email,
    /// Phone number.
    Phone,
    /// Company.
    Company,
    /// Job title.
    Title,
    /// Website.
    Website,
    /// Address.
    Address,
    /// Source (default `import`).
    Source,
    /// Tags separated by `,`, `;` or `|`.
    Tags,
    /// Estimated value as a decimal (`1,234.50`), in `currency`.
    Value,
    /// ISO 4217 currency of the value (default: the organization's).
    Currency,
    /// Score.
    Score,
    /// UTM source.
    UtmSource,
    /// UTM medium.
    UtmMedium,
    /// UTM campaign.
    UtmCampaign,
    /// UTM term.
    UtmTerm,
    /// UTM content.
    UtmContent,
    /// Notes.
    Notes,
    /// The owner's e-mail address (a member of the organization).
    OwnerEmail,
    /// Not imported.
    Ignore,
}

impl ImportField {
    /// Every field, in the order a mapping form offers them.
    pub const ALL: [Self; 22] = [
        Self::Ignore,
        Self::FirstName,
        Self::LastName,
        Self::FullName,
        Self::Email,
        Self::Phone,
        Self::Company,
        Self::Title,
        Self::Website,
        Self::Address,
        Self::Source,
        Self::Tags,
        Self::Value,
        Self::Currency,
        Self::Score,
        Self::UtmSource,
        Self::UtmMedium,
        Self::UtmCampaign,
        Self::UtmTerm,
        Self::UtmContent,
        Self::Notes,
        Self::OwnerEmail,
    ];
}

/// Column header → field, as the API shows and takes it.
pub type Mapping = BTreeMap<String, ImportField>;

/// Lower-case letters and digits only: `E-Mail Address` → `emailaddress`.
fn normalize(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The field a header most likely means.
pub fn field_for(header: &str) -> ImportField {
    use ImportField::*;
    match normalize(header).as_str() {
        "firstname" | "first" | "givenname" | "forename" | "vorname" | "prenom" => FirstName,
        "lastname" | "last" | "surname" | "familyname" | "nachname" | "nom" => LastName,
        "name" | "fullname" | "contact" | "contactname" | "person" => FullName,
        "email" | "emailaddress" | "mail" | "emails" | "workemail" => Email,
        "phone" | "phonenumber" | "telephone" | "tel" | "mobile" | "mobilephone" | "cell" | "telefon" => {
            Phone
        }
        "company" | "companyname" | "org" | "organization" | "organisation" | "account" | "accountname"
        | "firma" => Company,
        "title" | "jobtitle" | "position" | "role" => Title,
        "website" | "url" | "web" | "site" | "homepage" | "domain" => Website,
        "address" | "streetaddress" | "street" | "mailingaddress" => Address,
        "source" | "leadsource" | "origin" | "channel" => Source,
        "tags" | "tag" | "labels" | "label" => Tags,
        "value" | "amount" | "dealvalue" | "estimatedvalue" | "revenue" | "budget" => Value,
        "currency" | "curr" => Currency,
        "score" | "leadscore" | "rating" => Score,
        "utmsource" => UtmSource,
        "utmmedium" => UtmMedium,
        "utmcampaign" | "campaign" => UtmCampaign,
        "utmterm" => UtmTerm,
        "utmcontent" => UtmContent,
        "notes" | "note" | "comments" | "comment" | "description" => Notes,
        "owner" | "owneremail" | "assignedto" | "salesrep" | "leadowner" => OwnerEmail,
        _ => Ignore,
    }
}

/// The suggested mapping: each header's likely field, a field claimed by its first column only.
pub fn suggest(headers: &[String]) -> Mapping {
    let mut taken = Vec::new();
    headers
        .iter()
        .map(|header| {
            let field = field_for(header);
            let field = if field != ImportField::Ignore && taken.contains(&field) {
                ImportField::Ignore
            } else {
                field
            };
            taken.push(field);
            (header.clone(), field)
        })
        .collect()
}

/// The field of each column, in column order, from a mapping by header; headers the mapping
/// does not name are ignored.
///
/// # Errors
/// A message for a mapping that names a header the file lacks, or maps two columns to one
/// field (other than `ignore`).
pub fn columns(headers: &[String], mapping: &Mapping) -> Result<Vec<ImportField>, String> {
    for header in mapping.keys() {
        if !headers.contains(header) {
            return Err(format!("the file has no column {header:?}"));
        }
    }
    let fields: Vec<ImportField> =
        headers.iter().map(|header| mapping.get(header).copied().unwrap_or(ImportField::Ignore)).collect();
    let mut seen = Vec::new();
    for field in &fields {
        if *field != ImportField::Ignore && seen.contains(field) {
            return Err(format!(
                "two columns are mapped to {}",
                serde_json::to_string(field).unwrap_or_default()
            ));
        }
        seen.push(*field);
    }
    if fields.iter().all(|field| *field == ImportField::Ignore) {
        return Err("no column is mapped to a lead field".to_owned());
    }
    Ok(fields)
}

/// Parses the command line's `--map "Header=field,Other=field"`.
///
/// # Errors
/// A message naming the part that does not parse.
pub fn parse_pairs(text: &str) -> Result<Mapping, String> {
    let mut mapping = Mapping::new();
    for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
        let (header, field) = pair.rsplit_once('=').ok_or_else(|| format!("{pair:?} is not Header=field"))?;
        let field: ImportField = serde_json::from_value(serde_json::Value::String(field.trim().to_owned()))
            .map_err(|_| format!("{field:?} is not a lead field"))?;
        mapping.insert(header.trim().to_owned(), field);
    }
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_suggest_fields() {
        let headers: Vec<String> =
            ["E-Mail Address", "First Name", "Surname", "Company Name", "Mobile", "Email", "Whatever"]
                .map(String::from)
                .to_vec();
        let mapping = suggest(&headers);
        assert_eq!(mapping["E-Mail Address"], ImportField::Email);
        assert_eq!(mapping["Surname"], ImportField::LastName);
        assert_eq!(mapping["Mobile"], ImportField::Phone);
        assert_eq!(mapping["Email"], ImportField::Ignore, "a field goes to its first column only");
        assert_eq!(mapping["Whatever"], ImportField::Ignore);
        assert!(columns(&headers, &mapping).is_ok());
        assert!(columns(&headers, &Mapping::from([("Nope".to_owned(), ImportField::Email)])).is_err());
        let pairs = parse_pairs("E-Mail Address=email, Surname=last_name").unwrap();
        assert_eq!(pairs["Surname"], ImportField::LastName);
        assert!(parse_pairs("Surname=lastname").is_err());
    }
}
