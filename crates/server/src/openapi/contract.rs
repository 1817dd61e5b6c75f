//! What every operation of the API shares, added to the document in one place instead of on
//! each handler: the security requirement, the error answers the platform itself gives, and
//! the media type of every error.
//!
//! - An operation with no `security` of its own takes a bearer token or the session cookie;
//!   a public one says so with an empty requirement (`security(())` on the handler).
//! - A secured operation can answer 401 (`unauthenticated`) and 403 (`forbidden`, naming the
//!   missing permission).
//! - An operation with a path parameter can answer 400 (`bad_request`: not an id) and 404
//!   (`not_found`: no such record, or one of another organization).
//! - An operation with query parameters can answer 400 (`invalid_query`: not of the
//!   parameter's type) and 422 (`validation_failed`: out of range, such as `limit=0`).
//! - An operation with a request body can answer 400 (`malformed_json` or an unreadable
//!   body), 408 (`request_timeout`: the body stalled), 413 (`payload_too_large`), 415
//!   (`unsupported_media_type`) and 422 (`validation_failed`).
//! - An operation that answers 428 (`precondition_required`) takes a required `If-Match`
//!   header; one that answers 412 (`version_mismatch`) only, an optional one.
//! - Every operation can answer 503 (`unavailable`: the request timed out or the database is
//!   down).
//! - Every write (`POST`, `PUT`, `PATCH`, `DELETE`) takes an optional `Idempotency-Key` and can
//!   answer 409 `idempotency_key_busy` and 422 `idempotency_key_reused`.
//! - Every error answer is `application/problem+json` with the `Problem` schema.
//! - A list and its export (`…/export`) share one query type, but an export has every match
//!   (`limit` and `cursor` are refused: `baseops_core::refuse_paging`) and only an export
//!   takes `format`: each is documented with the parameters it takes.
//!
//! A handler that documents one of these statuses itself (with a more precise description)
//! keeps its own.

use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

use baseops_core::PROBLEM_CONTENT_TYPE;

/// The shared answers, as named responses in `components.responses`.
const SHARED: [(&str, &str, &str); 10] = [
    ("401", "Unauthenticated", "No valid credentials (unauthenticated): send a bearer token or log in"),
    ("403", "Forbidden", "The caller lacks a permission, named in the detail (forbidden)"),
    ("404", "NotFound", "No such record, or one of another organization (not_found)"),
    (
        "400",
        "BadRequest",
        "The body is not valid JSON or cannot be read (malformed_json, unreadable_body), a query \
         parameter is not valid (invalid_query), or a path parameter is not an id (bad_request)",
    ),
    ("408", "RequestTimeout", "The body stopped arriving (request_timeout)"),
    ("413", "PayloadTooLarge", "The body is larger than the limit (payload_too_large)"),
    ("415", "UnsupportedMediaType", "The body's Content-Type is not accepted (unsupported_media_type)"),
    ("422", "ValidationFailed", "Some fields are not valid (validation_failed, with errors by field)"),
    ("503", "Unavailable", "The request timed out or a dependency is down; retry later (unavailable)"),
    (
        "409",
        "IdempotencyKeyBusy",
        "A request with this Idempotency-Key has not finished, or its outcome was lost (idempotency_key_busy)",
    ),
];

/// Adds the shared security, responses and error media type to every operation under `/api/v1`.
pub(crate) fn apply(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    for (_, name, description) in SHARED {
        components.responses.insert(name.to_owned(), RefOr::T(problem_response(description)));
    }
    let exported: Vec<String> = document
        .paths
        .paths
        .keys()
        .filter_map(|path| path.strip_suffix("/export"))
        .map(str::to_owned)
        .collect();
    for (path, item) in &mut document.paths.paths {
        let api = path.starts_with("/api/v1/");
        if let Some(get) = item.get.as_mut() {
            if path.ends_with("/export") {
                drop_query(get, &["limit", "cursor"]);
            } else if exported.iter().any(|list| list == path) {
                drop_query(get, &["format"]);
            }
        }
        let writes = [&mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in writes.into_iter().flatten() {
            if api {
                complete(operation, true);
            }
            problems_as_problem_json(operation);
        }
        let reads = [&mut item.get, &mut item.options, &mut item.head, &mut item.trace];
        for operation in reads.into_iter().flatten() {
            if api {
                complete(operation, false);
            }
            problems_as_problem_json(operation);
        }
    }
}

/// Removes the query parameters named `names`.
fn drop_query(operation: &mut Operation, names: &[&str]) {
    if let Some(parameters) = operation.parameters.as_mut() {
        parameters.retain(|parameter| {
            !matches!(parameter, RefOr::T(parameter)
                if parameter.parameter_in == ParameterIn::Query && names.contains(&parameter.name.as_str()))
        });
    }
}

/// The optional `Idempotency-Key` of every write.
fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1–200 printable ASCII characters: a retry with the same key and request gets the first answer \
             again (Idempotency-Replayed: true) instead of a second change",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(200))
                .pattern(Some("^[!-~]([ -~]{0,198}[!-~])?$")),
        ))
        .build()
}

