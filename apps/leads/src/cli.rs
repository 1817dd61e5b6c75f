//! `baseops leads import`: the same validation and batched commit as the API's imports, run
//! in this process with progress bars, for files too large to upload.

use baseops_app::{BoxError, Command, CommandContext, EXIT_SUCCESS};
use baseops_core::{Acting, Actor, Origin};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::TransactionTrait;

use crate::import::mapping::parse_pairs;
use crate::import::{CsvFile, suggest};
use crate::service::import::{
    ImportReport, OnDuplicate, Upload, import_commit, import_create, import_start, import_validate,
};

/// The command `baseops leads`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition: LeadsCli::command, run: |ctx| Box::pin(run(ctx)) }]
}

/// Lead tools: CSV import with a progress bar.
#[derive(Debug, Parser)]
#[command(name = "leads")]
struct LeadsCli {
    #[command(subcommand)]
    command: LeadsCommand,
}

#[derive(Debug, Subcommand)]
enum LeadsCommand {
    /// Import leads from a CSV file: validate every row, print the report, then write the
    /// valid rows in batches with a progress bar.
    #[command(after_help = "Examples:
  baseops leads import contacts.csv --org acme
  baseops leads import contacts.csv --org acme --map \"E-Mail=email,Firma=company\" --on-duplicate update
  baseops leads import contacts.csv --org acme --dry-run        # the report only

Fields: first_name, last_name, full_name, email, phone, company, title, website, address,
source, tags, value, currency, score, utm_source, utm_medium, utm_campaign, utm_term,
utm_content, notes, owner_email, ignore. Unmapped headers are suggested from their names.")]
    Import(ImportArgs),
}

/// What `leads import` was asked to do.
#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The CSV file (UTF-8 or Latin-1; `,` `;` tab or `|` separated).
    file: std::path::PathBuf,
    /// The organization, by slug or id.
    #[arg(long, value_name = "SLUG")]
    org: String,
    /// Column mapping, `Header=field,...`; headers not named are suggested.
    #[arg(long, value_name = "PAIRS")]
    map: Option<String>,
    /// What to do with rows matching a lead (or an earlier row) by e-mail or phone.
    #[arg(long, value_parser = ["skip", "update", "create"], default_value = "skip")]
    on_duplicate: String,
    /// The separator (one character); detected when absent.
    #[arg(long)]
    delimiter: Option<char>,
    /// Validate and print the report, import nothing.
    #[arg(long)]
    dry_run: bool,
}

async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    let LeadsCommand::Import(args) = LeadsCli::from_arg_matches(&ctx.matches)?.command;
    import(&ctx, args).await
}

/// Problems printed from the report; the rest are counted.
const SHOWN_PROBLEMS: usize = 20;

fn bar(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::new_spinner(),
    };
    let template = match total {
        Some(_) => format!("{what} [{{bar:40}}] {{pos}}/{{len}} rows · {{per_sec}} · eta {{eta}}"),
        None => format!("{what} {{spinner}} {{pos}} rows · {{per_sec}}"),
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn print_report(report: &ImportReport) {
    eprintln!(
        "{} rows: {} valid, {} invalid; duplicates: {} within the file, {} of existing leads",
        report.rows_total,
        report.rows_valid,
        report.rows_invalid,
        report.duplicates_in_file,
        report.duplicates_existing
    );
    for problem in report.problems.iter().take(SHOWN_PROBLEMS) {
        eprintln!("  row {}: {} {}", problem.row, problem.field, problem.problem);
    }
    if report.problems_total > SHOWN_PROBLEMS as u64 {
        eprintln!("  … and {} more problems", report.problems_total - SHOWN_PROBLEMS as u64);
    }
}

/// Validates and imports a CSV file into an organization.
async fn import(ctx: &CommandContext, args: ImportArgs) -> Result<u8, BoxError> {
    let (db, settings) = (ctx.state.db(), ctx.state.settings());
    let directory = baseops_core::directory(&ctx.state);
    let organization = directory
        .organization(db.write().into(), &args.org)
        .await?
        .ok_or_else(|| format!("no organization {:?} (give its slug or id)", args.org))?;
    let bytes =
        std::fs::read(&args.file).map_err(|error| format!("cannot read {}: {error}", args.file.display()))?;
    let delimiter = match args.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => return Err(format!("--delimiter {c:?} is not one ASCII character").into()),
        None => None,
    };
    let headers = CsvFile::open(&bytes, delimiter)?.headers;
    let mut mapping = suggest(&headers);
    if let Some(pairs) = &args.map {
        mapping.extend(parse_pairs(pairs)?);
    }
    for (header, field) in &mapping {
        eprintln!("  {header} → {}", serde_json::to_string(field).unwrap_or_default().trim_matches('"'));
    }
    let on_duplicate = match args.on_duplicate.as_str() {
        "update" => OnDuplicate::Update,
        "create" => OnDuplicate::Create,
        _ => OnDuplicate::Skip,
    };
    let file_name = args.file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let actor = Actor::System { name: "cli:leads import".into() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let upload = Upload { file_name, bytes, delimiter, mapping: Some(mapping), on_duplicate };
    let txn = db.write().begin().await?;
    let created = import_create(&txn, acting, organization.id, None, upload, &settings.leads, false)
        .await
        .map_err(|error| error.problem().errors.map_or(error.to_string(), |e| format!("{e:?}")))?;
    txn.commit().await?;

    let validating = bar(None, "validating");
    let progress = validating.clone();
    let report = import_validate(db.write(), &*directory, created.id, &settings.leads, &move |done, _| {
        progress.set_position(done)
    })
    .await
    .map_err(|error| format!("validation failed: {error}"))?;
    validating.finish_and_clear();
    print_report(&report);
    if args.dry_run {
        eprintln!("dry run: nothing imported (import {})", created.id);
        return Ok(EXIT_SUCCESS);
    }
    if report.rows_valid == 0 {
        return Err("no valid row to import".into());
    }
    let txn = db.write().begin().await?;
    import_start(&txn, acting, organization.id, created.id, false)
        .await
        .map_err(|error| error.to_string())?;
    txn.commit().await?;
    let importing = bar(Some(report.rows_total), "importing ");
    let progress = importing.clone();
    let outcome =
        import_commit(db.write(), &*directory, acting, created.id, &settings.leads, &move |done, _| {
            progress.set_position(done);
        })
        .await
        .map_err(|error| format!("the import stopped ({error}); run the same import again to resume"))?;
    importing.finish();
    println!(
        "imported into {}: {} created, {} updated, {} skipped (import {})",
        organization.slug, outcome.created, outcome.updated, outcome.skipped, created.id
    );
    Ok(EXIT_SUCCESS)
}
