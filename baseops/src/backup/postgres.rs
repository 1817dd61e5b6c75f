//! PostgreSQL: `pg_dump --format=custom` and `pg_restore`, run as child processes with the
//! connection in `PG*` environment variables: the password never appears on a command line
//! (visible to every user in `ps`) or in a log line.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use baseops_db::sea_orm::{
    ConnectOptions, ConnectionTrait, Database as Connector, DatabaseConnection, Statement,
};
use tokio::process::Command;
use url::Url;

/// The connection of a `postgres://` URL as libpq environment variables, with the database
/// name apart (the tools are given it explicitly).
pub struct PgTarget {
    url: Url,
    env: Vec<(&'static str, String)>,
    /// The database the URL names.
    pub database: String,
}

/// Query parameters of a database URL that libpq also reads from the environment.
const PARAMS: [(&str, &str); 5] = [
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("host", "PGHOST"),
];

impl PgTarget {
    /// Reads the configured URL.
    ///
    /// # Errors
    /// Not a URL.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let url = Url::parse(url).context("database.url is not a valid URL")?;
        let decode = |text: &str| percent_decode(text);
        let mut env = Vec::new();
        if let Some(host) = url.host_str().filter(|host| !host.is_empty()) {
            env.push(("PGHOST", host.trim_start_matches('[').trim_end_matches(']').to_owned()));
        }
        if let Some(port) = url.port() {
            env.push(("PGPORT", port.to_string()));
        }
        if !url.username().is_empty() {
            env.push(("PGUSER", decode(url.username())));
        }
        if let Some(password) = url.password() {
            env.push(("PGPASSWORD", decode(password)));
        }
        for (key, value) in url.query_pairs() {
            if let Some((_, variable)) = PARAMS.iter().find(|(name, _)| *name == key) {
                env.push((variable, value.into_owned()));
            }
        }
        let database = decode(url.path().trim_start_matches('/'));
        if database.is_empty() {
            bail!("database.url names no database");
        }
        Ok(Self { url, env, database })
    }

    /// A tool (`pg_dump`, `pg_restore`) set up to connect, never prompting for a password.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.envs(self.env.iter().map(|(key, value)| (*key, value.as_str())));
        command.arg("--no-password").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        command
    }

    /// A single connection to another database on the same server.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub async fn connect_to(&self, database: &str) -> anyhow::Result<DatabaseConnection> {
        let mut url = self.url.clone();
        url.set_path(database);
        let mut options = ConnectOptions::new(url.to_string());
        options.max_connections(1).min_connections(0).sqlx_logging(false);
        Connector::connect(options).await.with_context(|| format!("cannot connect to database {database}"))
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(_, value)| value.into_owned())
}

/// Runs a tool to its end; its stderr is the error when it fails.
///
/// # Errors
/// The tool is missing or exits non-zero.
pub async fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let child =
        command.spawn().with_context(|| format!("cannot run {what} (is postgresql-client installed?)"))?;
    let output = child.wait_with_output().await?;
    if !output.status.success() {
        bail!("{what} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

/// `pg_dump --format=custom` of the configured database as of `snapshot` into `file`.
///
/// # Errors
/// As [`run`].
pub async fn dump(target: &PgTarget, snapshot: &str, file: &Path) -> anyhow::Result<()> {
    let mut command = target.command("pg_dump");
    command.arg("--format=custom").arg(format!("--snapshot={snapshot}")).arg("--file").arg(file);
    command.arg("--dbname").arg(&target.database);
    run(command, "pg_dump").await
}

/// `pg_restore` of `file` into `database`: in one transaction, stopping at the first error.
/// `clean` drops the objects the dump holds first. Owners are not restored (the restoring role
/// owns what it creates); privileges are, unless `no_acl`: a scratch copy has no use for them and
/// another server may lack the roles they name.
///
/// # Errors
/// As [`run`].
pub async fn restore(
    target: &PgTarget,
    file: &Path,
    database: &str,
    clean: bool,
    no_acl: bool,
) -> anyhow::Result<()> {
    let mut command = target.command("pg_restore");
    command.args(["--no-owner", "--exit-on-error", "--single-transaction"]);
    if clean {
        command.args(["--clean", "--if-exists"]);
    }
    if no_acl {
        command.arg("--no-acl");
    }
    command.arg("--dbname").arg(database).arg(file);
    run(command, "pg_restore").await
}

/// A database created for one verification and dropped afterwards, named uniquely so that
/// concurrent verifications never meet.
pub struct Scratch {
    /// Its name.
    pub name: String,
}

impl Scratch {
    /// Creates it on the configured server (the role needs CREATEDB).
    ///
    /// # Errors
    /// The role may not create databases.
    pub async fn create(admin: &DatabaseConnection) -> anyhow::Result<Self> {
        let name = format!("baseops_verify_{}", uuid::Uuid::now_v7().simple());
        let sql = format!("CREATE DATABASE \"{name}\"");
        admin
            .execute_raw(Statement::from_string(admin.get_database_backend(), sql))
            .await
            .context("cannot create a scratch database to verify into (the role needs CREATEDB)")?;
        Ok(Self { name })
    }

    /// Drops it, ending any connection left to it.
    ///
    /// # Errors
    /// The statement fails.
    pub async fn drop(self, admin: &DatabaseConnection) -> anyhow::Result<()> {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql)).await?;
        Ok(())
    }
}
