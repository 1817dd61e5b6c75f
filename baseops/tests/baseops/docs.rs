//! The lists in the documentation that drift when the code changes, checked against the
//! composed build both ways: every entry of the code is documented, every documented entry
//! exists. The documents stay written for people (tables with descriptions); these tests read
//! only the names in them.
//!
//! | list | document | compared with |
//! | --- | --- | --- |
//! | commands, `demo-data` nouns | README.md, "Commands" | `baseops --help` and `baseops <command> --help` |
//! | exit codes | docs/setup.md, "Exit codes" | the exit codes `baseops --help` prints |
//! | permissions, default roles and their grants | docs/permissions_rbac.md; the app pages' permission tables | `Apps::permissions()` |
//! | events and their handlers | docs/jobs.md, "Domain events" | each app's `emits`, `Apps::events()` |
//! | schedules | docs/jobs.md, "Recurring jobs" | `Apps::schedules()` |
//! | settings, variables, secrets | docs/environment.md, the `BASEOPS_*` names in every document | `baseops_config::Settings`, `SECRET_KEYS` |
//! | migration order | docs/architecture.md, "Migration order"; migration names anywhere | each app's migrations in `compose()` order |

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use baseops_config::{SECRET_KEYS, ScheduleSettings, Sources, load, variable_name};
use baseops_core::Scope;

use crate::binary::{baseops, run};

// ---------------------------------------------------------------------------------------------
// Reading the documents.

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// A markdown table: its header cells and its rows' cells, as written (backticks kept).
#[derive(Debug)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The cells of one table line, split at `|` but not at `\|`.
fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    // A line `| a | b |` splits into "", "a", "b", "".
    cells.remove(0);
    cells.pop();
    cells
}

fn tables(text: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let is_row = |line: &str| line.trim_start().starts_with('|');
        if !is_row(line) || !lines.peek().is_some_and(|next| next.trim_start().starts_with("| ---")) {
            continue;
        }
        lines.next();
        let mut rows = Vec::new();
        while let Some(row) = lines.next_if(|line| is_row(line)) {
            rows.push(cells(row));
        }
        tables.push(Table { header: cells(line), rows });
    }
    tables
}

/// The table of `path` whose first header cell is `first_header`.
fn table(path: &str, first_header: &str) -> Table {
    tables(&read(path))
        .into_iter()
        .find(|table| table.header.first().is_some_and(|cell| cell == first_header))
        .unwrap_or_else(|| panic!("{path} has no table whose first column is {first_header:?}"))
}

/// The `code` spans of a piece of markdown, without their backticks.
fn code_spans(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The first code span of a cell, or a message saying there is none.
fn first_span(path: &str, cell: &str) -> String {
    code_spans(cell).into_iter().next().unwrap_or_else(|| panic!("{path}: no `name` in the cell {cell:?}"))
}

/// Every markdown file of the repository (not under `target/` or hidden directories).
fn markdown_files() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    walk(&path, root, found);
                }
            } else if name.ends_with(".md") {
                found.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let root = repo("");
    let mut found = Vec::new();
    walk(&root, &root, &mut found);
    found.sort();
    found
}

// ---------------------------------------------------------------------------------------------
// Comparing.

/// What is in `built` but not in `documented` ("missing") and the other way round ("extra").
fn compare<T: Ord + Debug>(
    problems: &mut Vec<String>,
    what: &str,
    doc: &str,
    documented: impl IntoIterator<Item = T>,
    built: impl IntoIterator<Item = T>,
) {
    let documented: BTreeSet<T> = documented.into_iter().collect();
    let built: BTreeSet<T> = built.into_iter().collect();
    for missing in built.difference(&documented) {
        problems.push(format!("{doc} does not list the {what} {missing:?}, which the build has"));
    }
    for extra in documented.difference(&built) {
        problems.push(format!("{doc} lists the {what} {extra:?}, which the build does not have"));
    }
}

fn assert_none(problems: &[String]) {
    assert!(problems.is_empty(), "the documentation and the code disagree:\n  - {}", problems.join("\n  - "));
}

fn apps() -> baseops_app::Apps {
    baseops::compose().unwrap_or_else(|error| panic!("{error}"))
}

// ---------------------------------------------------------------------------------------------
// Commands and exit codes.

