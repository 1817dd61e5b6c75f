//! The reminder run: for every organization with a schedule, each open invoice with an amount
//! due gets the latest step its due date has reached, once — steps missed while no worker ran
//! are not sent late one after the other. Fifty invoices a transaction, each in a savepoint so
//! one that fails rolls back alone; the (invoice, step) key makes a second worker's send of the
//! same reminder conflict and do nothing. No invoice is reminded on the day it was issued.

use std::collections::HashMap;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, Actor, ApiError, AppState, Currency, Origin, directory};
use baseops_customers::{CustomerOut, customer_by_id};
use baseops_email::{Templates, enqueue_email};
use baseops_pdf::format::{Locale, money};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::{DunningPolicyOut, out};
use crate::decimal::Decimal4;
use crate::input::{DiscountIn, LineIn, NewInvoice};
use crate::model::{dunning_policy, dunning_send, invoice};
use crate::service::draft::invoice_create;
use crate::service::lifecycle::{Move, invoice_move};
use crate::status::InvoiceStatus;

/// Invoices reminded per transaction.
const BATCH: u64 = 50;
/// The e-mail template of a reminder.
pub const TEMPLATE: &str = "invoice_reminder";

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reminders {
    /// Reminders recorded (e-mailed, or recorded without an address).
    pub sent: u64,
    /// Late-fee invoices made.
    pub late_fees: u64,
    /// Invoices that failed (logged; retried by the next run).
    pub failed: u64,
}

/// The latest step of `steps` (ascending) that `due_on` has reached by `today`.
pub fn due_step(steps: &[i32], due_on: NaiveDate, today: NaiveDate) -> Option<i32> {
    let days = i32::try_from((today - due_on).num_days()).ok()?;
    steps.iter().copied().rev().find(|step| *step <= days)
}

/// Sends every reminder due at `now`, at most `max`.
///
/// # Errors
/// Database errors reading what is due (a failing invoice is logged and counted).
pub async fn remind_due(state: &AppState, now: DateTime<Utc>, max: u64) -> Result<Reminders, ApiError> {
    let actor = Actor::System { name: "job:billing.send_reminders".to_owned() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let db = state.db().write();
    let templates = Templates::from_settings(state.settings());
    let mut done = Reminders::default();
    let policies =
        dunning_policy::Entity::find().filter(dunning_policy::Column::Steps.ne("[]")).all(db).await?;
    for row in policies {
        let organization_id = row.organization_id;
        let policy = out(Some(row));
        let Some(&first) = policy.steps.first() else { continue };
        let organization = directory(state).organization(db.into(), &organization_id.to_string()).await?;
        let Some(organization) = organization else { continue };
        let zone: chrono_tz::Tz = organization.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let today = now.with_timezone(&zone).date_naive();
        // Due dates that have reached the first step at least.
        let reached = today - TimeDelta::days(i64::from(first));
        let org = Org { id: organization_id, name: &organization.name, policy: &policy, today };
        let mut after = Uuid::nil();
        while done.sent < max {
            let batch = invoice::Entity::find()
                .filter(invoice::Column::OrganizationId.eq(organization_id))
                .filter(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
                .filter(invoice::Column::AmountDue.gt(0))
                .filter(invoice::Column::DueOn.lte(reached))
                // Never on the day it was issued (a late fee made by this very run, due at once).
                .filter(invoice::Column::IssuedOn.lt(today))
                .filter(invoice::Column::Id.gt(after))
                .order_by_asc(invoice::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let latest = latest_sent(db, &batch).await?;
            let pending: Vec<&invoice::Model> = batch
                .iter()
                .filter(|row| {
                    let step = row.due_on.and_then(|due_on| due_step(&policy.steps, due_on, today));
                    step.is_some_and(|step| latest.get(&row.id).is_none_or(|sent| *sent < step))
                })
                .collect();
            if pending.is_empty() {
                continue;
            }
            let txn = db.begin().await?;
            for row in pending {
                let savepoint = txn.begin().await?;
                match remind_one(&savepoint, acting, &templates, &org, row.id).await {
                    Ok(Some(fee)) => {
                        savepoint.commit().await?;
                        done.sent += 1;
                        done.late_fees += u64::from(fee);
                    }
                    Ok(None) => savepoint.rollback().await?,
                    Err(error) => {
                        savepoint.rollback().await?;
                        tracing::warn!(invoice = %row.id, ?error, "an invoice reminder could not be sent");
                        done.failed += 1;
                    }
                }
            }
            txn.commit().await?;
        }
    }
    Ok(done)
}

/// The organization a run is reminding for.
struct Org<'a> {
    id: Uuid,
    name: &'a str,
    policy: &'a DunningPolicyOut,
    today: NaiveDate,
}

/// The latest step sent of each invoice of `batch` that has one.
async fn latest_sent(
    db: &impl ConnectionTrait,
    batch: &[invoice::Model],
) -> Result<HashMap<Uuid, i32>, ApiError> {
    let rows: Vec<(Uuid, Option<i32>)> = dunning_send::Entity::find()
        .select_only()
        .column(dunning_send::Column::InvoiceId)
        .column_as(dunning_send::Column::Step.max(), "step")
        .filter(dunning_send::Column::InvoiceId.is_in(batch.iter().map(|row| row.id)))
        .group_by(dunning_send::Column::InvoiceId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, step)| Some((id, step?))).collect())
}

