//! The dashboard at `/admin/dashboard`: KPI cards and charts drawn from `analytics_daily`
//! alone, so it costs the same on a thousand leads as on a million; the signed-in person's
//! own work loads into it afterwards from `/admin/work`, as on the home page. It needs
//! `analytics.view`; without it the page is 403 and a person's own work is on the home page.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::chart::{Chart, bars};
use crate::metric;
use crate::permission::ANALYTICS_VIEW;
use crate::selector::{KpiSeries, kpis};

/// What the analytics app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[ConsolePage { path: "dashboard", title: "Dashboard", permission: Some(ANALYTICS_VIEW) }],
    routes,
    templates: &[("analytics/dashboard.html", include_str!("../templates/analytics/dashboard.html"))],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new().route("/admin/dashboard", get(dashboard))
}

/// Days the daily chart and the 30-day cards cover.
const DAYS: i64 = 30;
/// Weeks the tasks chart covers.
const WEEKS: i64 = 12;

/// A sum in one currency.
#[derive(Debug, Serialize)]
struct Amount {
    currency: String,
    amount: i64,
}

/// One line of the conversion table.
#[derive(Debug, Default, Serialize)]
struct Conversion {
    month: String,
    source: String,
    new: i64,
    won: i64,
    lost: i64,
    converted: i64,
    /// Won of those closed, in whole percent; `None` when none closed.
    win_rate: Option<i64>,
}

/// The dashboard's figures, worked out from the series.
#[derive(Debug, Serialize)]
struct Dashboard {
    snapshot_day: Option<NaiveDate>,
    open_value: Vec<Amount>,
    open_count: i64,
    new_leads: i64,
    won: i64,
    tasks_completed: i64,
    tasks_overdue: i64,
    conversions: Vec<Conversion>,
    stage_currency: String,
    daily: Chart,
    stages: Chart,
    weekly: Chart,
}

fn sum_since(series: &[KpiSeries], metric: &str, since: NaiveDate) -> i64 {
    series
        .iter()
        .filter(|one| one.metric == metric)
        .flat_map(|one| one.points.iter())
        .filter(|point| point.day >= since)
        .map(|point| point.value)
        .sum()
}

