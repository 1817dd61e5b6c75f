//! What each subcommand does. Each is a thin wrapper over the platform crates.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baseops_app::{Apps, CommandContext};
use baseops_config::{Environment, Settings, Sources, deploy_findings, render_masked};
use baseops_core::AppState;
use baseops_db::Migrator;
use baseops_telemetry::Console;
use tokio::sync::watch;

use crate::cli::{Cli, Command, EXIT_UNSAFE_SETTINGS};
use crate::work;

/// Runs the parsed platform command.
pub async fn run(cli: Cli, apps: Apps) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { bind, migrate, with_worker } => serve(&apps, bind, migrate, with_worker).await,
        Command::Worker { queues, concurrency } => run_worker(&apps, queues, concurrency).await,
        Command::Migrate { status } => migrate(&apps, status).await,
        Command::Check { deploy } => check(&apps, deploy),
        Command::DemoData { app, org, count } => {
            let state = one_shot_state(&apps).await?;
            let outcome = demo_data(&state, &apps, &app, &org, count).await;
            state.db().close().await;
            outcome
        }
        Command::Healthcheck { url, timeout } => baseops::healthcheck::command(url, timeout).await,
        Command::Db { command } => baseops::db::run(command, &apps).await,
        Command::Backup(args) => baseops::backup::run_backup(args).await,
        Command::Restore(args) => baseops::backup::run_restore(args, &apps).await,
        Command::Openapi => {
            let document = baseops_server::openapi_document(&apps);
            println!("{}", document.to_pretty_json().context("cannot render the OpenAPI document")?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("baseops {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs a subcommand an app brought, on a migrated database, logging to stderr.
pub async fn run_app_command(
    apps: Apps,
    command: baseops_app::Command,
    matches: clap::ArgMatches,
) -> anyhow::Result<ExitCode> {
    let state = one_shot_state(&apps).await?;
    let db = state.db().clone();
    let outcome = (command.run)(CommandContext { matches, state, apps }).await;
    db.close().await;
    outcome.map(ExitCode::from).map_err(|error| anyhow::anyhow!(error))
}

/// The state a one-shot command runs with: settings, logging to stderr, an existing database
/// whose schema is current (a command never creates or migrates one), every app's services.
async fn one_shot_state(apps: &Apps) -> anyhow::Result<AppState> {
    let settings = load_settings()?;
    // Kept for the process's life: a one-shot command ends with the process.
    std::mem::forget(baseops_telemetry::init_logging(&settings, Console::Stderr)?);
    let migrator = apps.migrator()?;
    let db = baseops_db::connect_existing(&settings.database).await?;
    migrator.ensure_current(&db).await.context("this command needs the schema migrated")?;
    apps.state(settings, db, migrator)
        .map_err(|error| anyhow::anyhow!(error))
        .context("cannot set up the application services")
}

fn load_settings() -> anyhow::Result<Settings> {
    Ok(baseops_config::load(&Sources::from_process())?)
}

fn check(apps: &Apps, deploy: bool) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    baseops_jobs::schedule::resolve(&apps.schedules(), &settings.jobs).map_err(anyhow::Error::msg)?;
    println!("{}", render_masked(&settings));
    eprintln!("configuration is valid ({} environment)", settings.env.name());
    if deploy {
        let findings = deploy_findings(&settings);
        if !findings.is_empty() {
            for finding in &findings {
                eprintln!("unsafe: {finding}");
            }
            return Ok(ExitCode::from(EXIT_UNSAFE_SETTINGS));
        }
        eprintln!("no unsafe production settings found");
    }
    Ok(ExitCode::SUCCESS)
}

async fn migrate(apps: &Apps, status: bool) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    let _logging = baseops_telemetry::init_logging(&settings, Console::Stderr)?;
    let migrator = apps.migrator()?;
    if status {
        let db = baseops_db::connect(&settings.database).await?;
        let states = migrator.status(&db).await?;
        if states.is_empty() {
            println!("no migrations are declared by this build");
        }
        for state in &states {
            println!("{} {}", if state.applied { "applied" } else { "pending" }, state.name);
        }
        db.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let applied = migrator.apply(&settings.database).await?;
    println!("applied {} migration(s)", applied.len());
    for name in applied {
        println!("  {name}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `baseops worker`: jobs only, until SIGTERM/SIGINT.
async fn run_worker(
    apps: &Apps,
    queues: Option<Vec<String>>,
    concurrency: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    let _logging = baseops_telemetry::init_logging(&settings, Console::Stdout)?;
    baseops_telemetry::metrics_handle();
    let migrator = apps.migrator()?;
    let db = baseops_db::connect(&settings.database).await?;
    prepare_schema(&settings, &migrator, &db, false).await?;
    let state = apps
        .state(settings, db.clone(), migrator)
        .map_err(|error| anyhow::anyhow!(error))
        .context("cannot set up the application services")?;
    let depth = work::publish_queue_depth(db.clone());
    let database_gauges = baseops::db::gauges::publish(db.clone());
    let (stop, stopped) = watch::channel(false);
    let background = start_background(apps, false, true, &state, &stopped);
    let worker = work::worker(apps, &state, queues, concurrency)?;
    let signal = baseops_server::shutdown_signal();
    worker
        .run(async move {
            signal.await;
            let _ = stop.send(true);
        })
        .await?;
    finish_background(background).await;
    depth.abort();
    database_gauges.abort();
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Starts the apps' background tasks of a process; they end once `stop` turns true.
fn start_background(
    apps: &Apps,
    serves: bool,
    works: bool,
    state: &AppState,
    stop: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    apps.background(serves, works)
        .into_iter()
        .map(|task| {
            tracing::debug!(task = task.name, "background task started");
            tokio::spawn((task.run)(state.clone(), stop.clone()))
        })
        .collect()
}

async fn finish_background(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        if let Err(error) = task.await {
            tracing::warn!(%error, "a background task failed");
        }
    }
}

async fn serve(
    apps: &Apps,
    bind: Option<std::net::SocketAddr>,
    migrate: bool,
    with_worker: bool,
) -> anyhow::Result<ExitCode> {
    let mut settings = load_settings()?;
    if let Some(bind) = bind {
        settings.server.bind = bind;
    }
    let _logging = baseops_telemetry::init_logging(&settings, Console::Stdout)?;
    baseops_telemetry::metrics_handle();
    if settings.env.is_production_like() {
        for finding in deploy_findings(&settings) {
            tracing::warn!(finding, "unsafe production setting (see `baseops check --deploy`)");
        }
    }

    let migrator = apps.migrator()?;
    let db = baseops_db::connect(&settings.database).await?;
    prepare_schema(&settings, &migrator, &db, migrate).await?;
    let state = apps
        .state(settings, db.clone(), migrator)
        .map_err(|error| anyhow::anyhow!(error))
        .context("cannot set up the application services")?;
    baseops_users::first_start(&state).await.map_err(|error| anyhow::anyhow!(error))?;

    let settings = state.settings();
    let listener = tokio::net::TcpListener::bind(settings.server.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
    let address = listener.local_addr()?;
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
    // Before the banner: whoever reads it may signal at once.
    let signal = baseops_server::shutdown_signal();
    if settings.env == Environment::Dev {
        println!("baseops is running at http://{address} — API docs at http://{address}/api/docs");
    }
    if let Some(warning) = public_url_mismatch(&settings.server.public_url, address) {
        eprintln!("warning: {warning}");
        tracing::warn!(%warning, "public_url does not reach this server");
    }
    tracing::info!(%address, env = settings.env.name(), version = env!("CARGO_PKG_VERSION"), "listening");

    let router = baseops_server::build_router(state.clone(), apps);
    let depth = work::publish_queue_depth(db.clone());
    let database_gauges = baseops::db::gauges::publish(db.clone());
    // One signal stops everything: the server drains requests, the worker finishes jobs, the
    // background tasks end (live notification streams, which never end by themselves).
    let (stop, stopped) = watch::channel(false);
    // In dev the quick start's `serve` runs the worker too, so mailed links reach the log.
    let with_worker = with_worker || settings.env == Environment::Dev;
    let background = start_background(apps, true, with_worker, &state, &stopped);
    let worker = if with_worker {
        let worker = work::worker(apps, &state, None, None)?;
        let mut stopped = stopped.clone();
        Some(tokio::spawn(worker.run(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })))
    } else {
        None
    };
    tokio::spawn(async move {
        signal.await;
        let _ = stop.send(true);
    });
    let mut server_stopped = stopped.clone();
    baseops_server::serve(
        listener,
        router,
        async move {
            let _ = server_stopped.wait_for(|stop| *stop).await;
        },
        grace,
    )
    .await?;
    if let Some(worker) = worker {
        worker.await.context("the worker task failed")??;
    }
    finish_background(background).await;
    depth.abort();
    database_gauges.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// `baseops demo-data <noun> --org <slug> --count N`.
async fn demo_data(
    state: &AppState,
    apps: &Apps,
    noun: &str,
    org: &str,
    count: u64,
) -> anyhow::Result<ExitCode> {
    let demo = apps
        .demos()
        .into_iter()
        .find(|demo| demo.noun == noun)
        .with_context(|| format!("no app of this build makes demo {noun}"))?;
    let db = state.db();
    let organization = baseops_core::directory(state)
        .organization(db.write().into(), org)
        .await?
        .with_context(|| format!("no organization {org:?} (give its slug or id)"))?;
    let actor = baseops_core::Actor::System { name: "demo-data".into() };
    let origin = baseops_core::Origin::internal();
    let acting = baseops_core::Acting { actor: &actor, origin: &origin };
    let started = std::time::Instant::now();
    let progress = |done: u64| eprint!("\r{done}/{count} {noun}");
    let created = (demo.seed)(state, acting, organization.id, count, &progress).await?;
    eprintln!();
    println!("created {created} {noun} in {} in {:.1} s", organization.slug, started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Applies migrations when allowed, or refuses to serve a schema that is behind.
async fn prepare_schema(
    settings: &Settings,
    migrator: &Migrator,
    db: &baseops_db::Database,
    migrate: bool,
) -> anyhow::Result<()> {
    if migrate || settings.database.auto_migrate {
        let applied = migrator.apply(&settings.database).await?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "migrations applied");
        }
        return Ok(());
    }
    migrator.ensure_current(db).await.context("refusing to start")?;
    Ok(())
}

/// When `public_url` names this machine (a loopback host) on another port than the server
/// listens on, links in e-mails lead nowhere: says so. A public URL on another host is a
/// proxy's address, whose port is its own.
fn public_url_mismatch(public_url: &url::Url, address: std::net::SocketAddr) -> Option<String> {
    let host = public_url.host_str()?.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip == address.ip());
    let port = public_url.port_or_known_default()?;
    (loopback && port != address.port()).then(|| {
        format!(
            "links in e-mails use server.public_url {public_url}, but this server listens on port {}: \
             set BASEOPS_SERVER__PUBLIC_URL=http://{host}:{} (or bind to port {port})",
            address.port(),
            address.port()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::public_url_mismatch;

    #[test]
    fn a_loopback_public_url_on_another_port_is_a_warning_and_a_proxy_is_not() {
        let url = |text: &str| url::Url::parse(text).unwrap();
        let bound = "127.0.0.1:9000".parse().unwrap();
        let warning = public_url_mismatch(&url("http://localhost:8000"), bound).unwrap();
        assert!(warning.contains("http://localhost:9000"), "{warning}");
        assert!(public_url_mismatch(&url("http://127.0.0.1:8000/"), bound).is_some());
        assert!(public_url_mismatch(&url("http://localhost:9000"), bound).is_none());
        assert!(public_url_mismatch(&url("https://ops.example.com"), bound).is_none(), "behind a proxy");
        assert!(public_url_mismatch(&url("http://[::1]:8000"), "[::1]:8001".parse().unwrap()).is_some());
    }
}
