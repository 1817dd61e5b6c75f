//! Recurrence rules: daily, weekly on given days, monthly on a day. Dates are computed in
//! UTC from the previous occurrence's due time, keeping its time of day.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest interval (every N days, weeks or months).
pub const MAX_INTERVAL: u32 = 365;

/// How often a task recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// Every `interval` days.
    Daily,
    /// On `weekdays`, every `interval` weeks.
    Weekly,
    /// On `day_of_month` (the month's last day when shorter), every `interval` months.
    Monthly,
}

/// A recurrence rule, as clients send it and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceRule {
    /// Daily, weekly or monthly.
    pub frequency: Frequency,
    /// Every how many days, weeks or months (1–365, default 1).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 365)]
    pub interval: u32,
    /// Weekly only: ISO weekday numbers, 1 = Monday … 7 = Sunday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = weekdays_schema)]
    pub weekdays: Vec<u8>,
    /// Monthly only: the day of the month, 1–31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 31)]
    pub day_of_month: Option<u8>,
}

/// `weekdays` as documented: a list of at most seven ISO weekday numbers, 1–7.
fn weekdays_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(7)))
        .max_items(Some(7))
        .description(Some("Weekly only: ISO weekday numbers, 1 = Monday … 7 = Sunday."))
        .build()
}

fn one() -> u32 {
    1
}

impl RecurrenceRule {
    /// What is wrong with the rule, as (field, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !(1..=MAX_INTERVAL).contains(&self.interval) {
            problems.push(("recurrence.interval", format!("must be 1 to {MAX_INTERVAL}")));
        }
        match self.frequency {
            Frequency::Weekly => {
                if self.weekdays.is_empty() || self.weekdays.iter().any(|day| !(1..=7).contains(day)) {
                    problems
                        .push(("recurrence.weekdays", "must list days 1 (Monday) to 7 (Sunday)".to_owned()));
                }
            }
            Frequency::Monthly => {
                if !self.day_of_month.is_some_and(|day| (1..=31).contains(&day)) {
                    problems.push(("recurrence.day_of_month", "must be 1 to 31".to_owned()));
                }
            }
            Frequency::Daily => {}
        }
        if self.frequency != Frequency::Weekly && !self.weekdays.is_empty() {
            problems.push(("recurrence.weekdays", "only for weekly rules".to_owned()));
        }
        if self.frequency != Frequency::Monthly && self.day_of_month.is_some() {
            problems.push(("recurrence.day_of_month", "only for monthly rules".to_owned()));
        }
        problems
    }

    /// The first occurrence strictly after `after`, at the same time of day.
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let interval = self.interval.clamp(1, MAX_INTERVAL);
        match self.frequency {
            Frequency::Daily => after + Duration::days(i64::from(interval)),
            Frequency::Weekly => {
                let week_of = |date: DateTime<Utc>| {
                    date.date_naive().num_days_from_ce() - date.weekday().num_days_from_monday() as i32
                };
                let start_week = week_of(after);
                (1..=i64::from(interval) * 7 + 7)
                    .map(|days| after + Duration::days(days))
                    .find(|candidate| {
                        let weeks = (week_of(*candidate) - start_week) / 7;
                        let day = u8::try_from(candidate.weekday().number_from_monday()).unwrap_or(0);
                        weeks % interval as i32 == 0 && self.weekdays.contains(&day)
                    })
                    .unwrap_or(after + Duration::weeks(i64::from(interval)))
            }
            Frequency::Monthly => {
                let first = after.date_naive().with_day(1).unwrap_or(after.date_naive());
                let month = first.checked_add_months(Months::new(interval)).unwrap_or(first);
                let wanted = u32::from(self.day_of_month.unwrap_or(1));
                let day = wanted.min(last_day_of_month(month));
                let date = month.with_day(day).unwrap_or(month);
                date.and_time(after.time()).and_utc()
            }
        }
    }
}

fn last_day_of_month(first: NaiveDate) -> u32 {
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    next.pred_opt().map_or(28, |last| last.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
    }

    #[test]
    fn daily_weekly_and_monthly_rules_step_forward() {
        let daily =
            RecurrenceRule { frequency: Frequency::Daily, interval: 2, weekdays: vec![], day_of_month: None };
        assert_eq!(daily.next_after(at(2026, 1, 30)), at(2026, 2, 1));

        // 2026-01-05 is a Monday.
        let weekly = RecurrenceRule {
            frequency: Frequency::Weekly,
            interval: 1,
            weekdays: vec![1, 3],
            day_of_month: None,
        };
        assert_eq!(weekly.next_after(at(2026, 1, 5)), at(2026, 1, 7));
        assert_eq!(weekly.next_after(at(2026, 1, 7)), at(2026, 1, 12));
        let fortnightly = RecurrenceRule { interval: 2, ..weekly.clone() };
        assert_eq!(fortnightly.next_after(at(2026, 1, 7)), at(2026, 1, 19));

        let monthly = RecurrenceRule {
            frequency: Frequency::Monthly,
            interval: 1,
            weekdays: vec![],
            day_of_month: Some(31),
        };
        assert_eq!(monthly.next_after(at(2026, 1, 31)), at(2026, 2, 28), "clamped to the month's end");
        assert_eq!(monthly.next_after(at(2026, 2, 28)), at(2026, 3, 31));
        assert_eq!(monthly.next_after(at(2026, 12, 31)), at(2027, 1, 31));
    }

    #[test]
    fn rules_are_checked() {
        let bad = RecurrenceRule {
            frequency: Frequency::Weekly,
            interval: 0,
            weekdays: vec![8],
            day_of_month: Some(3),
        };
        assert_eq!(bad.problems().len(), 3);
        let monthly = RecurrenceRule {
            frequency: Frequency::Monthly,
            interval: 1,
            weekdays: vec![],
            day_of_month: None,
        };
        assert_eq!(monthly.problems().len(), 1);
    }
}
