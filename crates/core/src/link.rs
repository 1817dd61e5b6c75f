//! Links between apps' records — a task about a lead — without the apps depending on each
//! other. The app that owns a kind of record (`lead`) registers a [`LinkTarget`] that checks a
//! linked record exists and records what happens to its links (the lead's timeline); an app
//! whose records link to others (tasks) reports through [`Links::record`] and registers a
//! [`LinkSource`] so a merge can point its links at the surviving record. The composition
//! root builds one [`Links`] and installs it as a state extension.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use baseops_db::sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::{Acting, ApiError, AppState};

/// What happened to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChange<'a> {
    /// The source record now points at the target (created with the link, or relinked).
    Linked,
    /// The source record no longer points at the target (relinked elsewhere, or deleted).
    Unlinked,
    /// The source record moved to another status (a task's workflow stage).
    Status(&'a str),
}

/// One change to a link, reported inside the source app's transaction.
#[derive(Debug, Clone, Copy)]
pub struct LinkEvent<'a> {
    /// Who changed it.
    pub acting: Acting<'a>,
    /// The organization both records belong to.
    pub organization_id: Uuid,
    /// The linked-to record's kind (`lead`).
    pub target_kind: &'a str,
    /// The linked-to record.
    pub target_id: Uuid,
    /// The linking record's kind (`task`).
    pub source_kind: &'static str,
    /// The linking record.
    pub source_id: Uuid,
    /// The linking record's title as it reads now.
    pub title: &'a str,
    /// What happened.
    pub change: LinkChange<'a>,
}

/// The owner of a kind of record others link to.
#[async_trait]
pub trait LinkTarget: Send + Sync {
    /// The kind it owns (`lead`): `[a-z][a-z0-9_]*`.
    fn kind(&self) -> &'static str;

    /// Records `event` on the target, in the caller's transaction.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] when the target is not a record of the organization (a new link
    /// to it is then refused); database errors.
    async fn record(&self, txn: &DatabaseTransaction, event: &LinkEvent<'_>) -> Result<(), ApiError>;
}

/// An app whose records link to other apps' records.
#[async_trait]
pub trait LinkSource: Send + Sync {
    /// Points every link of the organization at `kind`/`from` to `kind`/`to` (a merge), in
    /// the caller's transaction; returns how many records it changed.
    ///
    /// # Errors
    /// Database errors.
    async fn retarget(
        &self,
        txn: &DatabaseTransaction,
        acting: Acting<'_>,
        organization_id: Uuid,
        kind: &str,
        from: Uuid,
        to: Uuid,
    ) -> Result<u64, ApiError>;
}

/// Every registered link target and source; cheap to clone.
#[derive(Clone, Default)]
pub struct Links {
    targets: Arc<BTreeMap<&'static str, Arc<dyn LinkTarget>>>,
    sources: Arc<Vec<Arc<dyn LinkSource>>>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("targets", &self.targets.keys().collect::<Vec<_>>())
            .field("sources", &self.sources.len())
            .finish()
    }
}

impl Links {
    /// Registers the owner of a kind.
    ///
    /// # Panics
    /// When two targets claim one kind, or after the registry was cloned (it is built at
    /// start-up).
    #[must_use]
    pub fn with_target(mut self, target: impl LinkTarget + 'static) -> Self {
        let targets = Arc::get_mut(&mut self.targets).expect("links are registered before they are shared");
        let kind = target.kind();
        assert!(targets.insert(kind, Arc::new(target)).is_none(), "two link targets for `{kind}`");
        self
    }

    /// Registers an app whose records link to others.
    ///
    /// # Panics
    /// After the registry was cloned (it is built at start-up).
    #[must_use]
    pub fn with_source(mut self, source: impl LinkSource + 'static) -> Self {
        Arc::get_mut(&mut self.sources)
            .expect("links are registered before they are shared")
            .push(Arc::new(source));
        self
    }

    /// The registry installed in `state`, or an empty one.
    pub fn of(state: &AppState) -> Self {
        state.extension::<Self>().cloned().unwrap_or_default()
    }

    /// Whether an app owns `kind`.
    pub fn knows(&self, kind: &str) -> bool {
        self.targets.contains_key(kind)
    }

    /// The kinds apps own, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.targets.keys().copied()
    }

    /// Reports a change to its target's owner. A kind no app owns is not checked (records of
    /// an app not installed in this build keep their link as given); returns whether an
    /// owner recorded it.
    ///
    /// # Errors
    /// What the owner returns: [`ApiError::NotFound`] for a target outside the organization.
    pub async fn record(&self, txn: &DatabaseTransaction, event: &LinkEvent<'_>) -> Result<bool, ApiError> {
        match self.targets.get(event.target_kind) {
            Some(target) => target.record(txn, event).await.map(|()| true),
            None => Ok(false),
        }
    }

    /// Points every source's links from one record to another (after a merge); returns how
    /// many records changed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn retarget(
        &self,
        txn: &DatabaseTransaction,
        acting: Acting<'_>,
        organization_id: Uuid,
        kind: &str,
        from: Uuid,
        to: Uuid,
    ) -> Result<u64, ApiError> {
        let mut changed = 0;
        for source in self.sources.iter() {
            changed += source.retarget(txn, acting, organization_id, kind, from, to).await?;
        }
        Ok(changed)
    }
}
