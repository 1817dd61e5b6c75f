//! Every request's work runs to its end, whatever happens to the client.
//!
//! hyper drops a request's future when its client disconnects. Dropped mid-way, a handler
//! could leave a database connection inside an open transaction (PostgreSQL showed it
//! `idle in transaction` for tens of seconds, and later statements of other requests ran
//! inside it), or half of a multi-step change done. So the rest of the stack runs in a task
//! of its own, which a disconnect does not cancel: the transaction commits or rolls back,
//! the connection goes back clean, and only the answer is lost.
//!
//! The task is also where a handler's panic is caught: it becomes a logged, counted 500
//! (with the request's id, in `errors.log` and `panics_total`), never a dropped connection.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_core::ApiError;
use tracing::Instrument;

pub(crate) async fn detach(request: Request, next: Next) -> Response {
    let span = tracing::Span::current();
    match tokio::spawn(next.run(request).instrument(span)).await {
        Ok(response) => response,
        Err(error) => {
            let cause = match error.try_into_panic() {
                Ok(payload) => baseops_telemetry::panic_message(payload.as_ref()),
                Err(error) => error.to_string(),
            };
            // The panic hook logged it with its location; this line ties it to the answer.
            tracing::error!(%cause, "a request's handler panicked");
            ApiError::internal(std::io::Error::other(cause)).into_response()
        }
    }
}
