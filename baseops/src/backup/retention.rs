//! Backup file names and retention: keep the newest backup of each of the last N days that
//! have one and of each of the last M ISO weeks that have one; delete the rest. Only files
//! whose whole name is a backup name are ever considered, so nothing else in the directory
//! is touched, and the backup just written is always kept.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use super::manifest::Engine;

/// The timestamp in a backup's name: UTC, sortable, milliseconds so that two backups taken in
/// the same second get different names.
const STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

/// The file name of a backup taken at `at`: `baseops-20261206T101500.123Z-sqlite.tar`.
pub fn file_name(at: DateTime<Utc>, engine: Engine) -> String {
    format!("baseops-{}-{}.tar", at.format(STAMP), engine.name())
}

/// The time in a backup's file name, or `None` when the name is not a backup's.
pub fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    let rest = name.strip_prefix("baseops-")?.strip_suffix(".tar")?;
    let (stamp, engine) = rest.rsplit_once('-')?;
    if engine != "sqlite" && engine != "postgres" {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|naive| naive.and_utc())
}

/// The backups in `dir`, newest first.
///
/// # Errors
/// The directory cannot be read.
pub fn list(dir: &Path) -> std::io::Result<Vec<(DateTime<Utc>, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(at) = entry.file_name().to_str().and_then(parse_name) else { continue };
        if entry.file_type()?.is_file() {
            found.push((at, entry.path()));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    Ok(found)
}

/// Which of `backups` (newest first) to delete, keeping the newest of each of the last
/// `daily` days and `weekly` ISO weeks that have a backup, and always `keep`.
pub fn to_delete(backups: &[(DateTime<Utc>, PathBuf)], daily: u32, weekly: u32, keep: &Path) -> Vec<PathBuf> {
    let mut kept: BTreeSet<&Path> = BTreeSet::from([keep]);
    let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
    let mut weeks: BTreeSet<(i32, u32)> = BTreeSet::new();
    for (at, path) in backups {
        let day = at.date_naive();
        if !days.contains(&day) && days.len() < daily as usize {
            days.insert(day);
            kept.insert(path);
        }
        let week = (at.iso_week().year(), at.iso_week().week());
        if !weeks.contains(&week) && weeks.len() < weekly as usize {
            weeks.insert(week);
            kept.insert(path);
        }
    }
    backups.iter().filter(|(_, path)| !kept.contains(path.as_path())).map(|(_, path)| path.clone()).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn backups(times: &[DateTime<Utc>]) -> Vec<(DateTime<Utc>, PathBuf)> {
        let mut list: Vec<_> =
            times.iter().map(|at| (*at, PathBuf::from(file_name(*at, Engine::Sqlite)))).collect();
        list.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        list
    }

    #[test]
    fn names_round_trip_and_other_files_are_not_backups() {
        let time = Utc.with_ymd_and_hms(2026, 12, 6, 10, 15, 0).unwrap();
        let name = file_name(time, Engine::Postgres);
        assert_eq!(name, "baseops-20261206T101500.000Z-postgres.tar");
        assert_eq!(parse_name(&name), Some(time));
        for other in [
            "baseops-20261206T101500.000Z-mysql.tar",
            "notes.txt",
            "baseops-x-sqlite.tar",
            "baseops-20261206T101500.000Z-sqlite.tar.partial",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }

    #[test]
    fn the_newest_of_each_day_and_week_is_kept_and_the_rest_deleted() {
        // Two a day from Nov 2 (Monday, week 45) to Nov 20 (Friday, week 47).
        let times: Vec<_> = (2..=20).flat_map(|day| [at(day, 1), at(day, 13)]).collect();
        let list = backups(&times);
        let newest = list[0].1.clone();
        let deleted = to_delete(&list, 3, 3, &newest);
        let kept: Vec<_> =
            list.iter().filter(|(_, path)| !deleted.contains(path)).map(|(at, _)| *at).collect();
        // Days 20, 19, 18 (13:00 each); week 46's newest is Nov 15 13:00, week 45's Nov 8 13:00.
        assert_eq!(kept, vec![at(20, 13), at(19, 13), at(18, 13), at(15, 13), at(8, 13)]);
    }

    #[test]
    fn the_backup_just_written_is_kept_even_with_no_retention() {
        let list = backups(&[at(3, 1), at(4, 1)]);
        let newest = list[0].1.clone();
        let deleted = to_delete(&list, 0, 0, &newest);
        assert_eq!(deleted, vec![list[1].1.clone()]);
    }
}
