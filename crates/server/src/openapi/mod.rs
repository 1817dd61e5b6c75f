//! The OpenAPI 3.1 document, generated from the handlers' annotations, completed with what
//! every operation shares ([`contract`]).

mod contract;

use axum::Router;
use baseops_app::Apps;
use baseops_core::{AppState, FieldErrors, Problem};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::platform;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "baseops API",
        description = "The JSON API of baseops. Errors are RFC 9457 problems (`application/problem+json`) with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem, FieldErrors)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "platform", description = "Health, readiness and metrics of the running process")
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The console's session; unsafe methods also need the X-CSRF-Token header.
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("baseops_session"))),
        );
    }
}

/// The router of every documented route and the document describing them.
/// With a state, the apps' API middleware wraps every API route (the document alone needs none).
pub(crate) fn routes_and_document(
    apps: &Apps,
    state: Option<&AppState>,
) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut api = OpenApiRouter::new();
    for app in apps.iter() {
        api = api.merge((app.api)());
    }
    if let Some(state) = state {
        for middleware in apps.api_middleware() {
            api = api.layer(axum::middleware::from_fn_with_state(state.clone(), middleware));
        }
    }
    let mut version = ApiDoc::openapi();
    version.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let (router, mut document) = OpenApiRouter::with_openapi(version)
        .routes(routes!(platform::health::healthz))
        .routes(routes!(platform::health::readyz))
        .routes(routes!(platform::metrics::metrics))
        .nest("/api/v1", api)
        .split_for_parts();
    contract::apply(&mut document);
    (router, document)
}

/// The OpenAPI document of baseops with these apps (what `/api/openapi.json` serves).
pub fn openapi_document(apps: &Apps) -> utoipa::openapi::OpenApi {
    routes_and_document(apps, None).1
}
