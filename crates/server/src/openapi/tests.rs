//! Two apps may share a schema name only for one and the same definition.

use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Components, ComponentsBuilder};

use super::SchemaNames;

fn components(name: &str, property: &str) -> Option<Components> {
    let schema = ObjectBuilder::new().property(property, ObjectBuilder::new().schema_type(Type::String));
    Some(ComponentsBuilder::new().schema(name, schema).build())
}

#[test]
fn one_name_defined_twice_differently_is_a_collision_naming_both_apps() {
    let mut names = SchemaNames::default();
    names.add("tasks", &components("Board", "columns"));
    names.add("leads", &components("Board", "stages"));
    let error = names.check().unwrap_err();
    assert!(error.contains("`Board` (apps tasks and leads)"), "{error}");
}

#[test]
fn one_name_with_one_definition_is_shared() {
    let mut names = SchemaNames::default();
    names.add("tasks", &components("Problem", "code"));
    names.add("leads", &components("Problem", "code"));
    names.add("users", &None);
    names.add("roles", &components("Role", "name"));
    assert_eq!(names.check(), Ok(()));
}
