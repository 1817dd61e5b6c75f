//! `Idempotency-Key` for every write of the API, in one place: a client that sends the
//! header on a `POST`, `PUT`, `PATCH` or `DELETE` may retry after a lost answer and gets the
//! first answer again instead of a second change.
//!
//! Before the handler runs, the key is claimed for (organization, principal, route): a row
//! holding the request's SHA-256 and no answer yet. The handler runs; its answer (status,
//! `Content-Type`, `Location`, `ETag`, body) is stored on the row — or the row is deleted
//! when the answer is a 5xx, so that a retry runs again. Later requests with the key:
//!
//! - same request, answer stored: the stored answer, with `Idempotency-Replayed: true`;
//! - same request, no answer yet (the first is still running): 409 `idempotency_key_busy`;
//! - another request (method, route, path, query or body differ): 422 `idempotency_key_reused`.
//!
//! The answer is stored after the handler's transaction committed. Should the process die
//! before that, the claim has no answer, and the request's id (stored with the claim) says
//! what happened: every write records its audit event in its own transaction, so once the
//! claim is older than any request can run ([`lease`]), the audit trail
//! ([`baseops_core::trail`]) decides —
//!
//! - no event of that request: nothing committed; the retry takes the claim over and runs;
//! - an event: the change stands but its answer is lost; the key stays busy until it expires
//!   ([`RETENTION`]), the client sees 409 and reads the resource instead of creating it twice.
//!
//! Routes whose service claims the key inside its own transaction
//! (`App::idempotent_in_service`: creating a lead or a task) are exactly-once with their
//! answer even then; this layer leaves them to their service.
//! Unauthenticated requests pass through: the handler answers them.

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_app::Apps;
use baseops_core::{ApiError, AppState, Principal, RequestId};
use chrono::Utc;
use http::{HeaderValue, Method, header};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::claim::RETENTION;
use crate::header::IdempotencyKey;
use crate::model::idempotent_request;

/// The header telling a client it got a stored answer.
pub const REPLAYED_HEADER: &str = "idempotency-replayed";

/// Largest answer stored for a replay; a larger one is answered once and its key released.
pub const MAX_STORED_BODY: usize = 1024 * 1024;

/// The response headers a replay repeats.
const KEPT_HEADERS: [header::HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// The API middleware the idempotency app installs.
pub(crate) fn layer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> futures_util::future::BoxFuture<'static, Response> {
    Box::pin(async move {
        match handle(state, request, next).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    })
}

async fn handle(state: AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let method = request.method().clone();
    let writes = matches!(method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let values = request.headers().get_all("idempotency-key").iter().count();
    if !writes || values == 0 {
        return Ok(next.run(request).await);
    }
    let route =
        request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned()).unwrap_or_default();
    let in_service = state.extension::<Apps>().is_some_and(|apps| {
        apps.is_idempotent_in_service(method.as_str(), route.trim_start_matches("/api/v1"))
    });
    if in_service {
        return Ok(next.run(request).await);
    }
    let (mut parts, body) = request.into_parts();
    let key =
        <IdempotencyKey as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
            .await?
            .0
            .unwrap_or_default();
    let Some(principal) = authenticate(&state, &mut parts).await? else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| ApiError::PayloadTooLarge)?;
    let hash = request_hash(&method, &route, parts.uri.path_and_query().map_or("", |pq| pq.as_str()), &bytes);
    let id = RowId {
        organization_id: principal.organization_id.unwrap_or(Uuid::nil()),
        principal: principal.actor.id().unwrap_or_default(),
        endpoint: format!("{method} {route}"),
        key,
        request_id: parts.extensions.get::<RequestId>().map(|id| id.as_str().to_owned()),
    };
    if let Some(answer) = claim(&state, &id, &hash).await? {
        return Ok(answer);
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    store(&state, &id, response).await
}

/// The request's principal, put where the handler's `RequestContext` finds it, so the
/// request is authenticated once.
async fn authenticate(
    state: &AppState,
    parts: &mut http::request::Parts,
) -> Result<Option<Principal>, ApiError> {
    if let Some(principal) = parts.extensions.get::<Principal>() {
        return Ok(Some(principal.clone()));
    }
    let Some(authenticator) = state.authenticator() else { return Ok(None) };
    // A refused credential is the handler's to answer (401, 403 for CSRF), unchanged.
    let Ok(Some(principal)) = authenticator.authenticate(state, parts).await else { return Ok(None) };
    parts.extensions.insert(principal.clone());
    Ok(Some(principal))
}

struct RowId {
    organization_id: Uuid,
    principal: String,
    endpoint: String,
    key: String,
    /// The request claiming the key.
    request_id: Option<String>,
}

/// How long an unanswered claim may belong to a request that still runs: twice the request
/// timeout and a minute (a handler finishes its transaction after its client left). After
/// that, the request is over, answered or not.
pub fn lease(state: &AppState) -> chrono::Duration {
    let timeout = i64::try_from(state.settings().server.request_timeout_secs).unwrap_or(i64::MAX / 4);
    chrono::Duration::seconds(timeout.saturating_mul(2).saturating_add(60))
}

fn request_hash(method: &Method, route: &str, path_and_query: &str, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_str().as_bytes(), route.as_bytes(), path_and_query.as_bytes()] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.update(body);
    hex::encode(hasher.finalize())
}

