//! Pipelines and their stages: the default pipeline every organization gets on first use,
//! and editing pipelines (scope `all` of `leads.edit`).

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{StageKind, lead, pipeline, stage};

/// The stages of the default pipeline, in order.
pub const DEFAULT_STAGES: &[(&str, StageKind)] = &[
    ("New", StageKind::Open),
    ("Contacted", StageKind::Open),
    ("Qualified", StageKind::Open),
    ("Proposal", StageKind::Open),
    ("Won", StageKind::Won),
    ("Lost", StageKind::Lost),
];
/// The default pipeline's name.
pub const DEFAULT_PIPELINE: &str = "Sales";
/// Most pipelines per organization.
pub const MAX_PIPELINES: u64 = 20;
/// Most stages per pipeline.
pub const MAX_STAGES: usize = 30;
/// Longest pipeline or stage name.
pub const MAX_NAME_LEN: usize = 100;

/// The organization's default pipeline, created with [`DEFAULT_STAGES`] when it has none.
///
/// # Errors
/// Database errors.
pub async fn pipeline_ensure_default(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
) -> Result<Uuid, DbErr> {
    if let Some(found) = default_pipeline(txn, organization_id).await? {
        return Ok(found);
    }
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    let inserted = pipeline::Entity::insert(pipeline::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        name: Set(DEFAULT_PIPELINE.to_owned()),
        is_default: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    // A concurrent first use creates it too: one wins, the other reads the winner's.
    .on_conflict(
        OnConflict::columns([pipeline::Column::OrganizationId, pipeline::Column::Name])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 0 {
        return default_pipeline(txn, organization_id)
            .await?
            .ok_or_else(|| DbErr::Custom("leads: the default pipeline vanished".into()));
    }
    let stages = DEFAULT_STAGES.iter().enumerate().map(|(position, (name, kind))| stage::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        pipeline_id: Set(id),
        name: Set((*name).to_owned()),
        kind: Set(kind.as_str().to_owned()),
        position: Set(position as i32),
        created_at: Set(now),
        updated_at: Set(now),
    });
    stage::Entity::insert_many(stages).exec_without_returning(txn).await?;
    let names: Vec<&str> = DEFAULT_STAGES.iter().map(|(name, _)| *name).collect();
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.create", "pipeline", id).changes(
            Changes::new().set("name", None::<()>, DEFAULT_PIPELINE).set("stages", None::<()>, &names),
        ),
    )
    .await?;
    Ok(id)
}

async fn default_pipeline(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<Option<Uuid>, DbErr> {
    let found = pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .filter(pipeline::Column::IsDefault.eq(true))
        .one(db)
        .await?;
    Ok(found.map(|pipeline| pipeline.id))
}

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

fn check_name(errors: &mut FieldErrors, field: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        errors.add(field, format!("must be 1 to {MAX_NAME_LEN} printable characters"));
    }
    name.to_owned()
}

fn name_taken(error: DbErr) -> ApiError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict { code: "name_taken", detail: "That name is already used here.".into() }
        }
        _ => ApiError::from(error),
    }
}

