//! The repository's `env/*.env` files: each loads, each documents every setting, and the
//! production-like ones pass `check --deploy` once the secrets are supplied.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use baseops_config::{Environment, Sources, deploy_findings, load, variable_name};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn variables_in(file: &str) -> BTreeSet<String> {
    dotenvy::from_path_iter(repo(file))
        .unwrap()
        .map(|item| item.unwrap().0)
        .chain(
            // Commented-out variables (secrets, optional ones) document a setting too.
            std::fs::read_to_string(repo(file)).unwrap().lines().filter_map(|line| {
                let line = line.trim_start_matches('#').trim_start();
                let (name, _) = line.split_once('=')?;
                name.starts_with("BASEOPS_").then(|| name.trim().to_owned())
            }),
        )
        .collect()
}

/// Every setting's variable, from the settings' own shape.
fn every_variable() -> BTreeSet<String> {
    let settings =
        load(&Sources { config_dir: repo("config"), dotenv_file: None, vars: Vec::new() }).unwrap();
    let mut names = BTreeSet::new();
    collect(&serde_json::to_value(&settings).unwrap(), "", &mut names);
    names
}

fn collect(value: &serde_json::Value, prefix: &str, names: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                collect(value, &path, names);
            }
        }
        _ => {
            names.insert(variable_name(prefix));
        }
    }
}

fn load_file(file: &str, secrets: &[(&str, &str)]) -> baseops_config::Settings {
    let vars = secrets.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    load(&Sources { config_dir: repo("config"), dotenv_file: Some(repo(file)), vars })
        .unwrap_or_else(|error| panic!("{file}: {error}"))
}

const SECRETS: [(&str, &str); 2] = [
    ("BASEOPS_SECRET_KEY", "a-long-random-production-secret-key-0123456789"),
    ("BASEOPS_DATABASE__URL", "postgres://app:pa55word@db.internal:5432/baseops"),
];

#[test]
fn every_env_file_documents_every_setting() {
    let expected = every_variable();
    assert!(expected.contains("BASEOPS_DATABASE__SLOW_QUERY_MS"), "{expected:?}");
    for file in ["env/dev.env", "env/staging.env", "env/prod.env"] {
        let documented = variables_in(file);
        let missing: Vec<_> = expected.difference(&documented).collect();
        assert!(missing.is_empty(), "{file} does not document {missing:?}");
        let unknown: Vec<_> = documented.difference(&expected).collect();
        assert!(unknown.is_empty(), "{file} documents variables that are not settings: {unknown:?}");
    }
    let secrets = variables_in("env/secrets.env.example");
    for secret in ["BASEOPS_SECRET_KEY", "BASEOPS_DATABASE__URL", "BASEOPS_DATABASE__REPLICA_URL"] {
        assert!(secrets.contains(secret), "secrets.env.example lacks {secret}");
    }
}

#[test]
fn the_dev_file_loads_as_the_defaults_do() {
    let settings = load_file("env/dev.env", &[]);
    assert_eq!(settings.env, Environment::Dev);
    assert!(settings.debug && settings.database.auto_migrate);
}

#[test]
fn staging_and_prod_files_are_safe_once_secrets_are_supplied() {
    for (file, env) in [("env/staging.env", Environment::Staging), ("env/prod.env", Environment::Prod)] {
        let settings = load_file(file, &SECRETS);
        assert_eq!(settings.env, env);
        assert_eq!(deploy_findings(&settings), Vec::<String>::new(), "{file}");
        assert!(!settings.database.auto_migrate, "{file}");
    }
}
