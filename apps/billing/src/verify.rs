//! `baseops billing verify`: every figure recomputed from what it is made of, and every
//! difference reported — like `audit verify` for the audit trail.
//!
//! Per finalized invoice: `amount_paid` is the sum of its payment allocations and the credit
//! applied to it,
//! `amount_credited` the sum of its credit notes (never above the total), `amount_due` is
//! `total − paid − credited off the due` (0 once void), and its ledger entries add up to
//! what it still asks for (`amount_due` while open, 0 once paid, void or written off). Per
//! customer and currency: the credit balance is the unapplied payments plus the credit notes
//! to the balance less the credit applied, and the ledger's sum is the open invoices' due
//! less that credit. Invoices are read a page at
//! a time, so memory stays flat at any size.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::model::{
    credit_application, credit_balance, credit_note, invoice, ledger_entry, payment, payment_allocation,
};
use crate::selector::sum_of;
use crate::service::ledger::EntryKind;
use crate::status::InvoiceStatus;

/// Invoices checked per round of queries.
const PAGE: u64 = 1_000;

/// The ledger kinds that belong to an invoice's own receivable (the others move the
/// customer's credit).
const INVOICE_KINDS: [EntryKind; 8] = [
    EntryKind::InvoiceIssued,
    EntryKind::CreditApplied,
    EntryKind::PaymentReversed,
    EntryKind::InvoiceVoided,
    EntryKind::InvoiceWrittenOff,
    EntryKind::WriteOffRecovered,
    EntryKind::PaymentApplied,
    EntryKind::CreditNoteReducedDue,
];

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Report {
    /// Finalized invoices checked.
    pub invoices: u64,
    /// Customer balances (customer × currency) checked.
    pub balances: u64,
    /// Every difference: what, expected, found.
    pub differences: Vec<String>,
}

impl Report {
    /// Whether everything agreed.
    pub fn is_ok(&self) -> bool {
        self.differences.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for difference in &self.differences {
            writeln!(f, "DIFFERS  {difference}")?;
        }
        let verdict = if self.is_ok() { "all agree" } else { "differences found" };
        write!(
            f,
            "billing verify: {} invoices and {} customer balances checked, {} differences: {verdict}",
            self.invoices,
            self.balances,
            self.differences.len()
        )
    }
}

/// Checks one organization's billing (every organization's with `None`).
///
/// # Errors
/// Database errors.
pub async fn verify(db: &impl ConnectionTrait, organization_id: Option<Uuid>) -> Result<Report, DbErr> {
    let mut report = Report::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut page =
            invoice::Entity::find().filter(invoice::Column::Status.ne(InvoiceStatus::Draft.as_str()));
        if let Some(organization_id) = organization_id {
            page = page.filter(invoice::Column::OrganizationId.eq(organization_id));
        }
        if let Some(after) = after {
            page = page.filter(invoice::Column::Id.gt(after));
        }
        let invoices = page.order_by_asc(invoice::Column::Id).limit(PAGE).all(db).await?;
        let Some(last) = invoices.last() else { break };
        after = Some(last.id);
        check_invoices(db, &invoices, &mut report).await?;
    }
    check_balances(db, organization_id, &mut report).await?;
    Ok(report)
}

async fn sums_by_invoice<E: EntityTrait>(
    db: &impl ConnectionTrait,
    invoice_column: E::Column,
    amount: E::Column,
    ids: &[Uuid],
    extra: impl FnOnce(sea_orm::Select<E>) -> sea_orm::Select<E>,
) -> Result<HashMap<Uuid, i64>, DbErr>
where
    E::Column: ColumnTrait,
{
    let query = E::find()
        .select_only()
        .column(invoice_column)
        .column_as(sum_of(amount), "total")
        .filter(invoice_column.is_in(ids.iter().copied()))
        .group_by(invoice_column);
    let rows: Vec<(Uuid, Option<i64>)> = extra(query).into_tuple().all(db).await?;
    Ok(rows.into_iter().map(|(id, total)| (id, total.unwrap_or(0))).collect())
}