/// Creates a pipeline with its stages.
///
/// # Errors
/// 422 for bad names or stages, 409 `name_taken` or `too_many_pipelines`.
pub async fn pipeline_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    input: NewPipeline,
) -> Result<Uuid, ApiError> {
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", &input.name);
    if input.stages.is_empty() || input.stages.len() > MAX_STAGES {
        errors.add("stages", format!("a pipeline has 1 to {MAX_STAGES} stages"));
    }
    if !input.stages.iter().any(|stage| stage.kind.unwrap_or(StageKind::Open) == StageKind::Open) {
        errors.add("stages", "at least one stage must be open");
    }
    let mut names = Vec::new();
    for (index, stage) in input.stages.iter().enumerate() {
        let stage_name = check_name(&mut errors, &format!("stages[{index}].name"), &stage.name);
        if names.iter().any(|existing: &String| existing.eq_ignore_ascii_case(&stage_name)) {
            errors.add(format!("stages[{index}].name"), "is used twice");
        }
        names.push(stage_name);
    }
    errors.into_result()?;
    let count = pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .count(txn)
        .await?;
    if count >= MAX_PIPELINES {
        return Err(ApiError::Conflict {
            code: "too_many_pipelines",
            detail: format!("An organization has at most {MAX_PIPELINES} pipelines."),
        });
    }
    // The organization's default exists before a second pipeline does.
    pipeline_ensure_default(txn, acting, organization_id).await?;
    if input.is_default {
        clear_default(txn, organization_id).await?;
    }
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    pipeline::Entity::insert(pipeline::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        name: Set(name.clone()),
        is_default: Set(input.is_default),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(txn)
    .await
    .map_err(name_taken)?;
    let stages =
        input.stages.iter().zip(&names).enumerate().map(|(position, (stage, name))| stage::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization_id),
            pipeline_id: Set(id),
            name: Set(name.clone()),
            kind: Set(stage.kind.unwrap_or(StageKind::Open).as_str().to_owned()),
            position: Set(position as i32),
            created_at: Set(now),
            updated_at: Set(now),
        });
    stage::Entity::insert_many(stages).exec_without_returning(txn).await?;
    let changes = Changes::new().set("name", None::<()>, &name).set("stages", None::<()>, &names).set(
        "is_default",
        None::<()>,
        input.is_default,
    );
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.create", "pipeline", id).changes(changes),
    )
    .await?;
    Ok(id)
}

