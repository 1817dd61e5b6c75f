//! `baseops leads import`: the same validation and batched commit as the API's imports, run
//! in this process with progress bars, for files too large to upload.

use std::process::ExitCode;

use anyhow::Context;
use baseops_config::Settings;
use baseops_core::{Acting, Actor, Origin};
use baseops_leads::import::mapping::parse_pairs;
use baseops_leads::import::{CsvFile, suggest};
use baseops_leads::service::import::{
    ImportReport, OnDuplicate, Upload, import_commit, import_create, import_start, import_validate,
};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::TransactionTrait;

/// What `leads import` was asked to do.
pub struct ImportArgs {
    pub file: std::path::PathBuf,
    pub org: String,
    pub map: Option<String>,
    pub on_duplicate: String,
    pub delimiter: Option<char>,
    pub dry_run: bool,
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
pub async fn import(
    settings: &Settings,
    db: &baseops_db::Database,
    args: ImportArgs,
) -> anyhow::Result<ExitCode> {
    let organization = baseops_users::selector::organization_by_ref(db.write(), &args.org)
        .await?
        .with_context(|| format!("no organization {:?} (give its slug or id)", args.org))?;
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let delimiter = match args.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => anyhow::bail!("--delimiter {c:?} is not one ASCII character"),
        None => None,
    };
    let headers = CsvFile::open(&bytes, delimiter).map_err(anyhow::Error::msg)?.headers;
    let mut mapping = suggest(&headers);
    if let Some(pairs) = &args.map {
        mapping.extend(parse_pairs(pairs).map_err(anyhow::Error::msg)?);
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
        .map_err(|error| {
            anyhow::anyhow!("{}", error.problem().errors.map_or(error.to_string(), |e| format!("{e:?}")))
        })?;
    txn.commit().await?;

    let validating = bar(None, "validating");
    let progress = validating.clone();
    let report =
        import_validate(db.write(), created.id, &settings.leads, &move |done, _| progress.set_position(done))
            .await
            .context("validation failed")?;
    validating.finish_and_clear();
    print_report(&report);
    if args.dry_run {
        eprintln!("dry run: nothing imported (import {})", created.id);
        return Ok(ExitCode::SUCCESS);
    }
    if report.rows_valid == 0 {
        anyhow::bail!("no valid row to import");
    }
    let txn = db.write().begin().await?;
    import_start(&txn, acting, organization.id, created.id, false)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    txn.commit().await?;
    let importing = bar(Some(report.rows_total), "importing ");
    let progress = importing.clone();
    let outcome = import_commit(db.write(), acting, created.id, &settings.leads, &move |done, _| {
        progress.set_position(done);
    })
    .await
    .context("the import stopped; run the same import again to resume")?;
    importing.finish();
    println!(
        "imported into {}: {} created, {} updated, {} skipped (import {})",
        organization.slug, outcome.created, outcome.updated, outcome.skipped, created.id
    );
    Ok(ExitCode::SUCCESS)
}