/// Sends the reminder of the step invoice `id` has reached, read afresh in `txn`: `None` when
/// there is nothing to send any more (paid meanwhile, or another worker sent it), otherwise
/// whether a late fee was charged.
async fn remind_one(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    templates: &Templates,
    org: &Org<'_>,
    id: Uuid,
) -> Result<Option<bool>, ApiError> {
    let Some(row) = invoice::Entity::find_by_id(id).one(txn).await? else { return Ok(None) };
    let (Some(due_on), Some(number)) = (row.due_on, row.number.clone()) else { return Ok(None) };
    let Some(step) = due_step(&org.policy.steps, due_on, org.today) else { return Ok(None) };
    if row.status != InvoiceStatus::Open.as_str() || row.amount_due <= 0 {
        return Ok(None);
    }
    let earlier_overdue = dunning_send::Entity::find()
        .filter(dunning_send::Column::InvoiceId.eq(id))
        .filter(dunning_send::Column::Step.gt(0))
        .one(txn)
        .await?
        .is_some();
    let customer = customer_by_id(txn, org.id, row.customer_id).await?;
    let recipients = recipients(customer.as_ref());
    let sent = dunning_send::Model {
        invoice_id: id,
        step,
        organization_id: org.id,
        sent_at: Utc::now(),
        email_to: (!recipients.is_empty()).then(|| recipients.join(", ")),
        late_fee_invoice_id: None,
    };
    let keys = [dunning_send::Column::InvoiceId, dunning_send::Column::Step];
    let inserted = dunning_send::Entity::insert(sent.into_active_model())
        .on_conflict(OnConflict::columns(keys).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let currency = Currency::parse(&row.currency).map_err(ApiError::internal)?;
    let fee = match org.policy.late_fee {
        Some(fee) if step > 0 && !earlier_overdue && !is_late_fee(txn, id).await? => {
            late_fee(fee, row.amount_due)
        }
        _ => 0,
    };
    let fee_invoice = if fee > 0 {
        let fee_id = charge(txn, acting, org, &row, &number, currency, fee).await?;
        dunning_send::Entity::update_many()
            .col_expr(dunning_send::Column::LateFeeInvoiceId, Expr::value(fee_id))
            .filter(dunning_send::Column::InvoiceId.eq(id))
            .filter(dunning_send::Column::Step.eq(step))
            .exec(txn)
            .await?;
        Some(fee_id)
    } else {
        None
    };
    let locale = customer.as_ref().and_then(|customer| customer.locale.clone());
    let format = Locale::parse(locale.as_deref().unwrap_or("en"));
    for to in &recipients {
        let context = ReminderMail {
            organization: org.name,
            customer: customer.as_ref().map_or("", |customer| customer.name.as_str()),
            number: &number,
            amount_due: money(row.amount_due, currency, format),
            due_on: due_on.to_string(),
            days: step,
            late_fee: (fee > 0).then(|| money(fee, currency, format)),
        };
        let message =
            templates.render(TEMPLATE, locale.as_deref(), to, context).map_err(ApiError::internal)?;
        enqueue_email(txn, acting, Some(org.id), message).await?;
    }
    let changes = Changes::created(&serde_json::json!({
        "step": step, "to": recipients, "late_fee_invoice_id": fee_invoice,
    }));
    record(txn, AuditEntry::new(acting, Some(org.id), "invoice.remind", "invoice", id).changes(changes))
        .await?;
    Ok(Some(fee_invoice.is_some()))
}

/// The customer's billing addresses, else their address.
fn recipients(customer: Option<&CustomerOut>) -> Vec<String> {
    match customer {
        Some(customer) if !customer.billing_emails.is_empty() => customer.billing_emails.clone(),
        Some(customer) => customer.email.iter().cloned().collect(),
        None => Vec::new(),
    }
}

/// The fee on `amount_due`: a fixed amount, or a percentage rounded half up.
pub fn late_fee(fee: DiscountIn, amount_due: i64) -> i64 {
    match (fee.amount, fee.percent) {
        (Some(amount), _) => amount,
        (None, Some(percent)) => {
            let exact = i128::from(amount_due) * i128::from(percent.ten_thousandths());
            i64::try_from((exact + 500_000) / 1_000_000).unwrap_or(i64::MAX)
        }
        (None, None) => 0,
    }
}

/// Whether invoice `id` is itself a late fee (which is never charged a fee in turn).
async fn is_late_fee(txn: &impl ConnectionTrait, id: Uuid) -> Result<bool, ApiError> {
    let found =
        dunning_send::Entity::find().filter(dunning_send::Column::LateFeeInvoiceId.eq(id)).one(txn).await?;
    Ok(found.is_some())
}

/// Issues the late fee as an invoice of its own, due at once.
async fn charge(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    org: &Org<'_>,
    overdue: &invoice::Model,
    number: &str,
    currency: Currency,
    fee: i64,
) -> Result<Uuid, ApiError> {
    let line = LineIn {
        price_id: None,
        description: Some(format!("Late fee for {number}")),
        quantity: Decimal4::whole(1),
        unit_amount: Some(fee),
        discount: None,
        tax_rate_ids: Vec::new(),
    };
    let new = NewInvoice {
        customer_id: overdue.customer_id,
        currency: Some(currency),
        lines: vec![line],
        discount: None,
        memo: Some(format!("Late fee for invoice {number}, due {}.", overdue.due_on.unwrap_or(org.today))),
        footer: None,
        payment_terms_days: Some(0),
    };
    let id = invoice_create(txn, acting, org.id, currency, new).await?;
    invoice_move(txn, acting, org.id, id, None, Move::Finalize { today: org.today }).await?;
    Ok(id)
}

/// What the reminder templates see.
#[derive(serde::Serialize)]
struct ReminderMail<'a> {
    organization: &'a str,
    customer: &'a str,
    number: &'a str,
    amount_due: String,
    due_on: String,
    /// Days from the due date: negative before it, 0 on it.
    days: i32,
    late_fee: Option<String>,
}