/// The sections of `baseops … --help` ("Commands:", "Exit codes:"): each indented line's first
/// word, up to the next unindented line.
fn help_section(args: &[&str], section: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(baseops(dir.path()).args(args));
    assert_eq!(code, 0, "baseops {args:?}: {stderr}");
    stdout
        .lines()
        .skip_while(|line| line.trim_end() != section)
        .skip(1)
        .take_while(|line| line.starts_with(' '))
        // Entries are indented by two; wrapped descriptions by more.
        .filter(|line| line.len() > 2 && !line[2..].starts_with(' '))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn readme_lists_every_command_and_subcommand_of_the_binary() {
    const DOC: &str = "README.md (Commands)";
    let mut built = BTreeSet::new();
    let mut with_subcommands = BTreeSet::new();
    for command in help_section(&["--help"], "Commands:") {
        let subcommands = help_section(&[&command, "--help"], "Commands:");
        if subcommands.is_empty() {
            built.insert(command);
        } else {
            for subcommand in subcommands {
                built.insert(format!("{command} {subcommand}"));
            }
            with_subcommands.insert(command);
        }
    }
    assert!(built.contains("serve") && built.contains("jobs list"), "{built:?}");

    let readme = read("README.md");
    let section = readme.split("## Commands").nth(1).expect("README.md has a Commands section");
    let block = section.split("```").nth(1).expect("the Commands section has a code block");
    let mut documented = BTreeSet::new();
    let mut nouns = BTreeSet::new();
    for line in block.lines().filter(|line| line.starts_with("baseops ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let command = words[1];
        if with_subcommands.contains(command) {
            let subcommands = words.get(2).copied().unwrap_or_default();
            documented.extend(subcommands.split('|').map(|subcommand| format!("{command} {subcommand}")));
        } else {
            documented.insert(command.to_owned());
        }
        if command == "demo-data" {
            nouns.extend(words.get(2).copied().unwrap_or_default().split('|').map(str::to_owned));
        }
    }
    let mut problems = Vec::new();
    compare(&mut problems, "command", DOC, documented, built);
    let built_nouns = apps().demos().iter().map(|demo| demo.noun.to_owned()).collect::<Vec<_>>();
    compare(&mut problems, "demo-data noun", DOC, nouns, built_nouns);
    assert_none(&problems);
}

#[test]
fn setup_md_lists_the_exit_codes_the_binary_prints() {
    let built = help_section(&["--help"], "Exit codes:");
    assert!(built.contains(&"0".to_owned()), "{built:?}");
    let documented = table("docs/setup.md", "code").rows.into_iter().map(|row| row[0].clone());
    let mut problems = Vec::new();
    compare(&mut problems, "exit code", "docs/setup.md (Exit codes)", documented, built);
    assert_none(&problems);
}

// ---------------------------------------------------------------------------------------------
// Permissions and default grants.

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::All => "all",
        Scope::Own => "own",
    }
}

#[test]
fn permissions_rbac_md_has_every_permission_and_every_default_roles_grant() {
    const DOC: &str = "docs/permissions_rbac.md";
    let registry = apps().permissions();
    let table = table(DOC, "permission");
    let mut problems = Vec::new();

    let roles: Vec<&str> = table.header[1..].iter().map(String::as_str).collect();
    let built_roles: Vec<&str> = registry.default_roles().iter().map(|role| role.key).collect();
    compare(&mut problems, "default role (column)", DOC, roles.iter().copied(), built_roles.iter().copied());
    let documented: Vec<String> = table.rows.iter().map(|row| first_span(DOC, &row[0])).collect();
    let built: Vec<&str> = registry.permissions().iter().map(|permission| permission.name).collect();
    compare(&mut problems, "permission", DOC, documented.iter().map(String::as_str), built.iter().copied());

    for role in registry.default_roles() {
        let Some(column) = roles.iter().position(|key| *key == role.key) else { continue };
        let granted: BTreeMap<&str, &str> =
            registry.grants_of(role).into_iter().map(|(name, scope)| (name, scope_name(scope))).collect();
        for (row, permission) in table.rows.iter().zip(&documented) {
            let cell = row.get(column + 1).map_or("", |cell| cell.trim());
            let says = if cell.is_empty() { "nothing" } else { cell };
            let gets = granted.get(permission.as_str()).copied().unwrap_or("nothing");
            if built.contains(&permission.as_str()) && says != gets {
                problems.push(format!(
                    "{DOC} says {} gets {says} of {permission}; the build grants {gets}",
                    role.key
                ));
            }
        }
    }
    assert_none(&problems);
}