impl RowId {
    /// The condition naming this row.
    fn matches(&self) -> Condition {
        Condition::all()
            .add(idempotent_request::Column::OrganizationId.eq(self.organization_id))
            .add(idempotent_request::Column::Principal.eq(self.principal.as_str()))
            .add(idempotent_request::Column::Endpoint.eq(self.endpoint.as_str()))
            .add(idempotent_request::Column::Key.eq(self.key.as_str()))
    }
}

/// Claims the key; `Some` answer when the request must not run (a replay or a refusal).
async fn claim(state: &AppState, id: &RowId, hash: &str) -> Result<Option<Response>, ApiError> {
    let db = state.db().write();
    let now = Utc::now();
    // An expired row is free again; the purge job may not have run yet.
    idempotent_request::Entity::delete_many()
        .filter(id.matches())
        .filter(idempotent_request::Column::CreatedAt.lt(now - RETENTION))
        .exec(db)
        .await?;
    let row = idempotent_request::ActiveModel {
        organization_id: Set(id.organization_id),
        principal: Set(id.principal.clone()),
        endpoint: Set(id.endpoint.clone()),
        key: Set(id.key.clone()),
        request_hash: Set(hash.to_owned()),
        status: Set(None),
        headers: Set(None),
        body: Set(None),
        created_at: Set(now),
        request_id: Set(id.request_id.clone()),
    };
    let inserted = idempotent_request::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                idempotent_request::Column::OrganizationId,
                idempotent_request::Column::Principal,
                idempotent_request::Column::Endpoint,
                idempotent_request::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let Some(existing) = idempotent_request::Entity::find().filter(id.matches()).one(db).await? else {
        return Err(busy());
    };
    if existing.request_hash != hash {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            detail: "This Idempotency-Key was used with another request; use a new key for a new request."
                .into(),
        });
    }
    if let (Some(status), Some(body)) = (existing.status, existing.body.clone()) {
        return Ok(Some(replay(status, existing.headers.as_deref(), body)));
    }
    if existing.created_at < now - lease(state) && take_over(state, id, &existing).await? {
        return Ok(None);
    }
    Err(busy())
}

/// Takes an abandoned claim over for this request when the audit trail shows that its
/// request committed nothing; `false` when it did, when that cannot be known, or when
/// another retry took it first.
async fn take_over(
    state: &AppState,
    id: &RowId,
    existing: &idempotent_request::Model,
) -> Result<bool, ApiError> {
    let (Some(trail), Some(previous)) = (baseops_core::trail::trail(state), existing.request_id.as_deref())
    else {
        return Ok(false);
    };
    let db = state.db().write();
    let organization = Some(id.organization_id).filter(|id| !id.is_nil());
    // The claim is written before the handler runs, so its events come after it.
    if trail.recorded_request(db.into(), organization, previous, existing.created_at).await? {
        return Ok(false);
    }
    let taken = idempotent_request::Entity::update_many()
        .col_expr(idempotent_request::Column::RequestId, id.request_id.clone().into())
        .col_expr(idempotent_request::Column::CreatedAt, Utc::now().into())
        .filter(id.matches())
        .filter(idempotent_request::Column::RequestId.eq(previous))
        .filter(idempotent_request::Column::Status.is_null())
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        tracing::warn!(previous, "idempotency: a request that died before committing is run again");
    }
    Ok(taken.rows_affected == 1)
}

fn busy() -> ApiError {
    ApiError::Conflict {
        code: "idempotency_key_busy",
        detail: "A request with this Idempotency-Key has not finished (or its outcome was lost); \
                 read the resource, or retry later."
            .into(),
    }
}

fn replay(status: i32, headers: Option<&str>, body: Vec<u8>) -> Response {
    let status = u16::try_from(status).ok().and_then(|code| http::StatusCode::from_u16(code).ok());
    let mut response = (status.unwrap_or(http::StatusCode::OK), body).into_response();
    let kept: Vec<(String, String)> =
        headers.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
    for (name, value) in kept {
        if let (Ok(name), Ok(value)) =
            (header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value))
        {
            response.headers_mut().insert(name, value);
        }
    }
    response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

/// Stores the answer for replays (or releases the key after a 5xx or an answer too large to
/// keep), and returns it.
async fn store(state: &AppState, id: &RowId, response: Response) -> Result<Response, ApiError> {
    let (parts, body) = response.into_parts();
    // Write answers are small JSON documents; none is streamed.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|error| ApiError::internal(std::io::Error::other(error.to_string())))?;
    if parts.status.is_server_error() || bytes.len() > MAX_STORED_BODY {
        release(state, id).await?;
        return Ok(Response::from_parts(parts, Body::from(bytes)));
    }
    let kept: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            Some((name.as_str().to_owned(), parts.headers.get(name)?.to_str().ok()?.to_owned()))
        })
        .collect();
    idempotent_request::Entity::update_many()
        .col_expr(idempotent_request::Column::Status, i32::from(parts.status.as_u16()).into())
        .col_expr(idempotent_request::Column::Headers, serde_json::to_string(&kept).ok().into())
        .col_expr(idempotent_request::Column::Body, Some(bytes.to_vec()).into())
        .filter(id.matches())
        .exec(state.db().write())
        .await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

async fn release(state: &AppState, id: &RowId) -> Result<(), ApiError> {
    idempotent_request::Entity::delete_many().filter(id.matches()).exec(state.db().write()).await?;
    Ok(())
}
