//! Invoices and credit notes as printable documents: what the PDF endpoints render with
//! `baseops_pdf`. Reads the invoice (lines, taxes), the organization and the customer, and
//! formats every figure in the reader's locale and the document's currency.

use baseops_core::{ApiError, AppState, Currency, directory};
use baseops_pdf::format::{date, decimal, money};
use baseops_pdf::{Align, Column, Document, Locale, Party, SummaryRow, Table};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::input::DiscountIn;
use crate::selector::credit_note::{CreditNoteOut, credit_note_detail};
use crate::selector::{InvoiceOut, invoice_detail};
use crate::status::InvoiceStatus;

/// The words of the documents in one language.
struct Words {
    invoice: &'static str,
    credit_note: &'static str,
    bill_to: &'static str,
    issued: &'static str,
    due: &'static str,
    status: &'static str,
    draft: &'static str,
    date: &'static str,
    for_invoice: &'static str,
    reason: &'static str,
    description: &'static str,
    quantity: &'static str,
    unit_price: &'static str,
    tax: &'static str,
    amount: &'static str,
    discount: &'static str,
    subtotal: &'static str,
    net: &'static str,
    included: &'static str,
    total: &'static str,
    paid: &'static str,
    credited: &'static str,
    amount_due: &'static str,
    credit_for: &'static str,
    reduced_due: &'static str,
    to_balance: &'static str,
    refunded: &'static str,
    reasons: [(&'static str, &'static str); 5],
    tax_id: &'static str,
    reverse_charge: &'static str,
}

const EN: Words = Words {
    invoice: "Invoice",
    credit_note: "Credit note",
    bill_to: "Bill to",
    issued: "Issued",
    due: "Due",
    status: "Status",
    draft: "Draft",
    date: "Date",
    for_invoice: "Invoice",
    reason: "Reason",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price",
    tax: "Tax",
    amount: "Amount",
    discount: "Discount",
    subtotal: "Subtotal",
    net: "Net",
    included: "incl.",
    total: "Total",
    paid: "Paid",
    credited: "Credited",
    amount_due: "Amount due",
    credit_for: "Credit for invoice",
    reduced_due: "Taken off the amount due",
    to_balance: "Added to your credit balance",
    refunded: "Refunded",
    tax_id: "Tax ID",
    reverse_charge: "Reverse charge: the customer accounts for the VAT.",
    reasons: [
        ("duplicate", "Duplicate"),
        ("fraudulent", "Fraudulent"),
        ("order_change", "Order change"),
        ("product_unsatisfactory", "Product unsatisfactory"),
        ("other", "Other"),
    ],
};

const DE: Words = Words {
    invoice: "Rechnung",
    credit_note: "Gutschrift",
    bill_to: "Rechnungsempfänger",
    issued: "Rechnungsdatum",
    due: "Fällig am",
    status: "Status",
    draft: "Entwurf",
    date: "Datum",
    for_invoice: "Rechnung",
    reason: "Grund",
    description: "Beschreibung",
    quantity: "Menge",
    unit_price: "Einzelpreis",
    tax: "Steuer",
    amount: "Betrag",
    discount: "Rabatt",
    subtotal: "Zwischensumme",
    net: "Netto",
    included: "enth.",
    total: "Gesamt",
    paid: "Bezahlt",
    credited: "Gutgeschrieben",
    amount_due: "Offener Betrag",
    credit_for: "Gutschrift zur Rechnung",
    reduced_due: "Vom offenen Betrag abgezogen",
    to_balance: "Ihrem Guthaben gutgeschrieben",
    refunded: "Erstattet",
    tax_id: "USt-IdNr.",
    reverse_charge: "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge).",
    reasons: [
        ("duplicate", "Doppelte Rechnung"),
        ("fraudulent", "Betrug"),
        ("order_change", "Bestelländerung"),
        ("product_unsatisfactory", "Mangelhafte Leistung"),
        ("other", "Sonstiges"),
    ],
};

const FR: Words = Words {
    invoice: "Facture",
    credit_note: "Avoir",
    bill_to: "Facturé à",
    issued: "Date d'émission",
    due: "Échéance",
    status: "Statut",
    draft: "Brouillon",
    date: "Date",
    for_invoice: "Facture",
    reason: "Motif",
    description: "Description",
    quantity: "Qté",
    unit_price: "Prix unitaire",
    tax: "Taxe",
    amount: "Montant",
    discount: "Remise",
    subtotal: "Sous-total",
    net: "Net",
    included: "incl.",
    total: "Total",
    paid: "Payé",
    credited: "Crédité",
    amount_due: "Reste à payer",
    credit_for: "Avoir sur la facture",
    reduced_due: "Déduit du reste à payer",
    to_balance: "Porté à votre crédit",
    refunded: "Remboursé",
    tax_id: "N° TVA",
    reverse_charge: "Autoliquidation : TVA due par le preneur.",
    reasons: [
        ("duplicate", "Doublon"),
        ("fraudulent", "Fraude"),
        ("order_change", "Modification de commande"),
        ("product_unsatisfactory", "Produit non satisfaisant"),
        ("other", "Autre"),
    ],
};

fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::En => &EN,
        Locale::De => &DE,
        Locale::Fr => &FR,
    }
}

/// Who a document is for: their party, the locale it is written in, whether they are
/// reverse-charged.
struct Recipient {
    party: Party,
    locale: Locale,
    reverse_charge: bool,
}

/// The issuer (the organization) and the recipient (the customer) of a document, written in
/// the locale `asked` for, else the customer's, else English.
async fn parties(
    state: &AppState,
    organization_id: Uuid,
    customer_id: Uuid,
    asked: Option<Locale>,
) -> Result<(Party, Recipient), ApiError> {
    let db = state.db().read();
    let organization = directory(state)
        .organization(db.into(), &organization_id.to_string())
        .await?
        .ok_or(ApiError::NotFound)?;
    // The organization record holds no postal address yet; its name heads the document.
    let issuer = Party { name: organization.name, lines: Vec::new() };
    let Some(customer) = baseops_customers::customer_by_id(db, organization_id, customer_id).await? else {
        let locale = asked.unwrap_or_default();
        return Ok((issuer, Recipient { party: Party::default(), locale, reverse_charge: false }));
    };
    let locale = asked.or_else(|| customer.locale.as_deref().and_then(Locale::from_tag)).unwrap_or_default();
    let name = customer.legal_name.clone().unwrap_or_else(|| customer.name.clone());
    let mut lines: Vec<String> =
        customer.company.iter().filter(|company| **company != name).cloned().collect();
    if let Some(address) = &customer.billing_address {
        lines.push(address.line1.clone());
        lines.extend(address.line2.clone());
        let city = [address.postal_code.as_deref(), Some(address.city.as_str())].into_iter().flatten();
        lines.push(city.collect::<Vec<_>>().join(" "));
        lines.extend(address.region.clone());
        lines.push(address.country.clone());
    }
    let words = words(locale);
    lines.extend(customer.tax_ids.iter().map(|id| format!("{} {}", words.tax_id, id.value)));
    lines.extend(customer.email.clone());
    let reverse_charge = customer.tax_exempt == baseops_customers::TaxExempt::Reverse;
    Ok((issuer, Recipient { party: Party { name, lines }, locale, reverse_charge }))
}

fn currency_of(code: &str) -> Result<Currency, ApiError> {
    Currency::parse(code).map_err(ApiError::internal)
}

/// How a line's own discount reads under its description.
fn line_discount(
    discount: Option<&DiscountIn>,
    currency: Currency,
    locale: Locale,
    word: &str,
) -> Option<String> {
    let discount = discount?;
    match (discount.percent, discount.amount) {
        (Some(percent), _) => Some(format!("{word} {} %", decimal(percent.ten_thousandths(), locale))),
        (None, Some(amount)) => Some(format!("{word} {}", money(amount, currency, locale))),
        (None, None) => None,
    }
}

