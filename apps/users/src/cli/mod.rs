//! `baseops createsuperuser`, `baseops tokens create` ([`tokens`]), and the first start of a development server, which creates an
//! administrator so the quick start has someone to log in as.

use std::io::{BufRead, IsTerminal};

use baseops_app::{BoxError, Command, CommandContext, EXIT_SUCCESS};
use baseops_config::Environment;
use baseops_core::{Acting, Actor, ApiError, AppState, Origin};
use clap::{CommandFactory, FromArgMatches, Parser};
use sea_orm::TransactionTrait;

use crate::PasswordHashing;
use crate::service::organization::{NewOrganization, organization_create};
use crate::service::user::{NewUser, user_create};

mod tokens;

/// The commands `baseops createsuperuser` and `baseops tokens`.
pub(crate) fn commands() -> Vec<Command> {
    vec![
        Command { definition: SuperuserArgs::command, run: |ctx| Box::pin(create_superuser(ctx)) },
        Command { definition: tokens::TokensCli::command, run: |ctx| Box::pin(tokens::run(ctx)) },
    ]
}

/// Create a superuser (and, with --organization, an organization they own).
#[derive(Debug, Parser)]
#[command(
    name = "createsuperuser",
    after_help = "Examples:
  baseops createsuperuser                                   # asks for everything
  baseops createsuperuser --email ops@example.com --organization \"Acme\"
  printf '%s' \"$PW\" | baseops createsuperuser --email ops@example.com --password-stdin
  ADMIN_PW=... baseops createsuperuser --email ops@example.com --password-env ADMIN_PW"
)]
struct SuperuserArgs {
    /// E-mail address; asked for when absent.
    #[arg(long)]
    email: Option<String>,
    /// Display name; the part of the e-mail before @ when absent.
    #[arg(long)]
    name: Option<String>,
    /// Also create an organization with this name, owned by the new superuser.
    #[arg(long, value_name = "NAME")]
    organization: Option<String>,
    /// Read the password from standard input (one line) instead of asking.
    #[arg(long, conflicts_with = "password_env")]
    password_stdin: bool,
    /// Read the password from this environment variable instead of asking.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
}

fn ask(prompt: &str) -> Result<String, BoxError> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| format!("cannot read standard input: {error}"))?;
    Ok(line.trim().to_owned())
}

fn password(args: &SuperuserArgs) -> Result<String, BoxError> {
    if let Some(var) = &args.password_env {
        return std::env::var(var).map_err(|_| format!("the environment variable {var} is not set").into());
    }
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| format!("cannot read the password from standard input: {error}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "no password given: use --password-stdin or --password-env VAR when not at a terminal".into()
        );
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password (again): ")?;
    if first != second {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

/// Explains a refused input the way the API would, one line per field.
fn explain(error: ApiError) -> BoxError {
    match error {
        ApiError::Validation(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .flat_map(|(field, messages)| {
                    messages.iter().map(move |message| format!("{field} {message}"))
                })
                .collect();
            lines.join("; ").into()
        }
        other => other.to_string().into(),
    }
}

async fn create_superuser(ctx: CommandContext) -> Result<u8, BoxError> {
    let args = SuperuserArgs::from_arg_matches(&ctx.matches)?;
    let email = match &args.email {
        Some(email) => email.clone(),
        None => ask("E-mail address: ")?,
    };
    let name = args.name.clone().unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let password = password(&args)?;
    let user =
        superuser_with_organization(&ctx.state, &email, &name, &password, args.organization.as_deref())
            .await?;
    println!("superuser {} created ({})", user.email, user.id);
    Ok(EXIT_SUCCESS)
}

async fn superuser_with_organization(
    state: &AppState,
    email: &str,
    name: &str,
    password: &str,
    organization: Option<&str>,
) -> Result<crate::model::user::Model, BoxError> {
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth)?;
    let actor = Actor::System { name: "createsuperuser".to_owned() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    // Each checked as the API checks it, and refused with the same words; the organization
    // once the user exists, so a taken address is still reported before its problems.
    let new = NewUser { email, display_name: name, password: Some(password), is_superuser: true }
        .check(&settings.auth)
        .map_err(|errors| explain(ApiError::Validation(errors)))?;
    let txn = state.db().write().begin().await?;
    let user = user_create(&txn, acting, new, &hashing).await.map_err(explain)?;
    if let Some(organization) = organization {
        let new =
            NewOrganization { name: organization.to_owned(), slug: None, currency: None, time_zone: None }
                .check()
                .map_err(|errors| explain(ApiError::Validation(errors)))?;
        organization_create(&txn, acting, user.id, new, state.permissions()).await.map_err(explain)?;
    }
    txn.commit().await?;
    Ok(user)
}

/// The first start of a development server on an empty database: creates a superuser with a
/// generated password and an organization, prints the credentials once and writes them to a
/// file only its owner can read ([`FIRST_ADMIN_FILE`], next to the SQLite database).
///
/// # Errors
/// Database errors.
pub async fn first_start(state: &AppState) -> Result<(), BoxError> {
    if state.settings().env != Environment::Dev
        || crate::selector::user_exists_any(state.db().write()).await?
    {
        return Ok(());
    }
    let email = "admin@example.com";
    let password = crate::secret::random_token().chars().take(20).collect::<String>();
    superuser_with_organization(state, email, "Admin", &password, Some("My organization")).await?;
    println!();
    println!("First start: an administrator was created. Log in with");
    println!("    e-mail:   {email}");
    println!("    password: {password}");
    let directory = baseops_db::sqlite_file(state.settings().database.url.expose())
        .and_then(|file| file.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_default();
    match write_owner_only(
        &directory.join(FIRST_ADMIN_FILE),
        &format!("e-mail: {email}\npassword: {password}\n"),
    ) {
        Ok(path) => println!(
            "The credentials are also in {} (readable by you only); delete it once you logged in.",
            path.display()
        ),
        Err(error) => {
            tracing::warn!(%error, "the first administrator's credentials could not be written to a file")
        }
    }
    println!("Change the password with POST /api/v1/me/password.");
    println!();
    Ok(())
}

/// Where [`first_start`] writes the first administrator's credentials.
pub const FIRST_ADMIN_FILE: &str = "first-admin.txt";

/// Writes a new file (never an existing one) that only its owner may read.
fn write_owner_only(path: &std::path::Path, contents: &str) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    std::path::absolute(path)
}