fn build(series: &[KpiSeries], today: NaiveDate) -> Dashboard {
    let since = today - TimeDelta::days(DAYS - 1);
    // Snapshots are taken per day; the newest day that has one is the current state.
    let snapshot_day = series
        .iter()
        .filter(|one| metric::SNAPSHOTS.contains(&one.metric.as_str()))
        .flat_map(|one| one.points.iter().map(|point| point.day))
        .max();
    let at = |metric_name: &str| -> Vec<(&KpiSeries, i64)> {
        series
            .iter()
            .filter(|one| one.metric == metric_name)
            .filter_map(|one| {
                one.points
                    .iter()
                    .find(|point| Some(point.day) == snapshot_day)
                    .map(|point| (one, point.value))
            })
            .collect()
    };
    let mut open_value: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_stage: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (one, amount) in at(metric::PIPELINE_OPEN_VALUE) {
        *open_value.entry(one.currency.clone()).or_default() += amount;
        *by_stage.entry(one.currency.clone()).or_default().entry(one.dimension.clone()).or_default() +=
            amount;
    }
    let open_count = at(metric::PIPELINE_OPEN_COUNT).iter().map(|(_, count)| count).sum();
    let tasks_overdue = at(metric::TASKS_OVERDUE).iter().map(|(_, count)| count).sum();
    // The chart shows the currency holding the most; the cards list every currency.
    let stage_currency = open_value
        .iter()
        .max_by_key(|(_, amount)| **amount)
        .map(|(code, _)| code.clone())
        .unwrap_or_default();
    let mut stage_bars: Vec<(String, Vec<i64>)> = by_stage
        .remove(&stage_currency)
        .unwrap_or_default()
        .into_iter()
        .map(|(stage, amount)| (stage, vec![amount]))
        .collect();
    stage_bars.sort_by(|a, b| b.1.cmp(&a.1));

    let mut per_day: BTreeMap<NaiveDate, i64> =
        (0..DAYS).map(|offset| (since + TimeDelta::days(offset), 0)).collect();
    for one in series.iter().filter(|one| one.metric == metric::LEADS_NEW) {
        for point in &one.points {
            if let Some(total) = per_day.get_mut(&point.day) {
                *total += point.value;
            }
        }
    }
    let daily = bars(
        "new-leads",
        "New leads per day",
        &format!("New leads on each of the last {DAYS} days, {} in all.", per_day.values().sum::<i64>()),
        &["New leads"],
        per_day.into_iter().map(|(day, total)| (day.format("%m-%d").to_string(), vec![total])).collect(),
    );
    let stages = bars(
        "pipeline",
        "Open pipeline value by stage",
        &format!("The value of open leads in each stage, in {stage_currency}."),
        &["Value"],
        stage_bars,
    );

    let first_monday = today
        - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()))
        - TimeDelta::weeks(WEEKS - 1);
    let mut weeks: BTreeMap<NaiveDate, (i64, Option<(NaiveDate, i64)>)> =
        (0..WEEKS).map(|offset| (first_monday + TimeDelta::weeks(offset), (0, None))).collect();
    let week_of = |day: NaiveDate| day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()));
    for one in series {
        for point in &one.points {
            let Some(week) = weeks.get_mut(&week_of(point.day)) else { continue };
            if one.metric == metric::TASKS_COMPLETED {
                week.0 += point.value;
            } else if one.metric == metric::TASKS_OVERDUE && week.1.is_none_or(|(day, _)| day <= point.day) {
                week.1 = Some((point.day, point.value));
            }
        }
    }
    let weekly = bars(
        "tasks-weekly",
        "Tasks completed and overdue per week",
        &format!(
            "Tasks completed in each of the last {WEEKS} weeks, and how many were overdue at the week's last snapshot."
        ),
        &["Completed", "Overdue"],
        weeks
            .into_iter()
            .map(|(monday, (done, overdue))| {
                (monday.format("%m-%d").to_string(), vec![done, overdue.map_or(0, |(_, count)| count)])
            })
            .collect(),
    );

    let mut conversions: BTreeMap<(String, String), Conversion> = BTreeMap::new();
    for one in series {
        let field: fn(&mut Conversion) -> &mut i64 = match one.metric.as_str() {
            metric::LEADS_NEW => |row| &mut row.new,
            metric::LEADS_WON => |row| &mut row.won,
            metric::LEADS_LOST => |row| &mut row.lost,
            metric::LEADS_CONVERTED => |row| &mut row.converted,
            _ => continue,
        };
        for point in &one.points {
            let month = format!("{}-{:02}", point.day.year(), point.day.month());
            let row = conversions.entry((month.clone(), one.dimension.clone())).or_insert_with(|| {
                Conversion { month, source: one.dimension.clone(), ..Conversion::default() }
            });
            *field(row) += point.value;
        }
    }
    let mut conversions: Vec<Conversion> = conversions.into_values().rev().collect();
    for row in &mut conversions {
        let closed = row.won + row.lost;
        row.win_rate = (closed > 0).then(|| row.won * 100 / closed);
    }

    Dashboard {
        snapshot_day,
        open_value: open_value.into_iter().map(|(currency, amount)| Amount { currency, amount }).collect(),
        open_count,
        new_leads: sum_since(series, metric::LEADS_NEW, since),
        won: sum_since(series, metric::LEADS_WON, since),
        tasks_completed: sum_since(series, metric::TASKS_COMPLETED, since),
        tasks_overdue,
        conversions,
        stage_currency,
        daily,
        stages,
        weekly,
    }
}

async fn dashboard(State(state): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    if !signed.can(ANALYTICS_VIEW) {
        return Err(ApiError::Forbidden.into());
    }
    let organization_id = signed.ctx.organization_id()?;
    let today = Utc::now().date_naive();
    let from = today - TimeDelta::weeks(WEEKS) - TimeDelta::days(7);
    let series = kpis(state.db().read(), organization_id, from, today).await.map_err(ApiError::from)?;
    let dashboard = build(&series, today);
    Ok(signed.page(
        "analytics/dashboard.html",
        vec![Crumb::here("Dashboard")],
        context! { d => value(&dashboard) },
    ))
}
