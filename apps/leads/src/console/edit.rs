//! Creating, editing and deleting a lead in the console: the same checks and services as
//! `POST /leads`, `PATCH /leads/{id}` (with the version read as `If-Match`) and
//! `DELETE /leads/{id}`. A refused form comes back with the service's field errors beside
//! the fields; a form opened before someone else's change says so instead of overwriting.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use baseops_console::form::{Failure, answer, done, idempotency_key};
use baseops_console::list::given;
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, FieldErrors};
use baseops_core::{Currency, Money};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::display_name;
use crate::permission::{LEADS_ASSIGN, LEADS_CREATE, LEADS_DELETE, LEADS_EDIT, LEADS_REOPEN, access_of};
use crate::selector::lead::{LeadOut, lead_get};
use crate::selector::pipeline::pipelines_of;
use crate::service::directory::{member_choices, organization_currency};
use crate::service::lead::{
    Created, Idempotency, Placement, StageMove, lead_assign, lead_create, lead_delete, lead_move_stage,
    lead_update,
};
use crate::service::lead_input::{LeadPatch, NewLead};

/// The form's name in failures and element ids.
const FORM: &str = "lead";

/// A lead's form as a browser sends it: every field as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct LeadForm {
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    company: String,
    title: String,
    website: String,
    address: String,
    source: String,
    value: String,
    currency: String,
    tags: String,
    score: String,
    notes: String,
    /// The owner chosen (shown to those who may assign): a member's id, blank for none.
    owner_id: String,
    /// The stage chosen; blank on a new lead: the default pipeline's first stage.
    stage_id: String,
    /// Why the lead was lost, when the stage chosen is a lost one.
    lost_reason: String,
    /// The version the edit form was opened at (its `If-Match`).
    version: String,
    /// The new-lead form's own idempotency key: a second submit replays the first.
    idempotency_key: String,
}

impl LeadForm {
    /// A stored lead as its edit form shows it.
    fn of(lead: &LeadOut) -> Self {
        let value = lead.value_amount.zip(lead.currency.as_deref()).and_then(|(amount, code)| {
            Money::new(amount, Currency::parse(code).ok()?).ok().map(Money::to_decimal_string)
        });
        Self {
            first_name: lead.first_name.clone(),
            last_name: lead.last_name.clone(),
            email: lead.email.clone().unwrap_or_default(),
            phone: lead.phone.clone().unwrap_or_default(),
            company: lead.company.clone().unwrap_or_default(),
            title: lead.title.clone().unwrap_or_default(),
            website: lead.website.clone().unwrap_or_default(),
            address: lead.address.clone().unwrap_or_default(),
            source: lead.source.clone(),
            value: value.unwrap_or_default(),
            currency: lead.currency.clone().unwrap_or_default(),
            tags: lead.tags.join(", "),
            score: lead.score.to_string(),
            notes: lead.notes.clone().unwrap_or_default(),
            owner_id: lead.owner_id.map(|id| id.to_string()).unwrap_or_default(),
            stage_id: lead.stage_id.to_string(),
            lost_reason: lead.lost_reason.clone().unwrap_or_default(),
            version: lead.version.to_string(),
            idempotency_key: String::new(),
        }
    }

    /// The value in minor units of the form's currency; problems go to `errors`.
    fn value_amount(&self, errors: &mut FieldErrors) -> Option<i64> {
        let value = given(&self.value)?;
        let Ok(currency) = Currency::parse(self.currency.trim()) else {
            errors.add("currency", "must be an ISO 4217 code such as EUR when a value is given");
            return None;
        };
        match Money::parse_decimal(&value, currency) {
            Ok(money) => Some(money.amount_minor()),
            Err(error) => {
                errors.add("value", error.to_string());
                None
            }
        }
    }

    fn score(&self, errors: &mut FieldErrors) -> Option<i32> {
        let score = given(&self.score)?;
        score.parse().map_err(|_| errors.add("score", "must be a whole number")).ok()
    }

    fn tags(&self) -> Vec<String> {
        self.tags.split(',').filter_map(given).collect()
    }