async fn check_invoices(
    db: &impl ConnectionTrait,
    invoices: &[invoice::Model],
    report: &mut Report,
) -> Result<(), DbErr> {
    let ids: Vec<Uuid> = invoices.iter().map(|invoice| invoice.id).collect();
    let paid = sums_by_invoice::<payment_allocation::Entity>(
        db,
        payment_allocation::Column::InvoiceId,
        payment_allocation::Column::Amount,
        &ids,
        |query| query,
    )
    .await?;
    let from_credit = sums_by_invoice::<credit_application::Entity>(
        db,
        credit_application::Column::InvoiceId,
        credit_application::Column::Amount,
        &ids,
        |query| query,
    )
    .await?;
    let credited = sums_by_invoice::<credit_note::Entity>(
        db,
        credit_note::Column::InvoiceId,
        credit_note::Column::Amount,
        &ids,
        |q| q,
    )
    .await?;
    let reduced = sums_by_invoice::<credit_note::Entity>(
        db,
        credit_note::Column::InvoiceId,
        credit_note::Column::ReducedDue,
        &ids,
        |query| query,
    )
    .await?;
    let kinds: Vec<&str> = INVOICE_KINDS.iter().map(|kind| kind.as_str()).collect();
    let ledger = sums_by_invoice::<ledger_entry::Entity>(
        db,
        ledger_entry::Column::InvoiceId,
        ledger_entry::Column::Amount,
        &ids,
        |query| query.filter(ledger_entry::Column::Kind.is_in(kinds)),
    )
    .await?;
    for invoice in invoices {
        report.invoices += 1;
        let name = invoice.number.clone().unwrap_or_else(|| invoice.id.to_string());
        let get = |sums: &HashMap<Uuid, i64>| sums.get(&invoice.id).copied().unwrap_or(0);
        let paid = get(&paid) + get(&from_credit);
        let (credited, reduced, ledger) = (get(&credited), get(&reduced), get(&ledger));
        let status = InvoiceStatus::parse(&invoice.status);
        let due = if status == Some(InvoiceStatus::Void) { 0 } else { invoice.total - paid - reduced };
        let owed_in_ledger = if status == Some(InvoiceStatus::Open) { invoice.amount_due } else { 0 };
        let mut differ = |what: &str, expected: i64, found: i64| {
            if expected != found {
                report
                    .differences
                    .push(format!("invoice {name}: {what}: expected {expected}, found {found}"));
            }
        };
        differ("amount_paid (Σ payments and credit applied)", paid, invoice.amount_paid);
        differ("amount_credited (Σ credit notes)", credited, invoice.amount_credited);
        differ("amount_due (total − paid − credited off the due)", due, invoice.amount_due);
        differ("ledger (what it still asks for)", owed_in_ledger, ledger);
        if invoice.amount_credited > invoice.total {
            report.differences.push(format!(
                "invoice {name}: credited {} of a total of {}",
                invoice.amount_credited, invoice.total
            ));
        }
    }
    Ok(())
}

type Key = (Uuid, String);

async fn sums_by_customer<E: EntityTrait>(
    db: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    columns: (E::Column, E::Column, E::Column, E::Column),
    extra: impl FnOnce(sea_orm::Select<E>) -> sea_orm::Select<E>,
) -> Result<BTreeMap<Key, i64>, DbErr>
where
    E::Column: ColumnTrait,
{
    let (organization, customer, currency, amount) = columns;
    let mut query = E::find()
        .select_only()
        .column(customer)
        .column(currency)
        .column_as(sum_of(amount), "total")
        .group_by(customer)
        .group_by(currency);
    if let Some(organization_id) = organization_id {
        query = query.filter(organization.eq(organization_id));
    }
    let rows: Vec<(Uuid, String, Option<i64>)> = extra(query).into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(customer, currency, total)| ((customer, currency), total.unwrap_or(0)))
        .collect())
}

async fn check_balances(
    db: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    report: &mut Report,
) -> Result<(), DbErr> {
    use {
        credit_application as a, credit_balance as b, credit_note as c, invoice as i, ledger_entry as l,
        payment as p,
    };
    let ledger = sums_by_customer::<l::Entity>(
        db,
        organization_id,
        (l::Column::OrganizationId, l::Column::CustomerId, l::Column::Currency, l::Column::Amount),
        |query| query,
    )
    .await?;
    let due = sums_by_customer::<i::Entity>(
        db,
        organization_id,
        (i::Column::OrganizationId, i::Column::CustomerId, i::Column::Currency, i::Column::AmountDue),
        |query| query.filter(i::Column::Status.eq(InvoiceStatus::Open.as_str())),
    )
    .await?;
    let unapplied = sums_by_customer::<p::Entity>(
        db,
        organization_id,
        (p::Column::OrganizationId, p::Column::CustomerId, p::Column::Currency, p::Column::Unapplied),
        |query| query,
    )
    .await?;
    let to_balance = sums_by_customer::<c::Entity>(
        db,
        organization_id,
        (c::Column::OrganizationId, c::Column::CustomerId, c::Column::Currency, c::Column::ToBalance),
        |query| query,
    )
    .await?;
    let applied = sums_by_customer::<a::Entity>(
        db,
        organization_id,
        (a::Column::OrganizationId, a::Column::CustomerId, a::Column::Currency, a::Column::Amount),
        |query| query,
    )
    .await?;
    let balances = sums_by_customer::<b::Entity>(
        db,
        organization_id,
        (b::Column::OrganizationId, b::Column::CustomerId, b::Column::Currency, b::Column::Balance),
        |query| query,
    )
    .await?;
    let mut keys: Vec<&Key> = ledger
        .keys()
        .chain(due.keys())
        .chain(unapplied.keys())
        .chain(to_balance.keys())
        .chain(balances.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        report.balances += 1;
        let get = |sums: &BTreeMap<Key, i64>| sums.get(key).copied().unwrap_or(0);
        let credit = get(&unapplied) + get(&to_balance) - get(&applied);
        if credit != get(&balances) || get(&balances) < 0 {
            report.differences.push(format!(
                "customer {} in {}: credit balance (unapplied + credit notes − applied): expected {credit}, found {}",
                key.0,
                key.1,
                get(&balances)
            ));
        }
        let expected = get(&due) - credit;
        let found = get(&ledger);
        if expected != found {
            report.differences.push(format!(
                "customer {} in {}: balance (open dues − credit): expected {expected}, found {found} in the ledger",
                key.0, key.1
            ));
        }
    }
    Ok(())
}