#[test]
fn permissions_rbac_md_shows_each_default_roles_rules_and_exceptions() {
    const DOC: &str = "docs/permissions_rbac.md (Default roles)";
    let registry = apps().permissions();
    let table = table("docs/permissions_rbac.md", "role");
    let mut problems = Vec::new();
    let documented = table.rows.iter().map(|row| row[0].clone());
    let built = registry.default_roles().iter().map(|role| role.key.to_owned());
    compare(&mut problems, "default role", DOC, documented, built);
    for role in registry.default_roles() {
        let Some(row) = table.rows.iter().find(|row| row[0] == role.key) else { continue };
        // "`*` all", "`*.view` all", or "—".
        let rules: BTreeSet<(String, String)> = row[1]
            .split(',')
            .filter_map(|rule| {
                let pattern = code_spans(rule).into_iter().next()?;
                let scope = rule.rsplit('`').next().unwrap_or_default().trim().to_owned();
                Some((pattern, scope))
            })
            .collect();
        let built_rules: BTreeSet<(String, String)> = role
            .rules
            .iter()
            .map(|(pattern, scope)| ((*pattern).to_owned(), scope_name(*scope).to_owned()))
            .collect();
        if rules != built_rules {
            problems.push(format!("{DOC} gives {} the rules {rules:?}; the build {built_rules:?}", role.key));
        }
        if !row.get(3).is_some_and(|description| description.starts_with(role.description)) {
            problems
                .push(format!("{DOC}: {}'s description is {:?} in the build", role.key, role.description));
        }
        let except: BTreeSet<String> = code_spans(&row[2]).into_iter().collect();
        let built_except: BTreeSet<String> = role.except.iter().map(|name| (*name).to_owned()).collect();
        if except != built_except {
            problems.push(format!(
                "{DOC} gives {} the exceptions {except:?}; the build {built_except:?}",
                role.key
            ));
        }
    }
    assert_none(&problems);
}

#[test]
fn the_app_pages_permission_tables_list_each_apps_permissions() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for app in apps().iter() {
        let page = format!("docs/apps/{}.md", app.name);
        if !repo(&page).exists() {
            continue;
        }
        let Some(table) = tables(&read(&page))
            .into_iter()
            .find(|table| table.header.first().is_some_and(|cell| cell == "permission"))
        else {
            continue;
        };
        checked += 1;
        let documented = table.rows.iter().map(|row| first_span(&page, &row[0]));
        let built = app.permissions.iter().map(|permission| permission.name.to_owned());
        compare(&mut problems, "permission", &page, documented, built);
    }
    assert!(checked >= 3, "the customers, roles and tasks pages have permission tables");
    assert_none(&problems);
}

// ---------------------------------------------------------------------------------------------
// Events and schedules.

#[test]
fn jobs_md_lists_every_event_with_its_emitter_and_handlers() {
    const DOC: &str = "docs/jobs.md (Domain events)";
    let apps = apps();
    let bus = apps.events();
    let built: BTreeMap<&str, (&str, Vec<&str>)> = apps
        .iter()
        .flat_map(|app| app.emits.iter().map(move |event| (*event, app.name)))
        .map(|(event, app)| {
            let mut handlers = bus.handlers_of(event);
            handlers.sort_unstable();
            (event, (app, handlers))
        })
        .collect();
    assert!(built.contains_key("role.changed"), "{built:?}");

    let table = table("docs/jobs.md", "event");
    let mut problems = Vec::new();
    let mut documented = Vec::new();
    for row in &table.rows {
        let event = first_span(DOC, &row[0]);
        let mut handlers = code_spans(&row[2]);
        handlers.sort_unstable();
        if let Some((app, built_handlers)) = built.get(event.as_str()) {
            if row[1] != *app {
                problems.push(format!("{DOC} says {} emits {event}; the build says {app}", row[1]));
            }
            if handlers != *built_handlers {
                problems.push(format!(
                    "{DOC} lists the handlers {handlers:?} of {event}; the build subscribes {built_handlers:?}"
                ));
            }
        }
        documented.push(event);
    }
    compare(&mut problems, "event", DOC, documented.iter().map(String::as_str), built.keys().copied());
    assert_none(&problems);
}

#[test]
fn jobs_md_lists_every_schedule_with_its_default_and_job() {
    const DOC: &str = "docs/jobs.md (Recurring jobs)";
    let built = apps()
        .schedules()
        .iter()
        .map(|schedule| {
            let job = (schedule.job)().map(|job| job.name().to_owned()).unwrap_or_default();
            (schedule.name.to_owned(), schedule.cron.to_owned(), job)
        })
        .collect::<Vec<_>>();
    let documented = table("docs/jobs.md", "schedule")
        .rows
        .iter()
        .map(|row| (first_span(DOC, &row[0]), first_span(DOC, &row[1]), first_span(DOC, &row[2])))
        .collect::<Vec<_>>();
    let mut problems = Vec::new();
    compare(&mut problems, "schedule (name, default cron, job)", DOC, documented, built);
    assert_none(&problems);
}

