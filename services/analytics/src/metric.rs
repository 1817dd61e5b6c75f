//! The metrics of `analytics_daily`. Counts are per day; snapshots are the state at the
//! last aggregation of that day.

/// New leads, by source.
pub const LEADS_NEW: &str = "leads.new";
/// Leads won, by source.
pub const LEADS_WON: &str = "leads.won";
/// Leads lost, by source.
pub const LEADS_LOST: &str = "leads.lost";
/// Won leads converted into customers, by source.
pub const LEADS_CONVERTED: &str = "leads.converted";
/// Tasks created.
pub const TASKS_CREATED: &str = "tasks.created";
/// Tasks completed.
pub const TASKS_COMPLETED: &str = "tasks.completed";
/// Snapshot: open leads' value by stage, per currency (minor units).
pub const PIPELINE_OPEN_VALUE: &str = "pipeline.open_value";
/// Snapshot: open leads by stage.
pub const PIPELINE_OPEN_COUNT: &str = "pipeline.open_count";
/// Snapshot: open tasks past their due time.
pub const TASKS_OVERDUE: &str = "tasks.overdue";
/// The snapshot metrics, which only today's aggregation takes.
pub const SNAPSHOTS: &[&str] = &[PIPELINE_OPEN_VALUE, PIPELINE_OPEN_COUNT, TASKS_OVERDUE];
