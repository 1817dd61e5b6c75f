//! The OpenAPI document of the whole build: every operation has a unique id, every response
//! a description, every authenticated operation names its security, every reference resolves
//! and every upload route exempt from the global body limit exists.

use std::collections::HashSet;

#[test]
fn the_documents_operations_are_unique_described_and_secured() {
    let document = serde_json::to_value(baseops_server::openapi_document(&baseops::apps())).unwrap();
    let mut ids = HashSet::new();
    let public = ["/healthz", "/readyz", "/metrics", "/api/v1/auth/login", "/api/v1/invitations/accept"];
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            for (status, response) in operation["responses"].as_object().unwrap() {
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

/// Every `$ref` names a schema the document defines (utoipa leaves a dangling reference when a
/// parameter's type is a schema that is not inlined).
#[test]
fn every_reference_resolves() {
    fn walk(value: &serde_json::Value, refs: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value.as_str()) {
                        ("$ref", Some(target)) => refs.push(target.to_owned()),
                        _ => walk(value, refs),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, refs)),
            _ => {}
        }
    }
    let document = serde_json::to_value(baseops_server::openapi_document(&baseops::apps())).unwrap();
    let mut refs = Vec::new();
    walk(&document, &mut refs);
    assert!(refs.len() > 30, "only {} references", refs.len());
    for target in refs {
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target}"));
        assert!(document["components"]["schemas"][name].is_object(), "{target} is not defined");
    }
}

/// Every route an app exempts from the global body limit exists with that method: a typo in
/// a `LargeBody` would otherwise leave an upload at the global limit without a word.
#[test]
fn every_large_body_route_exists() {
    let apps = baseops::apps();
    let document = serde_json::to_value(baseops_server::openapi_document(&apps)).unwrap();
    let routes: Vec<_> = apps.iter().flat_map(|app| app.large_bodies.iter()).collect();
    assert!(routes.len() >= 2, "the lead import and the task attachment upload");
    for route in routes {
        let path = format!("/api/v1{}", route.path);
        let method = route.method.to_lowercase();
        assert!(document["paths"][&path][&method].is_object(), "{} {path} is not a route", route.method);
    }
}