    /// The owner chosen (`None`: nobody); a value no browser sends goes to `errors`.
    fn owner(&self, errors: &mut FieldErrors) -> Option<Uuid> {
        let owner = given(&self.owner_id)?;
        owner.parse().map_err(|_| errors.add("owner_id", "is not a member of this organization")).ok()
    }

    /// The stage chosen (`None`: left blank); a value no browser sends goes to `errors`.
    fn stage(&self, errors: &mut FieldErrors) -> Option<Uuid> {
        let stage = given(&self.stage_id)?;
        stage.parse().map_err(|_| errors.add("stage_id", "is not a stage of this organization")).ok()
    }

    /// The body `POST /leads` would take; problems the form finds before the service.
    fn new_lead(&self) -> (NewLead, FieldErrors) {
        let mut errors = FieldErrors::new();
        let lead = NewLead {
            first_name: given(&self.first_name),
            last_name: given(&self.last_name),
            email: given(&self.email),
            phone: given(&self.phone),
            company: given(&self.company),
            title: given(&self.title),
            website: given(&self.website),
            address: given(&self.address),
            source: given(&self.source),
            value_amount: self.value_amount(&mut errors),
            currency: given(&self.currency),
            tags: Some(self.tags()),
            score: self.score(&mut errors),
            notes: given(&self.notes),
            owner_id: self.owner(&mut errors),
            stage_id: self.stage(&mut errors),
            ..NewLead::default()
        };
        (lead, errors)
    }

    /// The body `PATCH /leads/{id}` would take: every field, a blank one cleared.
    fn patch(&self) -> (LeadPatch, FieldErrors) {
        let mut errors = FieldErrors::new();
        let patch = LeadPatch {
            first_name: Some(given(&self.first_name)),
            last_name: Some(given(&self.last_name)),
            email: Some(given(&self.email)),
            phone: Some(given(&self.phone)),
            company: Some(given(&self.company)),
            title: Some(given(&self.title)),
            website: Some(given(&self.website)),
            address: Some(given(&self.address)),
            source: Some(given(&self.source)),
            value_amount: Some(self.value_amount(&mut errors)),
            currency: Some(given(&self.currency)),
            tags: Some(Some(self.tags())),
            score: Some(self.score(&mut errors)),
            notes: Some(given(&self.notes)),
            ..LeadPatch::default()
        };
        (patch, errors)
    }
}

/// Problems found by the form and by the service's check, together.
fn checked<T>(found: FieldErrors, checked: Result<T, FieldErrors>) -> Result<T, ApiError> {
    match checked {
        Ok(value) if found.is_empty() => Ok(value),
        Ok(_) => Err(ApiError::Validation(found)),
        Err(mut errors) => {
            for (field, messages) in found.iter() {
                for message in messages {
                    errors.add(field, message.clone());
                }
            }
            Err(ApiError::Validation(errors))
        }
    }
}

/// The failure as the form shows it: the value's errors beside the value field, and a
/// stale form's explanation.
fn failure_of(error: ApiError) -> Result<Failure, ConsoleError> {
    let mut failure = Failure::of_edit(FORM, error, "lead")?;
    if let Some(messages) = failure.fields.remove("value_amount") {
        failure.fields.entry("value".to_owned()).or_default().extend(messages);
    }
    Ok(failure)
}

/// The owners and stages a lead's form offers, as `[value, label]` pairs.
#[derive(Debug, Serialize)]
struct Choices {
    /// `None` without `leads.assign`: the field is not shown.
    owners: Option<Vec<(String, String)>>,
    stages: Vec<(String, String)>,
}

