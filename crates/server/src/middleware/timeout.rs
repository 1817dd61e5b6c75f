//! How long a request may take, and what the client is told when it took too long.
//!
//! Two limits: the whole request (`server.request_timeout_secs`), and the longest pause while
//! its body arrives (`server.body_timeout_secs`). Whose fault the wait was decides the answer:
//! a body that stalled, or was still arriving when time ran out, is the client's — 408
//! `request_timeout`; a request whose body had arrived but whose answer took too long is
//! ours — 503 `unavailable`. A body that stalls fails its read at once, so the handler (which
//! runs on in its own task, see `detach`) never waits the whole timeout on a silent client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_core::ApiError;
use futures_util::StreamExt;

/// The two limits, from the server settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// The whole request.
    pub(crate) request: Duration,
    /// The longest pause between two pieces of the body.
    pub(crate) body_idle: Duration,
}

const ARRIVING: u8 = 0;
const ARRIVED: u8 = 1;
const STALLED: u8 = 2;

/// How a request's body is arriving, and the signal that stops reading it.
struct BodyState {
    state: AtomicU8,
    /// Ends the body (with an error) when the request ran out of time: the connection can
    /// then close instead of reading a trickle for a handler that no one waits for.
    abandon: Notify,
}

pub(crate) async fn limit_time(State(timeouts): State<Timeouts>, request: Request, next: Next) -> Response {
    let body = Arc::new(BodyState { state: AtomicU8::new(ARRIVED), abandon: Notify::new() });
    let request = if request.body().is_end_stream() {
        request
    } else {
        body.state.store(ARRIVING, Ordering::Relaxed);
        request.map(|stream| timed(stream, timeouts.body_idle, Arc::clone(&body)))
    };
    let outcome = tokio::time::timeout(timeouts.request, next.run(request)).await;
    if outcome.is_err() {
        body.abandon.notify_one();
    }
    match (outcome, body.state.load(Ordering::Relaxed)) {
        (_, STALLED) | (Err(_), ARRIVING) => request_timeout(),
        (Ok(response), _) => response,
        (Err(_), _) => {
            ApiError::Unavailable("The request took too long; retry later.".to_owned()).into_response()
        }
    }
}

fn request_timeout() -> Response {
    let status = http::StatusCode::REQUEST_TIMEOUT;
    let mut response = status.into_response();
    response.extensions_mut().insert(baseops_core::Problem::for_status(status));
    // The client may still be sending: do not keep the connection to read the rest.
    response.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    response
}

/// `body`, failing its read when no piece arrives within `idle` or the request is abandoned;
/// `shared` says how it ended.
fn timed(body: Body, idle: Duration, shared: Arc<BodyState>) -> Body {
    let pieces = body.into_data_stream();
    let stream = futures_util::stream::unfold(Some(pieces), move |pieces| {
        let shared = Arc::clone(&shared);
        async move {
            let mut pieces = pieces?;
            let stalled = || {
                shared.state.store(STALLED, Ordering::Relaxed);
                Some((Err(axum::Error::new(std::io::Error::from(std::io::ErrorKind::TimedOut))), None))
            };
            tokio::select! {
                piece = tokio::time::timeout(idle, pieces.next()) => match piece {
                    Ok(Some(piece)) => Some((piece, Some(pieces))),
                    Ok(None) => {
                        shared.state.store(ARRIVED, Ordering::Relaxed);
                        None
                    }
                    Err(_) => stalled(),
                },
                () = shared.abandon.notified() => stalled(),
            }
        }
    });
    Body::from_stream(stream)
}
