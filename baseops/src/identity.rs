//! `createsuperuser`, `seed-roles`, `audit verify` and the first-start path of `serve`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use baseops_config::{Environment, Settings};
use baseops_core::{Acting, Actor, ApiError, App, Origin};
use baseops_db::Database;
use baseops_users::service::organization::{NewOrganization, create_organization};
use baseops_users::service::user::{NewUser, create_user};
use baseops_users::{PasswordHashing, selector};
use sea_orm::{EntityTrait, TransactionTrait};

use crate::cli::EXIT_AUDIT_BROKEN;

/// The answers `createsuperuser` was given on the command line.
pub struct SuperuserArgs {
    /// `--email`.
    pub email: Option<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `--organization`.
    pub organization: Option<String>,
    /// `--password-stdin`.
    pub password_stdin: bool,
    /// `--password-env`.
    pub password_env: Option<String>,
}

fn ask(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read standard input")?;
    Ok(line.trim().to_owned())
}

fn password(args: &SuperuserArgs) -> anyhow::Result<String> {
    if let Some(var) = &args.password_env {
        return std::env::var(var).with_context(|| format!("the environment variable {var} is not set"));
    }
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password given: use --password-stdin or --password-env VAR when not at a terminal");
    }
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let second = rpassword::prompt_password("Password (again): ").context("cannot read the password")?;
    if first != second {
        bail!("the passwords differ");
    }
    Ok(first)
}

/// Explains a refused input the way the API would, one line per field.
fn explain(error: ApiError) -> anyhow::Error {
    match error {
        ApiError::Validation(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .flat_map(|(field, messages)| {
                    messages.iter().map(move |message| format!("{field} {message}"))
                })
                .collect();
            anyhow::anyhow!("{}", lines.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// Creates a superuser, and an organization they own when asked.
///
/// # Errors
/// Refused input (exit 1 with the reason), database errors.
pub async fn create_superuser(
    settings: &Settings,
    db: &Database,
    args: SuperuserArgs,
) -> anyhow::Result<ExitCode> {
    let email = match &args.email {
        Some(email) => email.clone(),
        None => ask("E-mail address: ")?,
    };
    let name = args.name.clone().unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let password = password(&args)?;
    let user =
        superuser_with_organization(settings, db, &email, &name, &password, args.organization.as_deref())
            .await?;
    println!("superuser {} created ({})", user.email, user.id);
    Ok(ExitCode::SUCCESS)
}

async fn superuser_with_organization(
    settings: &Settings,
    db: &Database,
    email: &str,
    name: &str,
    password: &str,
    organization: Option<&str>,
) -> anyhow::Result<baseops_users::model::user::Model> {
    let hashing = PasswordHashing::new(&settings.auth)?;
    let actor = Actor::System { name: "createsuperuser".to_owned() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = db.write().begin().await?;
    let new = NewUser { email, display_name: name, password: Some(password), is_superuser: true };
    let user = create_user(&txn, acting, new, &hashing, &settings.auth).await.map_err(explain)?;
    if let Some(organization) = organization {
        let new =
            NewOrganization { name: organization.to_owned(), slug: None, currency: None, time_zone: None };
        create_organization(&txn, acting, user.id, new, &App::permissions_of(&baseops::apps()))
            .await
            .map_err(explain)?;
    }
    txn.commit().await?;
    Ok(user)
}

/// The first start of a development server on an empty database: creates a superuser with a
/// generated password and an organization, and prints the credentials once.
///
/// # Errors
/// Database errors.
pub async fn first_start(settings: &Settings, db: &Database) -> anyhow::Result<()> {
    if settings.env != Environment::Dev || selector::any_user(db.write()).await? {
        return Ok(());
    }
    let email = "admin@example.com";
    let password = baseops_users::secret::random_token().chars().take(20).collect::<String>();
    superuser_with_organization(settings, db, email, "Admin", &password, Some("My organization")).await?;
    println!();
    println!("First start: an administrator was created. Log in with");
    println!("    e-mail:   {email}");
    println!("    password: {password}");
    println!("This is shown once; change the password with POST /api/v1/me/password.");
    println!();
    Ok(())
}

/// Re-seeds missing default roles in every organization.
///
/// # Errors
/// Database errors.
pub async fn seed_roles(db: &Database) -> anyhow::Result<ExitCode> {
    let registry = App::permissions_of(&baseops::apps());
    let actor = Actor::System { name: "seed-roles".to_owned() };
    let origin = Origin::internal();
    let organizations = baseops_users::model::organization::Entity::find().all(db.read()).await?;
    for organization in &organizations {
        let txn = db.write().begin().await?;
        baseops_roles::seed_defaults(
            &txn,
            Acting { actor: &actor, origin: &origin },
            organization.id,
            &registry,
        )
        .await?;
        txn.commit().await?;
    }
    println!("default roles checked in {} organization(s)", organizations.len());
    Ok(ExitCode::SUCCESS)
}

/// Verifies the audit chains.
///
/// # Errors
/// Database errors.
pub async fn audit_verify(db: &Database, org: Option<&str>) -> anyhow::Result<ExitCode> {
    let report = baseops_audit::verify(db.read(), org).await?;
    println!("{report}");
    Ok(if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_AUDIT_BROKEN) })
}
