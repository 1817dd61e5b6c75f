//! The bodies of the pipeline and stage endpoints, and their checks: names are trimmed and
//! 1 to [`MAX_NAME_LEN`] printable characters, a pipeline has 1 to [`MAX_STAGES`] uniquely
//! named stages with at least one open.

use baseops_core::FieldErrors;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{MAX_NAME_LEN, MAX_STAGES};
use crate::model::StageKind;

/// A stage as given when creating a pipeline or adding a stage.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// Name, unique in the pipeline, 1–100 characters.
    pub name: String,
    /// `open` (default), `won` or `lost`.
    pub kind: Option<StageKind>,
    /// Where it goes (0 = first); absent: last. Only when adding a stage.
    pub position: Option<i32>,
}

/// A new pipeline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPipeline {
    /// Name, unique in the organization.
    pub name: String,
    /// Its stages in order: 1–30, at least one `open`.
    #[schema(min_items = 1, max_items = 30)]
    pub stages: Vec<StageInput>,
    /// Make it the default pipeline new leads start in.
    #[serde(default)]
    pub is_default: bool,
}

/// Changes to a pipeline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelinePatch {
    /// New name.
    pub name: Option<String>,
    /// `true` makes it the default (the former default stops being one).
    pub is_default: Option<bool>,
}

/// Changes to a stage; its kind is fixed once created (leads in it carry it as status).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePatch {
    /// New name.
    pub name: Option<String>,
    /// New place (0 = first).
    pub position: Option<i32>,
}

/// A checked [`NewPipeline`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSpec {
    /// Its name.
    pub name: String,
    /// Its stages' names and kinds, in order.
    pub stages: Vec<(String, StageKind)>,
    /// Whether it becomes the default.
    pub is_default: bool,
}

/// A checked [`StageInput`] for a stage added to a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpec {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: StageKind,
    /// Where it goes; `None`: last.
    pub position: Option<i32>,
}

/// A checked [`PipelinePatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineChanges {
    /// New name.
    pub name: Option<String>,
    /// Make it the default or not.
    pub is_default: Option<bool>,
}

/// A checked [`StagePatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChanges {
    /// New name.
    pub name: Option<String>,
    /// New place.
    pub position: Option<i32>,
}

/// A pipeline's or stage's name, trimmed; a problem under `field` unless it is 1 to
/// [`MAX_NAME_LEN`] printable characters.
fn check_name(errors: &mut FieldErrors, field: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        errors.add(field, format!("must be 1 to {MAX_NAME_LEN} printable characters"));
    }
    name.to_owned()
}

impl NewPipeline {
    /// Checks a new pipeline.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self) -> Result<PipelineSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = check_name(&mut errors, "name", &self.name);
        if self.stages.is_empty() || self.stages.len() > MAX_STAGES {
            errors.add("stages", format!("a pipeline has 1 to {MAX_STAGES} stages"));
        }
        if !self.stages.iter().any(|stage| stage.kind.unwrap_or(StageKind::Open) == StageKind::Open) {
            errors.add("stages", "at least one stage must be open");
        }
        let mut stages: Vec<(String, StageKind)> = Vec::with_capacity(self.stages.len());
        for (index, stage) in self.stages.iter().enumerate() {
            let stage_name = check_name(&mut errors, &format!("stages[{index}].name"), &stage.name);
            if stages.iter().any(|(existing, _)| existing.eq_ignore_ascii_case(&stage_name)) {
                errors.add(format!("stages[{index}].name"), "is used twice");
            }
            stages.push((stage_name, stage.kind.unwrap_or(StageKind::Open)));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PipelineSpec { name, stages, is_default: self.is_default })
    }
}

impl StageInput {
    /// Checks a stage added to a pipeline.
    ///
    /// # Errors
    /// A bad name.
    pub fn check(self) -> Result<StageSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = check_name(&mut errors, "name", &self.name);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(StageSpec { name, kind: self.kind.unwrap_or(StageKind::Open), position: self.position })
    }
}

impl PipelinePatch {
    /// Checks changes to a pipeline.
    ///
    /// # Errors
    /// A bad name.
    pub fn check(self) -> Result<PipelineChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().map(|name| check_name(&mut errors, "name", name));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PipelineChanges { name, is_default: self.is_default })
    }
}

impl StagePatch {
    /// Checks changes to a stage.
    ///
    /// # Errors
    /// A bad name.
    pub fn check(self) -> Result<StageChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().map(|name| check_name(&mut errors, "name", name));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(StageChanges { name, position: self.position })
    }
}
