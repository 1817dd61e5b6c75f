//! Writes: creating a customer (through the API, or the leads app's conversion inside its
//! transaction), changing one, and relinking it after a lead merge.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Currency, Email, FieldErrors, check_version};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::customer;
use crate::profile::{
    Address, Profile, TaxExempt, TaxId, check_address, check_billing_emails, check_locale, check_tax_ids,
    check_terms, text,
};
use crate::selector::CustomerOut;

/// A customer to create; its text is already checked by the caller.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// Display name (a person's or a company's), 1–200 characters.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number (E.164 where possible).
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// The lead it converts from.
    pub lead_id: Option<Uuid>,
    /// The billing profile (empty for a converted lead until someone fills it in).
    pub profile: Profile,
}

/// A customer as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// Display name, 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// E-mail address (`null` or left out for none).
    #[serde(default)]
    #[schema(min_length = 3, max_length = 254)]
    pub email: Option<String>,
    /// Phone number, up to 32 characters.
    #[serde(default)]
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// Company, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub company: Option<String>,
    /// The name invoices are addressed to, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub legal_name: Option<String>,
    /// Where invoices go.
    #[serde(default)]
    pub billing_address: Option<Address>,
    /// Where goods go.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Tax ids, at most 5, each in its scheme's format.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub tax_ids: Vec<TaxId>,
    /// Tax treatment (default `none`: taxed as the lines say).
    #[serde(default)]
    pub tax_exempt: TaxExempt,
    /// ISO 4217 currency invoices default to.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Currency>,
    /// Payment terms invoices default to, 0–365 days.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// Who receives invoices and reminders, at most 10 addresses.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub billing_emails: Vec<String>,
    /// Language tag of documents (`de-DE`).
    #[serde(default)]
    #[schema(max_length = 16, example = "de-DE")]
    pub locale: Option<String>,
}

/// Changes to a customer: what is sent replaces what was there; `null` clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerChanges {
    /// Display name.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// E-mail address; `null` clears it.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 254)]
    pub email: Option<Option<String>>,
    /// Phone number.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub phone: Option<Option<String>>,
    /// Company.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub company: Option<Option<String>>,
    /// Legal name.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub legal_name: Option<Option<String>>,
    /// Billing address.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<Address>)]
    pub billing_address: Option<Option<Address>>,
    /// Shipping address.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<Address>)]
    pub shipping_address: Option<Option<Address>>,
    /// Tax ids, replacing the old ones.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub tax_ids: Option<Vec<TaxId>>,
    /// Tax treatment.
    #[serde(default)]
    pub tax_exempt: Option<TaxExempt>,
    /// Default currency.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Option<Currency>>,
    /// Default payment terms.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<Option<i32>>,
    /// Billing contacts, replacing the old ones.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub billing_emails: Option<Vec<String>>,
    /// Locale.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 16)]
    pub locale: Option<Option<String>>,
}

fn check_name(name: &str, errors: &mut FieldErrors) -> String {
    let name = text("name", Some(name), 200, errors);
    if name.is_none() {
        errors.add("name", "is required");
    }
    name.unwrap_or_default()
}

fn check_email(email: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    // An empty address is refused like any other bad one (the schema says so); `null` leaves it out.
    match Email::parse(email?) {
        Ok(email) => Some(email.into_inner()),
        Err(problem) => {
            errors.add("email", problem.to_string());
            None
        }
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Writes `profile` into `row`'s columns.
fn store(row: &mut customer::Model, profile: Profile) {
    row.legal_name = profile.legal_name;
    row.billing_address = profile.billing_address.as_ref().map(json);
    row.shipping_address = profile.shipping_address.as_ref().map(json);
    row.tax_ids = json(&profile.tax_ids);
    row.tax_exempt = profile.tax_exempt.as_str().to_owned();
    row.currency = profile.currency.map(|currency| currency.code().to_owned());
    row.payment_terms_days = profile.payment_terms_days;
    row.billing_emails = json(&profile.billing_emails);
    row.locale = profile.locale;
}

/// Creates a customer in the caller's transaction, with its audit record.
///
/// # Errors
/// Database errors, among them a unique violation when the lead already has a customer.
pub async fn customer_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    new: NewCustomer,
) -> Result<customer::Model, DbErr> {
    let now = chrono::Utc::now();
    let mut model = customer::Model {
        id: Uuid::now_v7(),
        organization_id,
        name: new.name.chars().take(200).collect(),
        email: new.email,
        phone: new.phone,
        company: new.company,
        lead_id: new.lead_id,
        created_at: now,
        updated_at: now,
        version: 1,
        legal_name: None,
        billing_address: None,
        shipping_address: None,
        tax_ids: "[]".to_owned(),
        tax_exempt: TaxExempt::None.as_str().to_owned(),
        currency: None,
        payment_terms_days: None,
        billing_emails: "[]".to_owned(),
        locale: None,
    };
    store(&mut model, new.profile);
    customer::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "customer.create", "customer", model.id);
    record(txn, entry.changes(Changes::created(&CustomerOut::from(model.clone())))).await?;
    Ok(model)
}