/// The form's choices for `signed`; `new` adds the blanks a new lead starts from.
async fn choices(state: &AppState, signed: &Signed, new: bool) -> Result<Choices, ConsoleError> {
    let organization_id = signed.ctx.organization_id()?;
    let db = state.db().read();
    let owners = if signed.can(LEADS_ASSIGN) {
        let blank = if new { "Chosen by the assignment rules" } else { "Nobody (unassigned)" };
        let members = member_choices(db, &*baseops_core::directory(state), organization_id)
            .await
            .map_err(ApiError::from)?;
        let members = members.into_iter().map(|(id, label)| (id.to_string(), label));
        Some(std::iter::once((String::new(), blank.to_owned())).chain(members).collect())
    } else {
        None
    };
    let pipelines = pipelines_of(db, organization_id).await.map_err(ApiError::from)?;
    let first = new.then(|| (String::new(), "The default pipeline's first stage".to_owned()));
    let stages = first
        .into_iter()
        .chain(pipelines.into_iter().flat_map(|pipeline| {
            pipeline.stages.into_iter().map(move |stage| {
                (
                    stage.id.to_string(),
                    format!("{} › {} ({})", pipeline.name, stage.name, stage.kind.as_str()),
                )
            })
        }))
        .collect();
    Ok(Choices { owners, stages })
}

/// The form page: a new lead's (`lead` none) or a lead's edit form.
fn render(
    signed: &Signed,
    lead: Option<(&LeadOut, String)>,
    form: &LeadForm,
    choices: &Choices,
    failure: Option<Failure>,
) -> Response {
    let (crumbs, action, heading, lead_id) = match lead {
        Some((lead, name)) => (
            vec![
                Crumb::link("Leads", "/admin/leads"),
                Crumb::link(name.clone(), format!("/admin/leads/{}", lead.id)),
                Crumb::here("Edit"),
            ],
            format!("/admin/leads/{}/edit", lead.id),
            format!("Edit {name}"),
            Some(lead.id),
        ),
        None => (
            vec![Crumb::link("Leads", "/admin/leads"), Crumb::here("New lead")],
            "/admin/leads/new".to_owned(),
            "New lead".to_owned(),
            None,
        ),
    };
    let page = signed.page(
        "leads/form.html",
        crumbs,
        context! {
            form => value(form),
            failure => value(&failure),
            action => action,
            heading => heading,
            lead_id => lead_id.map(|id| id.to_string()),
            choices => value(choices),
        },
    );
    answer(failure.as_ref(), page)
}

/// `GET /admin/leads/new`.
pub(super) async fn new_form(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_CREATE)?;
    let directory = baseops_core::directory(&state);
    let currency = organization_currency(state.db().read(), &*directory, access.organization_id)
        .await
        .map_err(ApiError::from)?;
    let form = LeadForm {
        source: "manual".to_owned(),
        currency,
        idempotency_key: Uuid::now_v7().to_string(),
        ..LeadForm::default()
    };
    Ok(render(&signed, None, &form, &choices(&state, &signed, true).await?, None))
}

/// `POST /admin/leads/new`: as `POST /leads`, with the form's idempotency key.
pub(super) async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<LeadForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let access = access_of(ctx, LEADS_CREATE)?;
    let created = async {
        let (input, found) = form.new_lead();
        let request_hash = baseops_idempotency::request_hash(&input);
        let placement = Placement { owner_id: input.owner_id, stage_id: input.stage_id };
        let fields = checked(found, input.check(&state.settings().leads.default_phone_region))?;
        let idempotency = idempotency_key(&form.idempotency_key).map(|key| Idempotency { key, request_hash });
        let directory = baseops_core::directory(&state);
        let txn = state.db().write().begin().await?;
        let id = match lead_create(&txn, &*directory, ctx.acting(), &access, fields, placement, idempotency)
            .await?
        {
            Created::New(model) => model.id,
            Created::Replayed(id) => id,
        };
        txn.commit().await?;
        Ok::<_, ApiError>(id)
    };
    match created.await {
        Ok(id) => Ok(done(&format!("/admin/leads/{id}"), "created")),
        Err(error) => {
            let failure = failure_of(error)?;
            Ok(render(&signed, None, &form, &choices(&state, &signed, true).await?, Some(failure)))
        }
    }
}

/// `GET /admin/leads/{id}/edit`.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_EDIT)?;
    let lead = lead_get(state.db().read(), &access, id).await?;
    let name = display_name(&lead.first_name, &lead.last_name, lead.email.as_deref());
    let choices = choices(&state, &signed, false).await?;
    Ok(render(&signed, Some((&lead, name)), &LeadForm::of(&lead), &choices, None))
}

