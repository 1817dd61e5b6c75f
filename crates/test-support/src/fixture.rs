//! A small app that exists only in tests, to exercise the platform's mechanisms (JSON input
//! errors, timeouts, panics, migrations) through the real middleware stack.

use std::time::Duration;

use axum::extract::State;
use baseops_app::{App, LargeBody};
use baseops_core::{ApiError, AppState, Json, Origin, Query};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The fixture app: routes under `/api/v1/fixture`, one migration creating `fixture_notes`.
pub fn fixture_app() -> App {
    App::new("fixture").with_api(api).with_migrations(migrations).with_large_bodies(&[LargeBody {
        method: "POST",
        path: "/fixture/upload",
        limit: |settings| settings.server.body_limit_bytes * 4,
    }])
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(echo))
        .routes(routes!(slow))
        .routes(routes!(panic))
        .routes(routes!(note_count))
        .routes(routes!(slow_write))
        .routes(routes!(upload))
}

fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateFixtureNotes)]
}

/// The body `echo` accepts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EchoInput {
    /// Any text.
    pub name: String,
    /// A small number.
    pub count: u32,
}

/// Echoes a valid body back; rejects a blank name with 422.
#[utoipa::path(post, path = "/fixture/echo", request_body = EchoInput, responses((status = 200, description = "The input, trimmed", body = EchoInput)))]
async fn echo(origin: Origin, Json(input): Json<EchoInput>) -> Result<Json<EchoInput>, ApiError> {
    if input.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be blank"));
    }
    tracing::info!(request_id = %origin.request_id, "echo");
    Ok(Json(input))
}

/// How long `slow` sleeps.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct Delay {
    /// Milliseconds.
    ms: u64,
}

/// Counts the bytes of any body: a route declared to take four times the global body limit.
#[utoipa::path(post, path = "/fixture/upload", request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, description = "The body's length", body = usize)))]
async fn upload(body: axum::body::Bytes) -> Json<usize> {
    Json(body.len())
}

/// Answers after `ms` milliseconds.
#[utoipa::path(get, path = "/fixture/slow", params(Delay), responses((status = 200, description = "Done waiting", body = String)))]
async fn slow(Query(delay): Query<Delay>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(delay.ms)).await;
    "done"
}

/// Panics, as a bug would.
#[utoipa::path(get, path = "/fixture/panic", responses((status = 500, description = "Always")))]
async fn panic() -> &'static str {
    panic!("fixture panic with a secret detail")
}

/// Inserts a note with this id in a transaction that stays open `ms` milliseconds before it
/// commits: a request a client may abandon mid-transaction.
#[utoipa::path(post, path = "/fixture/notes/slow", params(SlowWrite), responses((status = 200, description = "Committed", body = i64)))]
async fn slow_write(
    State(state): State<AppState>,
    Query(write): Query<SlowWrite>,
) -> Result<Json<i64>, ApiError> {
    use sea_orm::TransactionTrait;
    let db = state.db().write();
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "INSERT INTO fixture_notes (id, body) VALUES ($1, 'slow')",
            _ => "INSERT INTO fixture_notes (id, body) VALUES (?, 'slow')",
        },
        [write.id.into()],
    ))
    .await?;
    tokio::time::sleep(Duration::from_millis(write.ms)).await;
    txn.commit().await?;
    Ok(Json(write.id))
}

/// The note `slow_write` inserts, and how long its transaction stays open.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct SlowWrite {
    /// The note's id.
    id: i64,
    /// Milliseconds.
    ms: u64,
}

/// Counts rows of the migrated table, through the read pool.
#[utoipa::path(get, path = "/fixture/notes/count", responses((status = 200, description = "Number of notes", body = i64)))]
async fn note_count(State(state): State<AppState>) -> Result<Json<i64>, ApiError> {
    let db = state.db().read();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM fixture_notes",
        ))
        .await?
        .ok_or_else(|| ApiError::internal(std::io::Error::other("no row")))?;
    Ok(Json(row.try_get::<i64>("", "n")?))
}

#[derive(DeriveIden)]
enum FixtureNotes {
    Table,
    Id,
    Body,
}

struct CreateFixtureNotes;

impl MigrationName for CreateFixtureNotes {
    fn name(&self) -> &str {
        "fixture_0001_create_notes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateFixtureNotes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FixtureNotes::Table)
                    .col(ColumnDef::new(FixtureNotes::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(FixtureNotes::Body).string_len(200).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FixtureNotes::Table).to_owned()).await
    }
}
