//! `baseops`: one binary for the server and every maintenance command.

mod cli;
mod commands;
mod work;

use std::process::ExitCode;

use clap::FromArgMatches;

fn main() -> ExitCode {
    let apps = match baseops::compose() {
        Ok(apps) => apps,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    let matches = cli::command(&apps).get_matches();
    let app_command = matches.subcommand().and_then(|(name, sub)| {
        apps.commands()
            .into_iter()
            .find(|command| command.name() == name)
            .map(|command| (command, sub.clone()))
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    let outcome = match app_command {
        Some((command, sub)) => runtime.block_on(commands::run_app_command(apps, command, sub)),
        None => match cli::Cli::from_arg_matches(&matches) {
            Ok(cli) => runtime.block_on(commands::run(cli, apps)),
            Err(error) => error.exit(),
        },
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::EXIT_FAILURE)
        }
    }
}