/// `POST /admin/leads/{id}/edit`: as `PATCH /leads/{id}` with `If-Match` the version the
/// form was opened at.
pub(super) async fn update(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<LeadForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let access = access_of(ctx, LEADS_EDIT)?;
    let lead = lead_get(state.db().write(), &access, id).await?;
    let updated = async {
        let version = form.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)?;
        let (patch, found) = form.patch();
        let changes = checked(found, patch.check(&state.settings().leads.default_phone_region))?;
        let mut errors = FieldErrors::new();
        let owner = form.owner(&mut errors);
        let stage = form.stage(&mut errors);
        errors.into_result()?;
        // The owner is the form's only with leads.assign: others are not shown the field.
        let assign = access_of(ctx, LEADS_ASSIGN).ok().filter(|_| owner != lead.owner_id);
        let target = match stage.filter(|stage| *stage != lead.stage_id) {
            Some(stage_id) => Some(
                StageMove { stage_id, lost_reason: given(&form.lost_reason) }
                    .check()
                    .map_err(ApiError::Validation)?,
            ),
            None => None,
        };
        let directory = baseops_core::directory(&state);
        let txn = state.db().write().begin().await?;
        // One transaction, the version checked once by the first write: all of it or none.
        let acting = ctx.acting();
        lead_update(&txn, &*directory, acting, &access, id, Some(version), changes).await?;
        if let Some(assign) = assign {
            lead_assign(&txn, &*directory, acting, &assign, id, None, owner).await?;
        }
        if let Some(target) = target {
            let reopen = access_of(ctx, LEADS_REOPEN).ok();
            lead_move_stage(&txn, acting, &access, id, None, target, reopen.as_ref()).await?;
        }
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match updated.await {
        Ok(()) => Ok(done(&format!("/admin/leads/{id}"), "saved")),
        Err(error) => {
            let failure = failure_of(error)?;
            let name = display_name(&lead.first_name, &lead.last_name, lead.email.as_deref());
            let choices = choices(&state, &signed, false).await?;
            Ok(render(&signed, Some((&lead, name)), &form, &choices, Some(failure)))
        }
    }
}

/// The delete form: the version it confirms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DeleteForm {
    version: String,
}

fn confirm_page(signed: &Signed, lead: &LeadOut, failure: Option<Failure>) -> Response {
    let name = display_name(&lead.first_name, &lead.last_name, lead.email.as_deref());
    let page = signed.page(
        "leads/delete.html",
        vec![
            Crumb::link("Leads", "/admin/leads"),
            Crumb::link(name.clone(), format!("/admin/leads/{}", lead.id)),
            Crumb::here("Delete"),
        ],
        context! { lead => value(lead), name => name, failure => value(&failure) },
    );
    answer(failure.as_ref(), page)
}

/// `GET /admin/leads/{id}/delete`: what deleting takes with it, and a confirm button.
pub(super) async fn delete_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_DELETE)?;
    let lead = lead_get(state.db().read(), &access, id).await?;
    Ok(confirm_page(&signed, &lead, None))
}

/// `POST /admin/leads/{id}/delete`: as `DELETE /leads/{id}` with `If-Match` the version
/// confirmed; a lead changed since asks again.
pub(super) async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let access = access_of(ctx, LEADS_DELETE)?;
    let deleted = async {
        let version = form.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)?;
        let txn = state.db().write().begin().await?;
        lead_delete(&txn, ctx.acting(), &access, id, Some(version)).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match deleted.await {
        Ok(()) => Ok(Redirect::to("/admin/leads?done=deleted").into_response()),
        Err(ApiError::PreconditionFailed) => {
            let lead = lead_get(state.db().write(), &access, id).await?;
            let mut failure = Failure::of("delete", ApiError::PreconditionFailed)?;
            failure.message = "Someone changed this lead after you opened this page. Check it again \
                               before you delete it."
                .to_owned();
            Ok(confirm_page(&signed, &lead, Some(failure)))
        }
        Err(error) => Err(error.into()),
    }
}
