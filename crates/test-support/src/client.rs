//! A client of the API as a person uses it: anonymous, with a bearer token, or signed in with
//! the session cookie and its CSRF token, optionally choosing an organization.

use axum::body::Body;
use http::{Method, Request, header};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{TestApp, TestResponse};

/// The boundary of the multipart bodies [`Client::upload`] sends.
const BOUNDARY: &str = "baseopsTestBoundary7MA4YWxkTrZu0gW";

/// Who sends requests, and the credentials they carry.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// The user (nil for an anonymous client).
    pub user_id: Uuid,
    /// Their organization in this test (nil when none).
    pub organization_id: Uuid,
    /// Their e-mail address (empty for an anonymous client).
    pub email: String,
    /// A bearer token, sent as `Authorization: Bearer …`.
    pub token: Option<String>,
    /// The session cookie (`name=value`).
    pub cookie: Option<String>,
    /// The session's CSRF token, sent on unsafe methods.
    pub csrf: Option<String>,
    /// Sent as `X-Organization` (an id or a slug).
    pub organization: Option<String>,
}

impl Client {
    /// Nobody signed in.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Someone holding this bearer token.
    pub fn bearer(token: &str) -> Self {
        Self { token: Some(token.to_owned()), ..Self::default() }
    }

    /// The same client, choosing an organization with `X-Organization`.
    pub fn in_org(mut self, organization: impl ToString) -> Self {
        self.organization = Some(organization.to_string());
        self
    }

    /// The same client, without its CSRF token (to test the check).
    pub fn without_csrf(mut self) -> Self {
        self.csrf = None;
        self
    }

    /// Logs in through the API; the client carries the session when it succeeded.
    pub async fn login(app: &TestApp, email: &str, password: &str) -> (Self, TestResponse) {
        let body = json!({"email": email, "password": password});
        let response = Self::anonymous().post(app, "/api/v1/auth/login", body).await;
        let mut client = Self::anonymous();
        if response.status == 200 {
            let set_cookie = response.header("set-cookie").expect("a session cookie");
            client.cookie = set_cookie.split(';').next().map(str::to_owned);
            let body = response.json();
            client.csrf = body["csrf_token"].as_str().map(str::to_owned);
            client.email = email.to_owned();
            client.user_id = body["user"]["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or_default();
        }
        (client, response)
    }

    /// Logs in with [`crate::PASSWORD`], asserting it works.
    ///
    /// # Panics
    /// When the login is refused.
    pub async fn logged_in(app: &TestApp, email: &str) -> Self {
        let (client, response) = Self::login(app, email, crate::PASSWORD).await;
        assert_eq!(response.status, 200, "{}", response.text());
        client
    }

    /// Sends `method path` with an optional JSON body and extra headers.
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let request = self.request(method, path, headers);
        let request = match body {
            Some(body) => {
                request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()))
            }
            None => request.body(Body::empty()),
        };
        app.send(request.expect("a valid request")).await
    }

    /// A request with this client's credentials, for bodies the helpers don't cover.
    pub fn request(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> http::request::Builder {
        let mut request = Request::builder().method(method.clone()).uri(path);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let (Some(csrf), false) = (&self.csrf, safe) {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(organization) = &self.organization {
            request = request.header("x-organization", organization);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    }

    /// Posts an HTML form (`application/x-www-form-urlencoded`) as a browser does: the
    /// cookie, no `X-CSRF-Token` header — a console form carries its token as a field.
    pub async fn post_form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = self
            .clone()
            .without_csrf()
            .request(Method::POST, path, &[])
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("a valid request");
        app.send(request).await
    }

    /// `GET path`.
    pub async fn get(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Method::GET, path, None, &[]).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> TestResponse {
        self.send(app, Method::POST, path, Some(body), &[]).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, app: &TestApp, path: &str, body: Value) -> TestResponse {
        self.send(app, Method::PUT, path, Some(body), &[]).await
    }

    /// `PATCH path` with a JSON body, and `If-Match: "<version>"` when a version is given.
    pub async fn patch(&self, app: &TestApp, path: &str, body: Value, version: Option<i64>) -> TestResponse {
        let etag = version.map(|version| format!("\"{version}\""));
        let headers: Vec<(&str, &str)> = etag.iter().map(|etag| ("if-match", etag.as_str())).collect();
        self.send(app, Method::PATCH, path, Some(body), &headers).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Method::DELETE, path, None, &[]).await
    }

    /// `POST path` as `multipart/form-data`: the text `fields`, then `file` as the part named
    /// `file_field` with this file name and media type.
    pub async fn upload(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        file: (&str, &str, &[u8]),
    ) -> TestResponse {
        let (file_name, media_type, bytes) = file;
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\nContent-Type: {media_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = self
            .request(Method::POST, path, &[])
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(body))
            .expect("a valid request");
        app.send(request).await
    }

    /// Every item of a cursor-paginated list (`items`, `next_cursor`), following the cursors;
    /// `path` may carry a query already.
    ///
    /// # Panics
    /// When a page is not a 200 with that shape.
    pub async fn all_pages(&self, app: &TestApp, path: &str) -> Vec<Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_path = match &cursor {
                Some(cursor) => format!("{path}{separator}cursor={cursor}"),
                None => path.to_owned(),
            };
            let response = self.get(app, &page_path).await;
            assert_eq!(response.status, 200, "{}", response.text());
            let page = response.json();
            items.extend(page["items"].as_array().expect("a page of items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}
