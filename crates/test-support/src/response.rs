//! A fully read response, easy to assert on.

use axum::body::Body;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;

/// Status, headers and the whole body of a response.
#[derive(Debug)]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl TestResponse {
    pub(crate) async fn read(response: http::Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body reads").to_bytes().to_vec();
        Self { status: parts.status, headers: parts.headers, body }
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// When it is not JSON, showing the body.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as CSV rows, column → cell, parsed as a spreadsheet would read the file.
    ///
    /// # Panics
    /// When the body is not CSV with a header line.
    pub fn csv_rows(&self) -> Vec<std::collections::HashMap<String, String>> {
        let mut reader = csv::Reader::from_reader(self.body.as_slice());
        let headers = reader.headers().expect("a CSV header line").clone();
        reader
            .records()
            .map(|record| {
                let record = record.expect("a CSV record");
                headers.iter().map(str::to_owned).zip(record.iter().map(str::to_owned)).collect()
            })
            .collect()
    }

    /// The fields of the page's `<form id="{id}">`, as a browser would send them back.
    ///
    /// # Panics
    /// When the page has no such form.
    pub fn form(&self, id: &str) -> crate::FormFields {
        crate::FormFields::of(&self.text(), id)
    }

    /// The CSRF token a console page carries (`<meta name="csrf-token" content="…">`), for
    /// its forms' `csrf_token` field.
    ///
    /// # Panics
    /// When the page has none (a page of someone signed out, or not a console page).
    pub fn csrf_token(&self) -> String {
        csrf_token_in(&self.text())
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and code, and returns its body.
    ///
    /// # Panics
    /// When the status, the content type or the code differ.
    pub fn assert_problem(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text());
        assert_eq!(self.header("content-type"), Some(baseops_core::PROBLEM_CONTENT_TYPE), "{}", self.text());
        let problem = self.json();
        assert_eq!(problem["code"], code, "{problem}");
        assert_eq!(problem["status"], status, "{problem}");
        assert_eq!(problem["type"], format!("urn:baseops:problem:{code}"));
        assert!(problem["title"].as_str().is_some_and(|title| !title.is_empty()), "{problem}");
        assert!(problem["detail"].as_str().is_some_and(|detail| !detail.is_empty()), "{problem}");
        let request_id = self.header("x-request-id").expect("x-request-id header");
        assert_eq!(problem["request_id"], request_id, "the problem names the request");
        problem
    }
}

/// The CSRF token in a console page's HTML (`<meta name="csrf-token" content="…">`).
///
/// # Panics
/// When the page has none.
pub fn csrf_token_in(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("a console page with a csrf-token meta tag") + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_owned()
}
