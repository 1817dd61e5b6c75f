//! The OpenAPI document of the whole build: every operation has a unique id, every response
//! a description, every authenticated operation names its security, every reference resolves
//! and every upload route exempt from the global body limit exists.

use std::collections::HashSet;

use serde_json::Value;

/// What a `$ref` (`#/components/…`) points to in the document.
fn resolve<'a>(document: &'a Value, target: &str) -> Option<&'a Value> {
    target
        .strip_prefix('#')
        .filter(|pointer| pointer.starts_with("/components/"))
        .and_then(|p| document.pointer(p))
}

/// The response itself, or the shared response in `components.responses` it refers to.
fn response_of<'a>(document: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(target) => resolve(document, target).unwrap_or_else(|| panic!("{target} is not defined")),
        None => response,
    }
}

#[test]
fn the_documents_operations_are_unique_described_and_secured() {
    let document =
        serde_json::to_value(baseops_server::openapi_document(&baseops::compose().unwrap())).unwrap();
    let mut ids = HashSet::new();
    let public = ["/healthz", "/readyz", "/metrics", "/api/v1/auth/login", "/api/v1/invitations/accept"];
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            for (status, response) in operation["responses"].as_object().unwrap() {
                let response = response_of(&document, response);
                assert!(response["description"].is_string(), "{method} {path} {status} has no description");
            }
            let open = public.contains(&path.as_str()) || path.starts_with("/api/v1/auth/");
            if !open {
                assert!(operation["security"].is_array(), "{method} {path} does not say how to authenticate");
            }
        }
    }
    assert!(ids.len() > 30, "only {} operations", ids.len());
}

/// Every `$ref` names a schema or a shared response the document defines (utoipa leaves a
/// dangling reference when a parameter's type is a schema that is not inlined).
#[test]
fn every_reference_resolves() {
    fn walk(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value.as_str()) {
                        ("$ref", Some(target)) => refs.push(target.to_owned()),
                        _ => walk(value, refs),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, refs)),
            _ => {}
        }
    }
    let document =
        serde_json::to_value(baseops_server::openapi_document(&baseops::compose().unwrap())).unwrap();
    let mut refs = Vec::new();
    walk(&document, &mut refs);
    assert!(refs.len() > 30, "only {} references", refs.len());
    for target in refs {
        assert!(
            target.starts_with("#/components/schemas/") || target.starts_with("#/components/responses/"),
            "{target} is neither a schema nor a shared response"
        );
        assert!(resolve(&document, &target).is_some_and(Value::is_object), "{target} is not defined");
    }
}

/// Every route an app exempts from the global body limit exists with that method: a typo in
/// a `LargeBody` would otherwise leave an upload at the global limit without a word.
#[test]
fn every_large_body_route_exists() {
    let apps = baseops::compose().unwrap();
    let document = serde_json::to_value(baseops_server::openapi_document(&apps)).unwrap();
    let routes: Vec<_> = apps.large_bodies().collect();
    assert!(routes.len() >= 2, "the lead import and the task attachment upload");
    // Console upload routes are not in the API document; the console's own tests post to them.
    for route in routes.into_iter().filter(|route| !route.is_console()) {
        let path = route.mounted_path();
        let method = route.method.to_lowercase();
        assert!(document["paths"][&path][&method].is_object(), "{} {path} is not a route", route.method);
    }
}