// ---------------------------------------------------------------------------------------------
// Settings.

/// Every setting's dotted key, from the shape of the settings themselves.
fn setting_keys() -> BTreeSet<String> {
    fn collect(value: &serde_json::Value, prefix: &str, keys: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    collect(value, &path, keys);
                }
            }
            _ => {
                keys.insert(prefix.to_owned());
            }
        }
    }
    let settings = load(&Sources { config_dir: repo("config"), dotenv_file: None, vars: Vec::new() })
        .unwrap_or_else(|error| panic!("{error}"));
    let mut keys = BTreeSet::new();
    collect(&serde_json::to_value(&settings).unwrap(), "", &mut keys);
    // `jobs.schedules` is a map by schedule name, empty by default: its entries' shape.
    let schedule = serde_json::to_value(ScheduleSettings::default()).unwrap();
    collect(&schedule, "jobs.schedules.<name>", &mut keys);
    assert!(
        keys.contains("database.slow_query_ms") && keys.contains("jobs.schedules.<name>.cron"),
        "{keys:?}"
    );
    keys
}

#[test]
fn environment_md_lists_every_setting_with_its_variable_and_marks_the_secrets() {
    const DOC: &str = "docs/environment.md";
    let table = table(DOC, "setting");
    let mut problems = Vec::new();
    let mut documented = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    for row in &table.rows {
        let spans = code_spans(&row[0]);
        let Some(first) = spans.first() else {
            problems.push(format!("{DOC}: a setting row without a `name`: {row:?}"));
            continue;
        };
        // `jobs.schedules.<name>.cron` / `.timezone` / `.enabled`: siblings of the first.
        let parent = first.rsplit_once('.').map_or("", |(parent, _)| parent);
        let keys: Vec<String> = std::iter::once(first.clone())
            .chain(
                spans[1..]
                    .iter()
                    .filter_map(|span| span.strip_prefix('.'))
                    .map(|leaf| format!("{parent}.{leaf}")),
            )
            .collect();
        let variable = first_span(DOC, &row[1]);
        if variable != variable_name(first) {
            problems.push(format!(
                "{DOC} names the variable of {first} {variable}; it is {}",
                variable_name(first)
            ));
        }
        if row.get(3).is_some_and(|meaning| meaning.contains("**secret**")) {
            secrets.extend(keys.iter().cloned());
        }
        documented.extend(keys);
    }
    compare(&mut problems, "setting", DOC, documented, setting_keys());
    let built_secrets = SECRET_KEYS.iter().map(|key| (*key).to_owned());
    compare(&mut problems, "secret (a row marked **secret**)", DOC, secrets, built_secrets);
    assert_none(&problems);
}

/// The code spans between `start` and the first `end` after it.
fn spans_between(path: &str, start: &str, end: &str) -> Vec<String> {
    let text = read(path);
    let (_, after) = text.split_once(start).unwrap_or_else(|| panic!("{path} has no {start:?}"));
    let (inside, _) = after.split_once(end).unwrap_or_else(|| panic!("{path}: {start:?} without {end:?}"));
    code_spans(inside)
}

#[test]
fn every_list_of_the_secrets_names_each_secret() {
    let keys = SECRET_KEYS.iter().map(|key| (*key).to_owned()).collect::<Vec<_>>();
    let variables = SECRET_KEYS.iter().map(|key| variable_name(key)).collect::<Vec<_>>();
    let mut problems = Vec::new();
    let lists = [
        ("README.md", "Secrets (", ")", &variables),
        ("docs/environment.md", "**Secrets** —", "— are", &keys),
        ("crates/config/README.md", "Secrets (", ")", &keys),
    ];
    for (path, start, end, built) in lists {
        let what = format!("secret (after {start:?})");
        compare(&mut problems, &what, path, spans_between(path, start, end), built.iter().cloned());
    }
    assert_none(&problems);
}