async fn clear_default(txn: &impl ConnectionTrait, organization_id: Uuid) -> Result<(), DbErr> {
    pipeline::Entity::update_many()
        .col_expr(pipeline::Column::IsDefault, sea_orm::sea_query::Expr::value(false))
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A pipeline of the organization, or 404.
async fn find_pipeline(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<pipeline::Model, ApiError> {
    pipeline::Entity::find_by_id(id)
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A stage of the organization, or 404.
pub(crate) async fn find_stage(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<stage::Model>, DbErr> {
    stage::Entity::find_by_id(id).filter(stage::Column::OrganizationId.eq(organization_id)).one(txn).await
}

/// Renames a pipeline or makes it the default.
///
/// # Errors
/// 404, 422, 409 `name_taken`; 409 `default_required` when un-defaulting the default.
pub async fn pipeline_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    patch: PipelinePatch,
) -> Result<(), ApiError> {
    let before = find_pipeline(txn, organization_id, id).await?;
    let mut errors = FieldErrors::new();
    let name = patch.name.as_deref().map(|name| check_name(&mut errors, "name", name));
    errors.into_result()?;
    let mut changes = Changes::new();
    let mut active: pipeline::ActiveModel = before.clone().into();
    if let Some(name) = name.filter(|name| *name != before.name) {
        changes = changes.set("name", &before.name, &name);
        active.name = Set(name);
    }
    match patch.is_default {
        Some(true) if !before.is_default => {
            clear_default(txn, organization_id).await?;
            changes = changes.set("is_default", false, true);
            active.is_default = Set(true);
        }
        Some(false) if before.is_default => {
            return Err(ApiError::Conflict {
                code: "default_required",
                detail: "Make another pipeline the default instead.".into(),
            });
        }
        _ => {}
    }
    if changes.is_empty() {
        return Ok(());
    }
    active.updated_at = Set(chrono::Utc::now());
    active.version = Set(before.version + 1);
    sea_orm::ActiveModelTrait::update(active, txn).await.map_err(name_taken)?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.update", "pipeline", id).changes(changes),
    )
    .await?;
    Ok(())
}

/// Writes positions 0, 1, 2, … in the given order.
async fn renumber(txn: &impl ConnectionTrait, stages: &[stage::Model]) -> Result<(), DbErr> {
    for (position, stage) in stages.iter().enumerate() {
        if stage.position != position as i32 {
            stage::Entity::update_many()
                .col_expr(stage::Column::Position, sea_orm::sea_query::Expr::value(position as i32))
                .filter(stage::Column::Id.eq(stage.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

async fn stages_of(txn: &impl ConnectionTrait, pipeline_id: Uuid) -> Result<Vec<stage::Model>, DbErr> {
    stage::Entity::find()
        .filter(stage::Column::PipelineId.eq(pipeline_id))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(txn)
        .await
}

/// Adds a stage to a pipeline.
///
/// # Errors
/// 404, 422, 409 `name_taken` or `too_many_stages`.
pub async fn stage_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    pipeline_id: Uuid,
    input: StageInput,
) -> Result<Uuid, ApiError> {
    find_pipeline(txn, organization_id, pipeline_id).await?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", &input.name);
    errors.into_result()?;
    let mut stages = stages_of(txn, pipeline_id).await?;
    if stages.len() >= MAX_STAGES {
        return Err(ApiError::Conflict {
            code: "too_many_stages",
            detail: format!("A pipeline has at most {MAX_STAGES} stages."),
        });
    }
    let now = chrono::Utc::now();
    let kind = input.kind.unwrap_or(StageKind::Open);
    let model = stage::Model {
        id: Uuid::now_v7(),
        organization_id,
        pipeline_id,
        name: name.clone(),
        kind: kind.as_str().to_owned(),
        position: stages.len() as i32,
        created_at: now,
        updated_at: now,
    };
    stage::Entity::insert(sea_orm::IntoActiveModel::into_active_model(model.clone()))
        .exec_without_returning(txn)
        .await
        .map_err(name_taken)?;
    let at = input.position.map_or(stages.len(), |position| (position.max(0) as usize).min(stages.len()));
    stages.insert(at, model.clone());
    renumber(txn, &stages).await?;
    let changes = Changes::new()
        .set("name", None::<()>, &name)
        .set("kind", None::<()>, kind.as_str())
        .set("position", None::<()>, at);
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "stage.create", "stage", model.id).changes(changes),
    )
    .await?;
    Ok(model.id)
}

/// Renames or moves a stage.
///
/// # Errors
/// 404, 422, 409 `name_taken`.
pub async fn stage_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    patch: StagePatch,
) -> Result<(), ApiError> {
    let before = find_stage(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let mut errors = FieldErrors::new();
    let name = patch.name.as_deref().map(|name| check_name(&mut errors, "name", name));
    errors.into_result()?;
    let mut changes = Changes::new();
    if let Some(name) = name.filter(|name| *name != before.name) {
        stage::Entity::update_many()
            .col_expr(stage::Column::Name, sea_orm::sea_query::Expr::value(name.clone()))
            .col_expr(stage::Column::UpdatedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
            .filter(stage::Column::Id.eq(id))
            .exec(txn)
            .await
            .map_err(name_taken)?;
        changes = changes.set("name", &before.name, &name);
    }
    if let Some(position) = patch.position {
        let mut stages = stages_of(txn, before.pipeline_id).await?;
        let from = stages.iter().position(|stage| stage.id == id).unwrap_or(0);
        let moved = stages.remove(from);
        let to = (position.max(0) as usize).min(stages.len());
        stages.insert(to, moved);
        if from != to {
            renumber(txn, &stages).await?;
            changes = changes.set("position", from, to);
        }
    }
    if !changes.is_empty() {
        record(
            txn,
            AuditEntry::new(acting, Some(organization_id), "stage.update", "stage", id).changes(changes),
        )
        .await?;
    }
    Ok(())
}

/// Deletes an empty stage.
///
/// # Errors
/// 404; 409 `stage_in_use` while leads are in it, `last_open_stage` for a pipeline's only
/// open stage.
pub async fn stage_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let found = find_stage(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let in_use = lead::Entity::find()
        .filter(lead::Column::OrganizationId.eq(organization_id))
        .filter(lead::Column::StageId.eq(id))
        .count(txn)
        .await?;
    if in_use > 0 {
        return Err(ApiError::Conflict {
            code: "stage_in_use",
            detail: format!("{in_use} leads are in this stage; move them first."),
        });
    }
    let stages = stages_of(txn, found.pipeline_id).await?;
    let open = stages.iter().filter(|stage| stage.kind == StageKind::Open.as_str()).count();
    if found.kind == StageKind::Open.as_str() && open <= 1 {
        return Err(ApiError::Conflict {
            code: "last_open_stage",
            detail: "A pipeline keeps at least one open stage.".into(),
        });
    }
    stage::Entity::delete_by_id(id).exec(txn).await?;
    let rest: Vec<stage::Model> = stages.into_iter().filter(|stage| stage.id != id).collect();
    renumber(txn, &rest).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "stage.delete", "stage", id)
            .changes(Changes::new().set("name", &found.name, None::<()>)),
    )
    .await?;
    Ok(())
}
