//! What the document says of text and page sizes that the platform enforces everywhere, so a
//! client (or a fuzzer) generated from it sends what the server accepts:
//!
//! - every free-text string (no `pattern`, `format`, `enum` or `const` of its own) in a
//!   schema or a parameter gets the `pattern` of the characters the core extractors accept
//!   (no control characters but tab, line feed and carriage return — [`baseops_core::text`]);
//! - every string query or path parameter gets `minLength: 1` (an empty value is never one
//!   the server takes: `?owner_id=` is not "no owner");
//! - the properties that always hold something ([`NON_EMPTY`]: names, titles, e-mail
//!   addresses, secrets) get `minLength: 1`;
//! - every `limit` query parameter gets `minimum: 1` and, unless it declares its own,
//!   `maximum` [`baseops_core::MAX_LIMIT`].

use utoipa::Number;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// The characters [`baseops_core::text::is_forbidden`] refuses, as an ECMA-262 pattern.
pub(crate) const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// [`TEXT_PATTERN`] with at least one character that is not white space: what a field that
/// must not be blank accepts (the apps trim before they check).
pub(crate) const NON_BLANK_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*\
     [^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]\
     [^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Longest e-mail address (`baseops_core::Email::MAX_LEN`).
const MAX_EMAIL_LEN: usize = 254;

/// Properties that every app refuses empty or blank, whatever schema holds them. `email` is
/// documented as `format: idn-email` instead: `baseops_core::Email` accepts the dot-atom
/// addresses of RFC 6531, letters of any script included, and answers them as stored.
pub(crate) const NON_EMPTY: [&str; 10] = [
    "name",
    "title",
    "email",
    "token",
    "password",
    "new_password",
    "current_password",
    "code",
    "status",
    "role",
];

/// Applies the rules to the document.
pub(crate) fn apply(document: &mut OpenApi) {
    if let Some(components) = document.components.as_mut() {
        components.schemas.values_mut().for_each(patterns);
    }
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.options,
            &mut item.head,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else { continue };
                if parameter.parameter_in == ParameterIn::Header {
                    continue;
                }
                let limit = parameter.parameter_in == ParameterIn::Query && parameter.name == "limit";
                if let Some(schema) = parameter.schema.as_mut() {
                    if let RefOr::T(Schema::Object(object)) = &mut *schema
                        && is_string(&object.schema_type)
                    {
                        object.min_length.get_or_insert(1);
                    }
                    if limit && let RefOr::T(Schema::Object(object)) = &mut *schema {
                        page_size(object);
                    }
                    patterns(schema);
                }
            }
        }
    }
}

fn is_string(kind: &SchemaType) -> bool {
    match kind {
        SchemaType::Type(kind) => *kind == Type::String,
        SchemaType::Array(kinds) => kinds.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

/// Walks a schema and every schema nested in it.
fn patterns(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            let free = object.pattern.is_none() && object.format.is_none() && object.enum_values.is_none();
            if is_string(&object.schema_type) && free {
                object.pattern = Some(TEXT_PATTERN.to_owned());
            }
            for (name, property) in object.properties.iter_mut() {
                if NON_EMPTY.contains(&name.as_str())
                    && let RefOr::T(Schema::Object(property)) = property
                    && is_string(&property.schema_type)
                {
                    property.min_length.get_or_insert(1);
                    let free = property.pattern.is_none()
                        && property.format.is_none()
                        && property.enum_values.is_none();
                    if free && name == "email" {
                        property.format = Some(SchemaFormat::Custom("idn-email".to_owned()));
                        property.max_length.get_or_insert(MAX_EMAIL_LEN);
                    } else if free {
                        property.pattern = Some(NON_BLANK_PATTERN.to_owned());
                    }
                }
                patterns(property);
            }
            if let Some(additional) = object.additional_properties.as_mut()
                && let AdditionalProperties::RefOr(nested) = additional.as_mut()
            {
                patterns(nested);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                patterns(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(patterns),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(patterns),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(patterns),
        _ => {}
    }
}

fn page_size(object: &mut utoipa::openapi::schema::Object) {
    let below_one = match object.minimum {
        None => true,
        Some(Number::Int(minimum)) => minimum < 1,
        Some(Number::UInt(minimum)) => minimum < 1,
        Some(Number::Float(minimum)) => minimum < 1.0,
    };
    if below_one {
        object.minimum = Some(Number::UInt(1));
    }
    if object.maximum.is_none() {
        object.maximum = Some(Number::UInt(usize::try_from(baseops_core::MAX_LIMIT).unwrap_or(200)));
    }
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat};

    use super::*;

    fn property<'a>(schema: &'a RefOr<Schema>, name: &str) -> &'a Schema {
        let RefOr::T(Schema::Object(object)) = schema else { panic!("an object") };
        match &object.properties[name] {
            RefOr::T(schema) => schema,
            RefOr::Ref(_) => panic!("inline"),
        }
    }

    fn pattern(schema: &Schema) -> Option<&str> {
        match schema {
            Schema::Object(object) => object.pattern.as_deref(),
            _ => None,
        }
    }

    #[test]
    fn free_strings_get_the_text_pattern_and_others_keep_theirs() {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let mut schema: RefOr<Schema> = ObjectBuilder::new()
            .property("name", text())
            .property("email", text())
            .property("label", text())
            .property(
                "note",
                ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Null])),
            )
            .property("id", text().format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))))
            .property("kind", text().enum_values(Some(["call"])))
            .property("tags", ArrayBuilder::new().items(text()))
            .property("count", ObjectBuilder::new().schema_type(Type::Integer))
            .into();
        patterns(&mut schema);
        assert_eq!(pattern(property(&schema, "label")), Some(TEXT_PATTERN));
        assert_eq!(pattern(property(&schema, "name")), Some(NON_BLANK_PATTERN), "names are never blank");
        let Schema::Object(email) = property(&schema, "email") else { panic!("an object") };
        assert_eq!((email.pattern.as_deref(), email.max_length), (None, Some(MAX_EMAIL_LEN)));
        assert!(matches!(&email.format, Some(SchemaFormat::Custom(format)) if format == "idn-email"));
        assert_eq!(pattern(property(&schema, "note")), Some(TEXT_PATTERN));
        let Schema::Array(tags) = property(&schema, "tags") else { panic!("an array") };
        let ArrayItems::RefOrSchema(item) = &tags.items else { panic!("items") };
        assert!(matches!(item.as_ref(), RefOr::T(item) if pattern(item) == Some(TEXT_PATTERN)));
        for kept in ["id", "kind", "count"] {
            assert_eq!(pattern(property(&schema, kept)), None, "{kept}");
        }
    }

    #[test]
    fn page_sizes_are_at_least_one_and_keep_their_own_maximum() {
        let mut unsigned = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)).build();
        page_size(&mut unsigned);
        assert!(unsigned.minimum == Some(Number::UInt(1)) && unsigned.maximum == Some(Number::UInt(200)));
        let mut own =
            ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(100)).build();
        page_size(&mut own);
        assert!(own.maximum == Some(Number::Int(100)) && own.minimum == Some(Number::Int(1)));
    }
}