#[test]
fn every_baseops_variable_in_the_documentation_exists() {
    let schedules: Vec<String> =
        apps().schedules().iter().map(|schedule| schedule.name.to_uppercase()).collect();
    let mut known: BTreeSet<String> = setting_keys()
        .iter()
        .filter(|key| !key.starts_with("jobs.schedules."))
        .map(|key| variable_name(key))
        .collect();
    for name in schedules.iter().map(String::as_str).chain(["<NAME>"]) {
        for leaf in ["CRON", "TIMEZONE", "ENABLED"] {
            known.insert(format!("BASEOPS_JOBS__SCHEDULES__{name}__{leaf}"));
        }
    }
    // Variables that choose sources rather than settings (`NOT_SETTINGS` in crates/config).
    known.extend(["BASEOPS_ENV", "BASEOPS_CONFIG_DIR"].map(str::to_owned));
    let allowed = |token: &str| {
        known.contains(token)
            || token.starts_with("BASEOPS_TEST_")
            || token.starts_with("BASEOPS_BENCH_")
            // Cut short by a placeholder: `BASEOPS_`, `BASEOPS_JOBS__SCHEDULES__<NAME>…`.
            || (token.ends_with('_') && known.iter().any(|name| name.starts_with(token)))
    };
    let mut problems = Vec::new();
    for path in markdown_files() {
        let text = read(&path);
        for (at, _) in text.match_indices("BASEOPS_") {
            let token: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !allowed(&token) {
                problems.push(format!("{path} names {token}, which is no setting's variable"));
            }
        }
    }
    problems.dedup();
    assert_none(&problems);
}

// ---------------------------------------------------------------------------------------------
// Migrations.

fn migrations_by_app() -> Vec<(&'static str, Vec<String>)> {
    apps()
        .iter()
        .map(|app| {
            (app.name, (app.migrations)().iter().map(|migration| migration.name().to_owned()).collect())
        })
        .collect()
}

#[test]
fn architecture_md_shows_the_migration_order() {
    const DOC: &str = "docs/architecture.md (Migration order)";
    let built = migrations_by_app();
    let documented: Vec<(String, Vec<String>)> = table("docs/architecture.md", "app")
        .rows
        .iter()
        .map(|row| (row[0].trim_matches('`').to_owned(), code_spans(&row[1])))
        .collect();
    let mut problems = Vec::new();
    compare(
        &mut problems,
        "app",
        DOC,
        documented.iter().map(|(app, _)| app.clone()),
        built.iter().map(|(app, _)| (*app).to_owned()),
    );
    let documented_order: Vec<&str> = documented.iter().map(|(app, _)| app.as_str()).collect();
    let built_order: Vec<&str> = built.iter().map(|(app, _)| *app).collect();
    if problems.is_empty() && documented_order != built_order {
        problems
            .push(format!("{DOC} orders the apps {documented_order:?}; the build migrates {built_order:?}"));
    }
    for (app, migrations) in &built {
        if let Some((_, listed)) = documented.iter().find(|(name, _)| name == app)
            && listed != migrations
        {
            problems
                .push(format!("{DOC} lists {app}'s migrations as {listed:?}; the build has {migrations:?}"));
        }
    }
    assert_none(&problems);
}

/// Whether `span` looks like a migration name: `<app>_<4 digits>` and maybe `_<words>`.
fn looks_like_migration(span: &str) -> bool {
    let Some((app, rest)) = span.split_once('_') else { return false };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    !app.is_empty()
        && app.bytes().all(|b| b.is_ascii_lowercase())
        && digits.len() == 4
        && (rest.len() == 4 || rest[4..].starts_with('_'))
}

#[test]
fn every_migration_named_in_the_documentation_exists_and_app_pages_name_all_or_none() {
    let built = migrations_by_app();
    let every: Vec<&str> = built.iter().flat_map(|(_, names)| names.iter().map(String::as_str)).collect();
    // A full name, or a prefix that names one migration (`audit_0002`).
    let resolve = |span: &str| -> Option<&str> {
        let matching: Vec<&str> = every
            .iter()
            .copied()
            .filter(|name| *name == span || name.starts_with(&format!("{span}_")))
            .collect();
        (matching.len() == 1).then(|| matching[0])
    };
    let mut problems = Vec::new();
    for path in markdown_files() {
        for span in code_spans(&read(&path)).into_iter().filter(|span| looks_like_migration(span)) {
            if resolve(&span).is_none() {
                problems.push(format!("{path} names the migration {span}, which the build does not have"));
            }
        }
    }
    // A page about one app that names some of its migrations names all of them, in full.
    for (app, migrations) in &built {
        let pages = [
            format!("apps/{app}/README.md"),
            format!("services/{app}/README.md"),
            format!("crates/{app}/README.md"),
            format!("docs/apps/{app}.md"),
        ];
        for page in pages.iter().filter(|page| repo(page).exists()) {
            let spans = code_spans(&read(page));
            let named = spans
                .iter()
                .any(|span| resolve(span).is_some_and(|name| migrations.iter().any(|m| m == name)));
            if named {
                for migration in migrations.iter().filter(|migration| !spans.contains(migration)) {
                    problems.push(format!("{page} names some of {app}'s migrations but not {migration}"));
                }
            }
        }
    }
    assert_none(&problems);
}
