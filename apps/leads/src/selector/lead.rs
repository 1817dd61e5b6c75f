//! Reading leads: one lead, and the filtered, sorted, keyset-paginated list (the export
//! reads the same list page by page).

use baseops_core::{ApiError, BoundedCount, Paging, invalid_cursor};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{StageKind, lead, lead_tag};
use crate::permission::Access;
use crate::selector::Page;

/// A lead as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LeadOut {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// First name ('' when none).
    pub first_name: String,
    /// Last name ('' when none).
    pub last_name: String,
    /// E-mail address, lower-case.
    pub email: Option<String>,
    /// Phone number, E.164 where it is a valid number.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Where the lead came from.
    pub source: String,
    /// Owner (a member), if any.
    pub owner_id: Option<Uuid>,
    /// Pipeline.
    pub pipeline_id: Uuid,
    /// Stage.
    pub stage_id: Uuid,
    /// `open`, `won` or `lost` (the stage's kind).
    pub status: StageKind,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// When it entered its stage.
    pub stage_entered_at: DateTime<Utc>,
    /// Estimated value in minor units of `currency`.
    pub value_amount: Option<i64>,
    /// ISO 4217 currency of the value.
    pub currency: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Score.
    pub score: i32,
    /// UTM source.
    pub utm_source: Option<String>,
    /// UTM medium.
    pub utm_medium: Option<String>,
    /// UTM campaign.
    pub utm_campaign: Option<String>,
    /// UTM term.
    pub utm_term: Option<String>,
    /// UTM content.
    pub utm_content: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The customer it converted into.
    pub customer_id: Option<Uuid>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Conversion time.
    pub converted_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version: send it back in `If-Match`.
    pub version: i32,
}

impl From<lead::Model> for LeadOut {
    fn from(model: lead::Model) -> Self {
        Self {
            id: model.id,
            first_name: model.first_name,
            last_name: model.last_name,
            email: model.email,
            phone: model.phone,
            company: model.company,
            title: model.title,
            website: model.website,
            address: model.address,
            source: model.source,
            owner_id: model.owner_id,
            pipeline_id: model.pipeline_id,
            stage_id: model.stage_id,
            status: StageKind::parse(&model.status).unwrap_or(StageKind::Open),
            lost_reason: model.lost_reason,
            stage_entered_at: model.stage_entered_at,
            value_amount: model.value_amount,
            currency: model.currency,
            tags: serde_json::from_str(&model.tags).unwrap_or_default(),
            score: model.score,
            utm_source: model.utm_source,
            utm_medium: model.utm_medium,
            utm_campaign: model.utm_campaign,
            utm_term: model.utm_term,
            utm_content: model.utm_content,
            notes: model.notes,
            customer_id: model.customer_id,
            created_by: model.created_by,
            created_at: model.created_at,
            updated_at: model.updated_at,
            converted_at: model.converted_at,
            version: model.version,
        }
    }
}

/// One lead within `access`'s reach (see [`crate::service::lead::lead_for`]).
///
/// # Errors
/// 404 (another organization's, or out of reach), database errors.
pub async fn lead_get(db: &impl ConnectionTrait, access: &Access, id: Uuid) -> Result<LeadOut, ApiError> {
    let found = lead::Entity::find_by_id(id)
        .filter(lead::Column::OrganizationId.eq(access.organization_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !access.reaches(found.owner_id) {
        return Err(ApiError::NotFound);
    }
    Ok(found.into())
}

/// How a list is ordered; every order ends with the id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
    /// Recently changed first.
    UpdatedDesc,
    /// Least recently changed first.
    UpdatedAsc,
    /// Highest value first (no value counts as below zero).
    ValueDesc,
    /// Lowest value first.
    ValueAsc,
    /// Highest score first.
    ScoreDesc,
    /// Lowest score first.
    ScoreAsc,
    /// By last name (then id).
    NameAsc,
    /// By last name descending.
    NameDesc,
}

impl Sort {
    /// Every accepted `sort` value.
    pub const ACCEPTED: &'static str = "-created_at, created_at, -updated_at, updated_at, -value, value, -score, score, last_name, -last_name";

    /// Parses `?sort=`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "-created_at" => Self::NewestFirst,
            "created_at" => Self::OldestFirst,
            "-updated_at" => Self::UpdatedDesc,
            "updated_at" => Self::UpdatedAsc,
            "-value" => Self::ValueDesc,
            "value" => Self::ValueAsc,
            "-score" => Self::ScoreDesc,
            "score" => Self::ScoreAsc,
            "last_name" => Self::NameAsc,
            "-last_name" => Self::NameDesc,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::NewestFirst => "-created_at",
            Self::OldestFirst => "created_at",
            Self::UpdatedDesc => "-updated_at",
            Self::UpdatedAsc => "updated_at",
            Self::ValueDesc => "-value",
            Self::ValueAsc => "value",
            Self::ScoreDesc => "-score",
            Self::ScoreAsc => "score",
            Self::NameAsc => "last_name",
            Self::NameDesc => "-last_name",
        }
    }

    fn descending(self) -> bool {
        matches!(
            self,
            Self::NewestFirst | Self::UpdatedDesc | Self::ValueDesc | Self::ScoreDesc | Self::NameDesc
        )
    }
}

