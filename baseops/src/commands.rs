//! What each subcommand does. Each is a thin wrapper over the platform crates.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baseops_config::{Environment, Settings, Sources, deploy_findings, render_masked};
use baseops_db::Migrator;
use baseops_telemetry::Console;

use crate::cli::{AuditCommand, Cli, Command, DemoApp, EXIT_UNSAFE_SETTINGS, LeadsCommand};
use crate::{identity, leads, work};

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { bind, migrate, with_worker } => serve(bind, migrate, with_worker).await,
        Command::Worker { queues, concurrency } => run_worker(queues, concurrency).await,
        Command::Jobs(command) => {
            with_database(|settings, db| Box::pin(async move { work::jobs(&settings, &db, command).await }))
                .await
        }
        Command::Migrate { status } => migrate(status).await,
        Command::Check { deploy } => check(deploy),
        Command::Createsuperuser { email, name, organization, password_stdin, password_env } => {
            let args = identity::SuperuserArgs { email, name, organization, password_stdin, password_env };
            with_database(|settings, db| {
                Box::pin(async move { identity::create_superuser(&settings, &db, args).await })
            })
            .await
        }
        Command::SeedRoles => {
            with_database(|_, db| Box::pin(async move { identity::seed_roles(&db).await })).await
        }
        Command::DemoData { app, org, count } => {
            with_database(|_, db| Box::pin(async move { demo_data(&db, app, &org, count).await })).await
        }
        Command::Leads(LeadsCommand::Import { file, org, map, on_duplicate, delimiter, dry_run }) => {
            let args = leads::ImportArgs { file, org, map, on_duplicate, delimiter, dry_run };
            with_database(|settings, db| Box::pin(async move { leads::import(&settings, &db, args).await }))
                .await
        }
        Command::Audit(AuditCommand::Verify { org }) => {
            with_database(|_, db| Box::pin(async move { identity::audit_verify(&db, org.as_deref()).await }))
                .await
        }
        Command::Openapi => {
            let document = baseops_server::openapi_document(&baseops::apps());
            println!("{}", document.to_pretty_json().context("cannot render the OpenAPI document")?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("baseops {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
    }
}

type Job = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<ExitCode>>>>;

/// Runs a one-shot command on a migrated database, logging to stderr.
async fn with_database(job: impl FnOnce(Settings, baseops_db::Database) -> Job) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    let _logging = baseops_telemetry::init_logging(&settings, Console::Stderr)?;
    let migrator = baseops::migrator()?;
    let db = baseops_db::connect(&settings.database).await?;
    prepare_schema(&settings, &migrator, &db, false).await?;
    let outcome = job(settings, db.clone()).await;
    db.close().await;
    outcome
}

fn load_settings() -> anyhow::Result<Settings> {
    Ok(baseops_config::load(&Sources::from_process())?)
}

fn check(deploy: bool) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    baseops::migrator()?;
    baseops_jobs::schedule::resolve(&baseops::schedules(), &settings.jobs).map_err(anyhow::Error::msg)?;
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

async fn migrate(status: bool) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    let _logging = baseops_telemetry::init_logging(&settings, Console::Stderr)?;
    let migrator = baseops::migrator()?;
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
async fn run_worker(queues: Option<Vec<String>>, concurrency: Option<usize>) -> anyhow::Result<ExitCode> {
    let settings = load_settings()?;
    let _logging = baseops_telemetry::init_logging(&settings, Console::Stdout)?;
    baseops_telemetry::metrics_handle();
    let migrator = baseops::migrator()?;
    let db = baseops_db::connect(&settings.database).await?;
    prepare_schema(&settings, &migrator, &db, false).await?;
    let state =
        baseops::state(settings, db.clone(), migrator).context("cannot set up the application services")?;
    let depth = work::publish_queue_depth(db.clone());
    work::worker(&state, queues, concurrency)?.run(baseops_server::shutdown_signal()).await?;
    depth.abort();
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
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

    let migrator = baseops::migrator()?;
    let db = baseops_db::connect(&settings.database).await?;
    prepare_schema(&settings, &migrator, &db, migrate).await?;
    identity::first_start(&settings, &db).await?;

    let listener = tokio::net::TcpListener::bind(settings.server.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
    let address = listener.local_addr()?;
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
    if settings.env == Environment::Dev {
        println!("baseops is running at http://{address} — API docs at http://{address}/api/docs");
    }
    tracing::info!(%address, env = settings.env.name(), version = env!("CARGO_PKG_VERSION"), "listening");

    let state =
        baseops::state(settings, db.clone(), migrator).context("cannot set up the application services")?;
    let router = baseops_server::build_router(state.clone(), &baseops::apps());
    let depth = work::publish_queue_depth(db.clone());
    // One signal stops both: the server drains requests while the worker finishes jobs.
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    // In dev the quick start's `serve` runs the worker too, so mailed links reach the log.
    let with_worker = with_worker || state.settings().env == Environment::Dev;
    let worker = if with_worker {
        let worker = work::worker(&state, None, None)?;
        let mut stopped = stop.subscribe();
        Some(tokio::spawn(worker.run(async move {
            let _ = stopped.recv().await;
        })))
    } else {
        None
    };
    let mut server_stopped = stop.subscribe();
    // Live notification streams never end by themselves: end them so shutdown can finish.
    let hub = state.extension::<baseops_notifications::Hub>().cloned();
    if let Some(hub) = &hub {
        hub.start();
    }
    let signal = async move {
        baseops_server::shutdown_signal().await;
        let _ = stop.send(());
    };
    tokio::spawn(signal);
    baseops_server::serve(
        listener,
        router,
        async move {
            let _ = server_stopped.recv().await;
            if let Some(hub) = hub {
                hub.close();
            }
        },
        grace,
    )
    .await?;
    if let Some(worker) = worker {
        worker.await.context("the worker task failed")??;
    }
    depth.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// `baseops demo-data <app> --org <slug> --count N`.
async fn demo_data(
    db: &baseops_db::Database,
    app: DemoApp,
    org: &str,
    count: u64,
) -> anyhow::Result<ExitCode> {
    let organization = baseops_users::selector::organization_by_ref(db.write(), org)
        .await?
        .with_context(|| format!("no organization {org:?} (give its slug or id)"))?;
    let actor = baseops_core::Actor::System { name: "demo-data".into() };
    let origin = baseops_core::Origin::internal();
    let acting = baseops_core::Acting { actor: &actor, origin: &origin };
    let started = std::time::Instant::now();
    let created = match app {
        DemoApp::Tasks => {
            baseops_tasks::demo::seed_tasks(db.write(), acting, organization.id, count, |done| {
                eprint!("\r{done}/{count} tasks");
            })
            .await?
        }
        DemoApp::Leads => {
            baseops_leads::demo::seed_leads(db.write(), acting, organization.id, count, |done| {
                eprint!("\r{done}/{count} leads");
            })
            .await?
        }
    };
    eprintln!();
    let noun = match app {
        DemoApp::Tasks => "tasks",
        DemoApp::Leads => "leads",
    };
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
