//! The `baseops` build: the real binary (its platform commands and the commands the apps
//! bring), and the OpenAPI document of the composed apps. One test binary.

mod app_commands;
mod binary;
mod cli;
mod openapi;
