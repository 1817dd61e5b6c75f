//! "Your leads" on the console's home page: how many open leads the signed-in person owns,
//! and the five newest. A bounded count and one short page walking the owner index in its
//! own order (organization, owner, id), so neither sorts the person's leads.

use baseops_app::{SearchHit, WorkCard, WorkFigure};
use baseops_core::{ApiError, AppState, RequestContext};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::display_name;
use crate::model::StageKind;
use crate::permission::{LEADS_VIEW, access_of};
use crate::selector::lead::{LeadFilter, Sort, lead_count, lead_list};

/// Leads counted exactly up to this many; beyond it the card says "1000+".
const COUNT_BOUND: u64 = 1000;
/// Leads listed on the card.
const SHOWN: u64 = 5;

/// The signed-in person's card, or `None` without `leads.view`.
pub(super) fn work(
    state: AppState,
    ctx: RequestContext,
) -> BoxFuture<'static, Result<Option<WorkCard>, ApiError>> {
    async move {
        if !ctx.can(LEADS_VIEW) {
            return Ok(None);
        }
        let access = access_of(&ctx, LEADS_VIEW)?;
        let db = state.db().read();
        let open = LeadFilter {
            status: Some(StageKind::Open),
            owner_id: Some(Some(ctx.user_id())),
            sort: Sort::NewestFirst,
            limit: Some(SHOWN),
            ..LeadFilter::default()
        };
        let open_count = lead_count(db, &access, &open, COUNT_BOUND).await.map_err(ApiError::from)?;
        let first = lead_list(db, &access, &open).await?;
        let list_url = "/admin/leads?status=open&mine=1";
        Ok(Some(WorkCard {
            title: "Your leads".to_owned(),
            url: list_url.to_owned(),
            figures: vec![WorkFigure::of("open", open_count, list_url)],
            items: first
                .items
                .into_iter()
                .map(|lead| SearchHit {
                    kind: "Lead",
                    title: display_name(&lead.first_name, &lead.last_name, lead.email.as_deref()),
                    subtitle: match &lead.company {
                        Some(company) => format!("{company} · since {}", lead.created_at.format("%Y-%m-%d")),
                        None => format!("since {}", lead.created_at.format("%Y-%m-%d")),
                    },
                    url: format!("/admin/leads/{}", lead.id),
                })
                .collect(),
            empty: "You own no open lead.".to_owned(),
        }))
    }
    .boxed()
}
