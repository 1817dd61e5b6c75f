//! Responses streamed chunk by chunk (CSV exports): the one way to build them, so that every
//! streamed response survives the layers around it.
//!
//! - The chunk stream is fused: a layer that polls a body again after its end (the gzip
//!   encoder does, to flush) sees the end again instead of a stream that panics when polled
//!   after it finished — that panic killed the connection mid-export for every browser.
//! - A chunk that fails ends the body with an error, which aborts the response: the client
//!   sees a cut transfer (no final chunk), never a shorter file that looks complete.

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, header};

/// A `200` whose body is `chunks`, with this content type and, for a download, file name.
pub fn streamed<S>(content_type: &'static str, file_name: Option<&'static str>, chunks: S) -> Response
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    let mut response = Body::from_stream(chunks.fuse()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(name) = file_name
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
