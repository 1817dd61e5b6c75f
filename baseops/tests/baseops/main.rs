//! The `baseops` build: the real binary (its platform commands and the commands the apps
//! bring, and its idempotent creates across a crash), and the OpenAPI document of the
//! composed apps, the documentation's lists against the build (`docs`), and the stories that
//! cross apps (`billing_flow`), a billing run killed mid-batch (`renewal_crash`). One test binary.

mod app_commands;
mod bad_input;
mod billing_flow;
mod binary;
mod cli;
mod crash;
mod docs;
mod first_start;
mod jobs_commands;
mod leads_import;
mod numbering;
mod openapi;
mod renewal_crash;
