//! The billing app through its HTTP API, on SQLite (default) or PostgreSQL
//! (`BASEOPS_TEST_DATABASE_URL`). Customers come from won leads converted in the leads app,
//! as in production. One test binary, one module per story.

mod catalog_lines;
mod console;
mod console_pages;
mod credit;
mod credit_notes;
mod customers;
mod dunning;
mod invoice_editor;
mod invoices;
mod numbering;
mod payments;
mod pdf;
mod proration;
mod refusals;
mod reports;
mod statements;
mod subscriptions;
mod support;
mod tax_dates;
