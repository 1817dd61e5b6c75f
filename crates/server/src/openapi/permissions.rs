//! Maps from permission names to scopes (a role's `grants`) are documented with the names this
//! build declares as their `propertyNames`, so a client knows — and a generator can check —
//! which keys the server accepts: any other is 422 `is not a permission`.

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// The schema every permission map's values refer to.
const SCOPE_REF: &str = "#/components/schemas/Scope";

/// Gives every permission → scope map of the document the permission names of `names`.
pub(crate) fn apply(document: &mut OpenApi, names: &[&str]) {
    let Some(components) = document.components.as_mut() else { return };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else { continue };
        for property in object.properties.values_mut() {
            let RefOr::T(Schema::Object(map)) = property else { continue };
            let scopes = matches!(map.additional_properties.as_deref(),
                Some(AdditionalProperties::RefOr(RefOr::Ref(reference))) if reference.ref_location == SCOPE_REF);
            if scopes {
                let known =
                    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names.iter().copied()));
                map.property_names = Some(Box::new(known.into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder, Ref};

    use super::*;

    #[test]
    fn permission_maps_name_the_permissions_and_other_maps_are_left_alone() {
        let scope_map = ObjectBuilder::new().additional_properties(Some(Ref::new(SCOPE_REF)));
        let text_map =
            ObjectBuilder::new().additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)));
        let role = ObjectBuilder::new().property("grants", scope_map).property("labels", text_map);
        let mut document = OpenApiBuilder::new()
            .components(Some(ComponentsBuilder::new().schema("RoleInput", role).build()))
            .build();
        apply(&mut document, &["leads.view", "tasks.edit"]);
        let value = serde_json::to_value(&document).unwrap();
        let properties = &value["components"]["schemas"]["RoleInput"]["properties"];
        assert_eq!(
            properties["grants"]["propertyNames"]["enum"],
            serde_json::json!(["leads.view", "tasks.edit"])
        );
        assert!(properties["labels"].get("propertyNames").is_none(), "{properties}");
    }
}
