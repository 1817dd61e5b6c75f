//! Runs the audit sealer ([`baseops_audit::run_sealer`]) against a database until SIGINT or
//! SIGTERM, then verifies the trail and prints the report (with how many events are still
//! unsealed). For benchmarks
//! (`bench/audit.sh --sealer`) and for draining a backlog by hand; servers run the same loop.
//!
//! ```sh
//! cargo run --release -p baseops-audit --example sealer -- postgres://postgres@127.0.0.1/baseops
//! ```

use baseops_audit::{run_sealer, verify};
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).ok_or("usage: sealer DATABASE_URL")?;
    // Warnings (failed rounds) always; each round's count with RUST_LOG=baseops_audit=debug.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let db = sea_orm::Database::connect(url.as_str()).await?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sealer = tokio::spawn(run_sealer(db.clone(), stopped));
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    stop.send(true)?;
    sealer.await?;
    println!("{}", verify(&db, None).await?);
    Ok(())
}
