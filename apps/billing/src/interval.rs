//! How often a recurring price bills: every `count` days, weeks, months or years, counted
//! from an anchor so months never drift (an anchor on 31 January bills 28 February, then
//! 31 March).

use chrono::{DateTime, Days, Months, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The unit of a billing interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Days.
    Day,
    /// Weeks of 7 days.
    Week,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl Interval {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    /// The interval named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Day, Self::Week, Self::Month, Self::Year].into_iter().find(|unit| unit.as_str() == text)
    }

    /// The most of this unit one interval may span: three years.
    pub fn max_count(self) -> i32 {
        match self {
            Self::Day => 1_095,
            Self::Week => 156,
            Self::Month => 36,
            Self::Year => 3,
        }
    }
}

/// Every `count` `unit`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    /// The unit.
    pub unit: Interval,
    /// How many of it (1 to [`Interval::max_count`]).
    pub count: i32,
}

impl Recurrence {
    /// The start of period `n` (0 is the first) of a subscription anchored at `anchor`;
    /// `None` past the calendar's end or for a negative `n`.
    pub fn boundary(self, anchor: DateTime<Utc>, n: i32) -> Option<DateTime<Utc>> {
        let steps = u32::try_from(n).ok()?.checked_mul(u32::try_from(self.count).ok()?)?;
        match self.unit {
            Interval::Day => anchor.checked_add_days(Days::new(u64::from(steps))),
            Interval::Week => anchor.checked_add_days(Days::new(u64::from(steps) * 7)),
            Interval::Month => anchor.checked_add_months(Months::new(steps)),
            Interval::Year => anchor.checked_add_months(Months::new(steps.checked_mul(12)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::{Interval, Recurrence};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn months_count_from_the_anchor_and_never_drift() {
        let monthly = Recurrence { unit: Interval::Month, count: 1 };
        let anchor = at("2026-01-31T10:00:00Z");
        let starts: Vec<_> = (0..4).map(|n| monthly.boundary(anchor, n).unwrap()).collect();
        assert_eq!(
            starts,
            [
                at("2026-01-31T10:00:00Z"),
                at("2026-02-28T10:00:00Z"),
                at("2026-03-31T10:00:00Z"),
                at("2026-04-30T10:00:00Z")
            ]
        );
        let leap = Recurrence { unit: Interval::Year, count: 1 }.boundary(at("2028-02-29T00:00:00Z"), 1);
        assert_eq!(leap, Some(at("2029-02-28T00:00:00Z")));
    }

    #[test]
    fn days_and_weeks_are_exact_and_bad_periods_are_none() {
        let fortnight = Recurrence { unit: Interval::Week, count: 2 };
        assert_eq!(fortnight.boundary(at("2026-12-06T00:00:00Z"), 3), Some(at("2027-01-17T00:00:00Z")));
        let daily = Recurrence { unit: Interval::Day, count: 1 };
        assert_eq!(daily.boundary(at("2026-12-31T23:59:59Z"), 1), Some(at("2027-01-01T23:59:59Z")));
        assert_eq!(daily.boundary(at("2026-12-31T23:59:59Z"), -1), None);
        let yearly = Recurrence { unit: Interval::Year, count: 3 };
        assert_eq!(yearly.boundary(at("2026-01-01T00:00:00Z"), i32::MAX), None);
        for unit in [Interval::Day, Interval::Week, Interval::Month, Interval::Year] {
            assert_eq!(Interval::parse(unit.as_str()), Some(unit));
        }
    }
}