/// Which leads to list. Every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// Only leads in this stage.
    pub stage_id: Option<Uuid>,
    /// Only leads in this pipeline.
    pub pipeline_id: Option<Uuid>,
    /// Only open, won or lost leads.
    pub status: Option<StageKind>,
    /// Only this owner's leads (`Some(None)`: unassigned leads).
    pub owner_id: Option<Option<Uuid>>,
    /// Only leads from this source.
    pub source: Option<String>,
    /// Only leads with this tag.
    pub tag: Option<String>,
    /// Only leads worth at least this (minor units).
    pub value_min: Option<i64>,
    /// Only leads worth at most this.
    pub value_max: Option<i64>,
    /// Only leads created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only leads created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only leads of this UTM campaign.
    pub utm_campaign: Option<String>,
    /// Only leads whose name, e-mail or company contains this (case-insensitive).
    pub q: Option<String>,
    /// The order.
    pub sort: Sort,
    /// Page size (default 50, at most 200).
    pub limit: Option<u64>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `LIKE` pattern for "contains `text`", with `%`, `_` and `\` escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The sort column's expression, as ordered and compared.
fn sort_expr(sort: Sort) -> Expr {
    match sort {
        Sort::NewestFirst | Sort::OldestFirst => Expr::col((lead::Entity, lead::Column::Id)),
        Sort::UpdatedDesc | Sort::UpdatedAsc => Expr::col((lead::Entity, lead::Column::UpdatedAt)),
        // No value sorts below every value, the same way on both engines.
        Sort::ValueDesc | Sort::ValueAsc => {
            Func::coalesce([Expr::col((lead::Entity, lead::Column::ValueAmount)), Expr::val(-1_i64)]).into()
        }
        Sort::ScoreDesc | Sort::ScoreAsc => Expr::col((lead::Entity, lead::Column::Score)),
        Sort::NameAsc | Sort::NameDesc => Expr::col((lead::Entity, lead::Column::LastName)),
    }
}

/// The cursor value of a row for `sort`.
fn sort_value(sort: Sort, model: &lead::Model) -> Value {
    match sort {
        Sort::NewestFirst | Sort::OldestFirst => Value::Null,
        Sort::UpdatedDesc | Sort::UpdatedAsc => Value::String(model.updated_at.to_rfc3339()),
        Sort::ValueDesc | Sort::ValueAsc => Value::from(model.value_amount.unwrap_or(-1)),
        Sort::ScoreDesc | Sort::ScoreAsc => Value::from(model.score),
        Sort::NameAsc | Sort::NameDesc => Value::String(model.last_name.clone()),
    }
}

/// The value a cursor carries, as a query value for `sort`.
fn cursor_value(sort: Sort, value: &Value) -> Result<Option<sea_orm::Value>, ApiError> {
    Ok(match sort {
        Sort::NewestFirst | Sort::OldestFirst => None,
        Sort::UpdatedDesc | Sort::UpdatedAsc => {
            let text = value.as_str().ok_or_else(invalid_cursor)?;
            let time = DateTime::parse_from_rfc3339(text).map_err(|_| invalid_cursor())?.with_timezone(&Utc);
            Some(time.into())
        }
        Sort::ValueDesc | Sort::ValueAsc => Some(value.as_i64().ok_or_else(invalid_cursor)?.into()),
        Sort::ScoreDesc | Sort::ScoreAsc => Some(
            i32::try_from(value.as_i64().ok_or_else(invalid_cursor)?).map_err(|_| invalid_cursor())?.into(),
        ),
        Sort::NameAsc | Sort::NameDesc => Some(value.as_str().ok_or_else(invalid_cursor)?.to_owned().into()),
    })
}

/// The condition every list shares: the organization, the caller's reach, the filters.
pub(crate) fn condition(access: &Access, filter: &LeadFilter) -> Condition {
    let mut condition = Condition::all().add(lead::Column::OrganizationId.eq(access.organization_id));
    if let Some(owner) = access.only_owner() {
        condition = condition.add(lead::Column::OwnerId.eq(owner));
    }
    match filter.owner_id {
        Some(Some(owner)) => condition = condition.add(lead::Column::OwnerId.eq(owner)),
        Some(None) => condition = condition.add(lead::Column::OwnerId.is_null()),
        None => {}
    }
    if let Some(stage) = filter.stage_id {
        condition = condition.add(lead::Column::StageId.eq(stage));
    }
    if let Some(pipeline) = filter.pipeline_id {
        condition = condition.add(lead::Column::PipelineId.eq(pipeline));
    }
    if let Some(status) = filter.status {
        condition = condition.add(lead::Column::Status.eq(status.as_str()));
    }
    if let Some(source) = &filter.source {
        condition = condition.add(lead::Column::Source.eq(source.to_lowercase()));
    }
    if let Some(campaign) = &filter.utm_campaign {
        condition = condition.add(lead::Column::UtmCampaign.eq(campaign.clone()));
    }
    if let Some(min) = filter.value_min {
        condition = condition.add(lead::Column::ValueAmount.gte(min));
    }
    if let Some(max) = filter.value_max {
        condition = condition.add(lead::Column::ValueAmount.lte(max));
    }
    if let Some(after) = filter.created_after {
        condition = condition.add(lead::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        condition = condition.add(lead::Column::CreatedAt.lt(before));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = Expr::col((lead::Entity, lead::Column::Search))
            .like(sea_orm::sea_query::LikeExpr::new(contains_pattern(q)).escape('\\'));
        condition = condition.add(like);
    }
    if let Some(tag) = &filter.tag {
        let tagged = Query::select()
            .column(lead_tag::Column::LeadId)
            .from(lead_tag::Entity)
            .and_where(Expr::col(lead_tag::Column::OrganizationId).eq(access.organization_id))
            .and_where(Expr::col(lead_tag::Column::Tag).eq(tag.trim().to_lowercase()))
            .to_owned();
        condition = condition.add(lead::Column::Id.in_subquery(tagged));
    }
    condition
}

/// How many leads match `filter` within `access`'s reach, counted up to `bound`.
///
/// # Errors
/// Database errors.
pub async fn lead_count(
    db: &impl ConnectionTrait,
    access: &Access,
    filter: &LeadFilter,
    bound: u64,
) -> Result<BoundedCount, DbErr> {
    let found = lead::Entity::find()
        .select_only()
        .column(lead::Column::Id)
        .filter(condition(access, filter))
        .limit(BoundedCount::fetch(bound))
        .count(db)
        .await?;
    Ok(BoundedCount::of(found, bound))
}

/// A page of leads within `access`'s reach.
///
/// # Errors
/// 400 `invalid_cursor`, 422 for a bad limit; database errors.
pub async fn lead_list(
    db: &impl ConnectionTrait,
    access: &Access,
    filter: &LeadFilter,
) -> Result<Page<LeadOut>, ApiError> {
    let sort = filter.sort;
    let paging = Paging::new(filter.limit, filter.cursor.as_deref(), sort.name())?;
    let mut condition = condition(access, filter);
    let id = Expr::col((lead::Entity, lead::Column::Id));
    if let Some(cursor) = &paging.after {
        let last_id = cursor.id;
        let after = match cursor_value(sort, &cursor.value)? {
            None if sort.descending() => id.clone().lt(last_id),
            None => id.clone().gt(last_id),
            Some(value) => {
                let column = sort_expr(sort);
                if sort.descending() {
                    column.clone().lt(value.clone()).or(column.eq(value).and(id.clone().lt(last_id)))
                } else {
                    column.clone().gt(value.clone()).or(column.eq(value).and(id.clone().gt(last_id)))
                }
            }
        };
        condition = condition.add(after);
    }
    let order = if sort.descending() { sea_orm::Order::Desc } else { sea_orm::Order::Asc };
    let mut query = lead::Entity::find().filter(condition);
    if !matches!(sort, Sort::NewestFirst | Sort::OldestFirst) {
        query = query.order_by(sort_expr(sort), order.clone());
    }
    let rows = query.order_by(lead::Column::Id, order).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, sort.name(), |last| (sort_value(sort, last), last.id), LeadOut::from))
}