fn complete(operation: &mut Operation, writes: bool) {
    if writes {
        let parameters = operation.parameters.get_or_insert_with(Vec::new);
        let declared = parameters.iter().any(|parameter| {
            matches!(parameter, RefOr::T(parameter) if parameter.name.eq_ignore_ascii_case("idempotency-key"))
        });
        if !declared {
            parameters.push(RefOr::T(idempotency_key()));
        }
    }
    let security = operation.security.get_or_insert_with(|| {
        vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]
    });
    let public = security.iter().any(|requirement| *requirement == SecurityRequirement::default());
    let mut shared: Vec<&str> = vec!["503"];
    if !public {
        shared.extend(["401", "403"]);
    }
    let takes = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|parameter| matches!(parameter, RefOr::T(parameter) if parameter.parameter_in == place))
    };
    if takes(ParameterIn::Path) {
        shared.extend(["400", "404"]);
    }
    if takes(ParameterIn::Query) {
        shared.extend(["400", "422"]);
    }
    if operation.request_body.is_some() {
        shared.extend(["400", "408", "413", "415", "422"]);
    }
    if writes {
        shared.extend(["400", "409", "422"]);
    }
    if_match(operation);
    for (status, name, _) in SHARED {
        if shared.contains(&status) {
            operation
                .responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
        }
    }
}

/// The `If-Match` header of an operation that checks versions: the handler documents its
/// 412 (and 428 when the header is required), the extractor reads the header.
fn if_match(operation: &mut Operation) {
    let answers = |status: &str| operation.responses.responses.contains_key(status);
    let required = answers("428");
    if !required && !answers("412") {
        return;
    }
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    let declared = parameters.iter().any(|parameter| {
        matches!(parameter, RefOr::T(parameter) if parameter.name.eq_ignore_ascii_case("if-match"))
    });
    if declared {
        return;
    }
    parameters.push(RefOr::T(
        ParameterBuilder::new()
            .name("If-Match")
            .parameter_in(ParameterIn::Header)
            .required(if required { Required::True } else { Required::False })
            .description(Some(
                "The version the change is based on, as the ETag gave it (\"3\"): the change applies only \
                 if the record is still at it, else 412",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build(),
    ));
}

/// A handler's `body = Problem` is written as JSON; the server answers it as problem+json.
fn problems_as_problem_json(operation: &mut Operation) {
    for response in operation.responses.responses.values_mut() {
        let RefOr::T(response) = response else { continue };
        let is_problem = response.content.get("application/json").is_some_and(|content| {
            matches!(content, RefOr::T(content) if matches!(&content.schema, Some(RefOr::Ref(reference)) if reference.ref_location == "#/components/schemas/Problem"))
        });
        if is_problem && let Some(content) = response.content.shift_remove("application/json") {
            response.content.insert(PROBLEM_CONTENT_TYPE.to_owned(), content);
        }
    }
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_CONTENT_TYPE, Content::new(Some(Ref::from_schema_name("Problem"))))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::request_body::RequestBody;
    use utoipa::openapi::{OpenApiBuilder, PathsBuilder};

    fn document(operation: Operation) -> OpenApi {
        OpenApiBuilder::new()
            .paths(PathsBuilder::new().path("/api/v1/things", PathItem::new(HttpMethod::Post, operation)))
            .build()
    }

    fn statuses(document: &OpenApi) -> Vec<String> {
        let item = &document.paths.paths["/api/v1/things"];
        item.post.as_ref().unwrap().responses.responses.keys().cloned().collect()
    }

    #[test]
    fn secured_operations_with_a_body_get_every_shared_answer_and_keep_their_own() {
        let own = ResponseBuilder::new().description("Bad cursor").build();
        let operation =
            OperationBuilder::new().request_body(Some(RequestBody::new())).response("400", own).build();
        let mut document = document(operation);
        apply(&mut document);
        assert_eq!(statuses(&document), ["400", "401", "403", "408", "409", "413", "415", "422", "503"]);
        let post = document.paths.paths["/api/v1/things"].post.as_ref().unwrap();
        assert!(
            matches!(&post.responses.responses["400"], RefOr::T(response) if response.description == "Bad cursor")
        );
        assert_eq!(post.security.as_ref().unwrap().len(), 2, "bearer or session");
        let parameters = post.parameters.as_ref().unwrap();
        assert!(matches!(&parameters[0], RefOr::T(parameter) if parameter.name == "Idempotency-Key"));
    }

    #[test]
    fn path_and_query_parameters_and_versions_bring_their_answers() {
        let path = ParameterBuilder::new().name("id").parameter_in(ParameterIn::Path).build();
        let query = ParameterBuilder::new().name("limit").parameter_in(ParameterIn::Query).build();
        let precondition = ResponseBuilder::new().description("If-Match is missing").build();
        let operation = OperationBuilder::new()
            .parameter(path)
            .parameter(query)
            .response("428", precondition)
            .security(SecurityRequirement::default())
            .build();
        let mut document = document(operation);
        apply(&mut document);
        assert_eq!(statuses(&document), ["400", "404", "409", "422", "428", "503"], "query: 400 and 422");
        let post = document.paths.paths["/api/v1/things"].post.as_ref().unwrap();
        let if_match = post.parameters.as_ref().unwrap().iter().find_map(|parameter| match parameter {
            RefOr::T(parameter) if parameter.name == "If-Match" => Some(parameter),
            _ => None,
        });
        assert!(if_match.expect("If-Match is documented").required == Required::True);
    }

    #[test]
    fn public_operations_answer_no_401() {
        let operation = OperationBuilder::new().security(SecurityRequirement::default()).build();
        let mut document = document(operation);
        apply(&mut document);
        assert_eq!(
            statuses(&document),
            ["400", "409", "422", "503"],
            "a write without a body still takes a key"
        );
    }
}
