//! The console's static files, compiled into the binary and served under names that carry a
//! hash of their content, so a browser may keep each one forever (`immutable`) and a new
//! release is fetched at once. Nothing is loaded from another host.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

/// One built-in file.
struct Source {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const SOURCES: &[Source] = &[
    Source {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/console.css"),
    },
    Source {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/console.js"),
    },
    // htmx 2 (BSD Zero Clause, see assets/htmx.LICENSE), unmodified from the npm package.
    Source {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/htmx.min.js"),
    },
];

/// A file with its hashed name (`console.3f2a9c1d0b.css`).
#[derive(Debug)]
pub struct Asset {
    /// The name it is served under.
    pub hashed: String,
    /// Its built-in name (`console.css`).
    pub name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

fn hashed_name(name: &str, body: &[u8]) -> String {
    let digest = hex::encode(&Sha256::digest(body)[..5]);
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
        None => format!("{name}.{digest}"),
    }
}

/// Every asset, hashed once.
pub fn all() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        SOURCES
            .iter()
            .map(|source| Asset {
                hashed: hashed_name(source.name, source.body),
                name: source.name,
                content_type: source.content_type,
                body: source.body,
            })
            .collect()
    })
}

/// The URL of the asset built in as `name`, for templates (`asset("console.css")`).
pub fn url(name: &str) -> Option<String> {
    all().iter().find(|asset| asset.name == name).map(|asset| format!("/admin/assets/{}", asset.hashed))
}

/// `GET /admin/assets/{file}`: a hashed name only; a year of `immutable` caching.
pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = all().iter().find(|asset| asset.hashed == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        assert_eq!(hashed_name("console.css", b"a"), "console.ca978112ca.css");
        assert_ne!(hashed_name("console.css", b"a"), hashed_name("console.css", b"b"));
        let css = url("console.css").unwrap();
        assert!(css.starts_with("/admin/assets/console.") && css.ends_with(".css"), "{css}");
        assert!(url("missing.css").is_none());
    }
}