/// The organization's invoice as a document, `NotFound` when it has no such invoice.
///
/// # Errors
/// [`ApiError::NotFound`]; database errors.
pub async fn invoice_document(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
    locale: Option<Locale>,
) -> Result<(Document, InvoiceOut), ApiError> {
    let invoice = invoice_detail(state.db().read(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let (issuer, recipient) = parties(state, organization_id, invoice.customer_id, locale).await?;
    let locale = recipient.locale;
    let mut document = invoice_layout(&invoice, issuer, recipient.party, locale)?;
    if recipient.reverse_charge {
        document.notes.push(words(locale).reverse_charge.to_owned());
    }
    Ok((document, invoice))
}

fn invoice_layout(
    invoice: &InvoiceOut,
    issuer: Party,
    recipient: Party,
    locale: Locale,
) -> Result<Document, ApiError> {
    let words = words(locale);
    let currency = currency_of(&invoice.currency)?;
    let figure = |amount: i64| money(amount, currency, locale);
    let draft = invoice.status == InvoiceStatus::Draft;
    let mut facts = Vec::new();
    if draft {
        facts.push((words.status.to_owned(), words.draft.to_owned()));
    }
    let days = [(words.issued, invoice.issued_on), (words.due, invoice.due_on)];
    facts.extend(days.into_iter().filter_map(|(label, day)| Some((label.to_owned(), date(day?, locale)))));
    let taxes = invoice.taxes.as_deref().unwrap_or_default();
    let rows = invoice
        .lines
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|line| {
            let mut description = line.description.clone();
            if let Some(discount) = line_discount(line.discount.as_ref(), currency, locale, words.discount) {
                description.push('\n');
                description.push_str(&discount);
            }
            let rates: Vec<String> = taxes
                .iter()
                .filter(|tax| line.tax_rate_ids.contains(&tax.tax_rate_id))
                .map(|tax| format!("{} %", decimal(tax.percent.ten_thousandths(), locale)))
                .collect();
            vec![
                description,
                decimal(line.quantity.ten_thousandths(), locale),
                figure(line.unit_amount),
                rates.join(", "),
                figure(line.amount),
            ]
        })
        .collect();
    let mut summary = vec![SummaryRow::new(words.subtotal, figure(invoice.subtotal), false)];
    if invoice.discount_total != 0 {
        summary.push(SummaryRow::new(words.discount, figure(-invoice.discount_total), false));
        summary.push(SummaryRow::new(words.net, figure(invoice.net_total), false));
    }
    for tax in taxes {
        let percent = decimal(tax.percent.ten_thousandths(), locale);
        let included = if tax.inclusive { format!(" ({})", words.included) } else { String::new() };
        summary.push(SummaryRow::new(
            format!("{} {percent} %{included}", tax.name),
            figure(tax.amount),
            false,
        ));
    }
    summary.push(SummaryRow::new(words.total, figure(invoice.total), true));
    if !draft {
        if invoice.amount_paid != 0 {
            summary.push(SummaryRow::new(words.paid, figure(-invoice.amount_paid), false));
        }
        if invoice.amount_credited != 0 {
            summary.push(SummaryRow::new(words.credited, figure(-invoice.amount_credited), false));
        }
        summary.push(SummaryRow::new(words.amount_due, figure(invoice.amount_due), true));
    }
    Ok(Document {
        locale,
        title: words.invoice.to_owned(),
        number: invoice.number.clone().unwrap_or_default(),
        issuer,
        recipient,
        recipient_label: words.bill_to.to_owned(),
        facts,
        table: Table {
            columns: vec![
                Column::new(words.description, Align::Left, 5.0),
                Column::new(words.quantity, Align::Right, 1.0),
                Column::new(words.unit_price, Align::Right, 1.7),
                Column::new(words.tax, Align::Right, 1.1),
                Column::new(words.amount, Align::Right, 1.8),
            ],
            rows,
        },
        summary,
        notes: invoice.memo.iter().cloned().collect(),
        footer: invoice.footer.clone(),
        draft,
    })
}

/// The organization's credit note as a document, `NotFound` when it has no such note.
///
/// # Errors
/// [`ApiError::NotFound`]; database errors.
pub async fn credit_note_document(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
    locale: Option<Locale>,
) -> Result<(Document, CreditNoteOut), ApiError> {
    let db = state.db().read();
    let note = credit_note_detail(db, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let invoice = invoice_detail(db, organization_id, note.invoice_id).await?.ok_or(ApiError::NotFound)?;
    let (issuer, recipient) = parties(state, organization_id, note.customer_id, locale).await?;
    let locale = recipient.locale;
    let number = invoice.number.as_deref().unwrap_or_default();
    let document = credit_note_layout(&note, number, issuer, recipient.party, locale)?;
    Ok((document, note))
}

fn credit_note_layout(
    note: &CreditNoteOut,
    invoice_number: &str,
    issuer: Party,
    recipient: Party,
    locale: Locale,
) -> Result<Document, ApiError> {
    let words = words(locale);
    let currency = currency_of(&note.currency)?;
    let figure = |amount: i64| money(amount, currency, locale);
    let reason = words
        .reasons
        .iter()
        .find(|(code, _)| *code == note.reason)
        .map_or(note.reason.as_str(), |(_, text)| text);
    let issued: NaiveDate = note.created_at.date_naive();
    let mut summary = vec![SummaryRow::new(words.credited, figure(note.amount), true)];
    let parts = [
        (words.reduced_due, note.reduced_due),
        (words.to_balance, note.to_balance),
        (words.refunded, note.refunded),
    ];
    summary.extend(
        parts
            .into_iter()
            .filter(|(_, amount)| *amount != 0)
            .map(|(label, amount)| SummaryRow::new(label, figure(amount), false)),
    );
    Ok(Document {
        locale,
        title: words.credit_note.to_owned(),
        number: note.number.clone(),
        issuer,
        recipient,
        recipient_label: words.bill_to.to_owned(),
        facts: vec![
            (words.date.to_owned(), date(issued, locale)),
            (words.for_invoice.to_owned(), invoice_number.to_owned()),
            (words.reason.to_owned(), reason.to_owned()),
        ],
        table: Table {
            columns: vec![
                Column::new(words.description, Align::Left, 5.0),
                Column::new(words.amount, Align::Right, 1.8),
            ],
            rows: vec![vec![format!("{} {invoice_number}", words.credit_for), figure(note.amount)]],
        },
        summary,
        notes: note.memo.iter().cloned().collect(),
        footer: None,
        draft: false,
    })
}
