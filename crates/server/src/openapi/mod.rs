//! The OpenAPI 3.1 document, generated from the handlers' annotations, completed with what
//! every operation shares ([`contract`]).

mod contract;
mod permissions;
mod text;

use axum::Router;
use baseops_app::Apps;
use baseops_core::{AppState, FieldErrors, Problem};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::platform;

#[cfg(test)]
mod tests;

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
    let mut schemas = SchemaNames::default();
    for app in apps.iter() {
        let routes = (app.api)();
        schemas.add(app.name, &routes.get_openapi().components);
        api = api.merge(routes);
    }
    if let Err(collisions) = schemas.check() {
        // Merging keeps one schema of each name: a client generated from the document
        // would send the wrong body to, or misread, the other app's operations.
        panic!("{collisions}");
    }
    if let Some(state) = state {
        for middleware in apps.api_middleware() {
            // Around the routes only: a method a path does not have stays a plain 405.
            api = api.route_layer(axum::middleware::from_fn_with_state(state.clone(), middleware));
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
    text::apply(&mut document);
    let registry = apps.permissions();
    let names: Vec<&str> = registry.permissions().iter().map(|permission| permission.name).collect();
    permissions::apply(&mut document, &names);
    (router, document)
}

/// The schema names the apps' documents define, to find two apps defining one name
/// differently.
#[derive(Default)]
struct SchemaNames {
    /// Name → (the first app defining it, its definition).
    seen: std::collections::BTreeMap<String, (&'static str, serde_json::Value)>,
    collisions: Vec<String>,
}

impl SchemaNames {
    fn add(&mut self, app: &'static str, components: &Option<utoipa::openapi::Components>) {
        let Some(components) = components else { return };
        for (name, schema) in &components.schemas {
            let definition = serde_json::to_value(schema).unwrap_or_default();
            match self.seen.get(name) {
                Some((first, seen)) if *seen != definition => {
                    self.collisions.push(format!("`{name}` (apps {first} and {app})"));
                }
                Some(_) => {}
                None => {
                    self.seen.insert(name.clone(), (app, definition));
                }
            }
        }
    }

    fn check(self) -> Result<(), String> {
        if self.collisions.is_empty() {
            return Ok(());
        }
        Err(format!(
            "two apps define OpenAPI schemas of the same name differently: {}; name one of them \
             apart with #[schema(as = ...)]",
            self.collisions.join(", ")
        ))
    }
}

/// The OpenAPI document of baseops with these apps (what `/api/openapi.json` serves).
pub fn openapi_document(apps: &Apps) -> utoipa::openapi::OpenApi {
    routes_and_document(apps, None).1
}
