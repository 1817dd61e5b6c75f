//! The backup file: a tar archive of `manifest.json` (first, so it is read without going
//! through the data) and the data file, `database.sqlite` or `database.pgdump`. Plain tar,
//! so an operator can inspect one with `tar -tvf` and `tar -xOf FILE manifest.json`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::contents::Contents;

/// The manifest's name inside the archive.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The newest manifest format this binary writes and reads. Format 2 added `checksum`, and
/// PostgreSQL backups sum their rows' hashes (`row-hash-sum`); format 1 manifests still verify.
pub const FORMAT_VERSION: u32 = 2;
/// The manifest's `format` field: what the file is, for someone who finds it.
pub const FORMAT_NAME: &str = "baseops-backup";

/// The engine a backup was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// A SQLite file copied with `VACUUM INTO`.
    Sqlite,
    /// A `pg_dump --format=custom` archive.
    Postgres,
}

impl Engine {
    /// The name used in file names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// The data file's name inside the archive.
    pub fn data_name(self) -> &'static str {
        match self {
            Self::Sqlite => "database.sqlite",
            Self::Postgres => "database.pgdump",
        }
    }
}

/// One table as recorded: its row count and content checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    /// The table's name.
    pub name: String,
    /// How many rows it held.
    pub rows: u64,
    /// Its content checksum, SHA-256 (hex), computed as the manifest's `checksum` says.
    pub sha256: String,
}

/// One audit chain's head as recorded in `audit_chains`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    /// The chain: an organization id or `platform`.
    pub chain: String,
    /// Its last sealed position.
    pub seq: i64,
    /// That event's hash.
    pub hash: String,
}

/// Everything a backup says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The manifest format's version; a binary refuses newer ones.
    pub format_version: u32,
    /// The baseops version that wrote it.
    pub baseops_version: String,
    /// The engine it came from; a restore needs the same one.
    pub engine: Engine,
    /// When the snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// The data file's name inside the archive.
    pub data_file: String,
    /// The data file's size in bytes.
    pub data_bytes: u64,
    /// The data file's SHA-256 (hex).
    pub data_sha256: String,
    /// The schema version, row counts, checksums and audit heads.
    #[serde(flatten)]
    pub contents: Contents,
}

/// SHA-256 (hex) and size of a file, read in blocks.
///
/// # Errors
/// The file cannot be read.
pub fn file_sha256(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file =
        BufReader::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        bytes += read as u64;
    }
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// Writes the archive to `path`: the manifest, then the data file. The caller renames it into
/// place once it is complete and synced.
///
/// # Errors
/// The file cannot be written.
pub fn write_archive(path: &Path, manifest: &Manifest, data: &Path) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut builder = tar::Builder::new(BufWriter::new(file));
    let json = serde_json::to_vec_pretty(manifest)?;
    let mut header = tar::Header::new_ustar();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(manifest.created_at.timestamp()).unwrap_or(0));
    header.set_cksum();
    builder.append_data(&mut header, MANIFEST_NAME, json.as_slice())?;
    let mut data_file = File::open(data)?;
    builder.append_file(&manifest.data_file, &mut data_file)?;
    let mut writer = builder.into_inner()?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|error| error.into_error())?;
    // On disk before the rename makes it visible: a crash never leaves a complete-looking
    // name over a partial file.
    file.sync_all()?;
    Ok(())
}

/// Reads the manifest only.
///
/// # Errors
/// Not a readable archive, or no valid manifest first in it.
pub fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut entries = archive.entries()?;
    let mut entry = entries.next().context("the archive is empty")??;
    if entry.path()?.as_ref() != Path::new(MANIFEST_NAME) {
        bail!("the archive does not start with {MANIFEST_NAME}: not a baseops backup");
    }
    let mut json = Vec::new();
    entry.read_to_end(&mut json)?;
    let manifest: Manifest = serde_json::from_slice(&json).context("the manifest is not valid")?;
    if manifest.format != FORMAT_NAME {
        bail!("the manifest's format is {:?}, not {FORMAT_NAME:?}", manifest.format);
    }
    Ok(manifest)
}

/// Extracts the data file the manifest names into `dir`; returns its path.
///
/// # Errors
/// Not a readable archive, or no such entry.
pub fn extract_data(path: &Path, manifest: &Manifest, dir: &Path) -> anyhow::Result<PathBuf> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.as_ref() == Path::new(&manifest.data_file) {
            // A fixed name in our own directory: the archive's path is compared, never used.
            let target = dir.join(manifest.engine.data_name());
            let mut out = BufWriter::new(File::create(&target)?);
            std::io::copy(&mut entry, &mut out)?;
            out.into_inner().map_err(|error| error.into_error())?.sync_all()?;
            return Ok(target);
        }
    }
    bail!("the archive holds no {}", manifest.data_file)
}