/// Checks a customer a client sent and creates it. Returns its id.
///
/// # Errors
/// 422 by field.
pub async fn customer_add(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    new: CustomerIn,
) -> Result<Uuid, ApiError> {
    let mut errors = FieldErrors::new();
    let name = check_name(&new.name, &mut errors);
    let email = check_email(new.email.as_deref(), &mut errors);
    let phone = text("phone", new.phone.as_deref(), 32, &mut errors);
    let company = text("company", new.company.as_deref(), 200, &mut errors);
    let profile = Profile {
        legal_name: text("legal_name", new.legal_name.as_deref(), 200, &mut errors),
        billing_address: new.billing_address.map(|a| check_address("billing_address", a, &mut errors)),
        shipping_address: new.shipping_address.map(|a| check_address("shipping_address", a, &mut errors)),
        tax_ids: check_tax_ids(new.tax_ids, &mut errors),
        tax_exempt: new.tax_exempt,
        currency: new.currency,
        payment_terms_days: check_terms(new.payment_terms_days, &mut errors),
        billing_emails: check_billing_emails(new.billing_emails, &mut errors),
        locale: check_locale(new.locale.as_deref(), &mut errors),
    };
    errors.into_result()?;
    let new = NewCustomer { name, email, phone, company, lead_id: None, profile };
    Ok(customer_create(txn, acting, organization_id, new).await?.id)
}

/// Changes a customer at `expected` version, with its audit record.
///
/// # Errors
/// 404, 412, 422 by field.
pub async fn customer_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    changes: CustomerChanges,
) -> Result<(), ApiError> {
    let before = customer::Entity::find_by_id(id)
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let mut errors = FieldErrors::new();
    let mut after = before.clone();
    let mut profile = Profile::of(&before);
    if let Some(name) = &changes.name {
        after.name = check_name(name, &mut errors);
    }
    if let Some(email) = changes.email {
        after.email = check_email(email.as_deref(), &mut errors);
    }
    if let Some(phone) = changes.phone {
        after.phone = text("phone", phone.as_deref(), 32, &mut errors);
    }
    if let Some(company) = changes.company {
        after.company = text("company", company.as_deref(), 200, &mut errors);
    }
    if let Some(legal_name) = changes.legal_name {
        profile.legal_name = text("legal_name", legal_name.as_deref(), 200, &mut errors);
    }
    if let Some(address) = changes.billing_address {
        profile.billing_address = address.map(|a| check_address("billing_address", a, &mut errors));
    }
    if let Some(address) = changes.shipping_address {
        profile.shipping_address = address.map(|a| check_address("shipping_address", a, &mut errors));
    }
    if let Some(ids) = changes.tax_ids {
        profile.tax_ids = check_tax_ids(ids, &mut errors);
    }
    profile.tax_exempt = changes.tax_exempt.unwrap_or(profile.tax_exempt);
    if let Some(currency) = changes.currency {
        profile.currency = currency;
    }
    if let Some(days) = changes.payment_terms_days {
        profile.payment_terms_days = check_terms(days, &mut errors);
    }
    if let Some(emails) = changes.billing_emails {
        profile.billing_emails = check_billing_emails(emails, &mut errors);
    }
    if let Some(locale) = changes.locale {
        profile.locale = check_locale(locale.as_deref(), &mut errors);
    }
    errors.into_result()?;
    store(&mut after, profile);
    let diff = Changes::between(&CustomerOut::from(before.clone()), &CustomerOut::from(after.clone()));
    if diff.is_empty() {
        return Ok(());
    }
    let updated = customer::Entity::update_many()
        .col_expr(customer::Column::Name, Expr::value(after.name))
        .col_expr(customer::Column::Email, Expr::value(after.email))
        .col_expr(customer::Column::Phone, Expr::value(after.phone))
        .col_expr(customer::Column::Company, Expr::value(after.company))
        .col_expr(customer::Column::LegalName, Expr::value(after.legal_name))
        .col_expr(customer::Column::BillingAddress, Expr::value(after.billing_address))
        .col_expr(customer::Column::ShippingAddress, Expr::value(after.shipping_address))
        .col_expr(customer::Column::TaxIds, Expr::value(after.tax_ids))
        .col_expr(customer::Column::TaxExempt, Expr::value(after.tax_exempt))
        .col_expr(customer::Column::Currency, Expr::value(after.currency))
        .col_expr(customer::Column::PaymentTermsDays, Expr::value(after.payment_terms_days))
        .col_expr(customer::Column::BillingEmails, Expr::value(after.billing_emails))
        .col_expr(customer::Column::Locale, Expr::value(after.locale))
        .col_expr(customer::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .col_expr(customer::Column::Version, Expr::col(customer::Column::Version).add(1))
        .filter(customer::Column::Id.eq(id))
        .filter(customer::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let entry = AuditEntry::new(acting, Some(organization_id), "customer.update", "customer", id);
    record(txn, entry.changes(diff)).await?;
    Ok(())
}

/// Points a customer at another lead (the survivor of a merge), in the caller's
/// transaction, with its audit record. Nothing happens for a customer of another
/// organization.
///
/// # Errors
/// Database errors.
pub async fn customer_relink_lead(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    customer_id: Uuid,
    from_lead: Uuid,
    to_lead: Uuid,
) -> Result<(), DbErr> {
    let updated = customer::Entity::update_many()
        .col_expr(customer::Column::LeadId, Expr::value(to_lead))
        .col_expr(customer::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(customer::Column::Id.eq(customer_id))
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await?;
    if updated.rows_affected > 0 {
        record(
            txn,
            AuditEntry::new(acting, Some(organization_id), "customer.relink_lead", "customer", customer_id)
                .changes(Changes::new().set("lead_id", from_lead, to_lead)),
        )
        .await?;
    }
    Ok(())
}
