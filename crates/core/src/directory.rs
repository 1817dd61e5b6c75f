//! Who exists: the identity app's users, organizations and memberships, as the other apps
//! may read them. The users app installs its [`Directory`] in the application state (as it
//! installs the authenticator); no other app reads those tables by name, so the users app
//! may change them without breaking its neighbours.

use std::sync::Arc;

use async_trait::async_trait;
use baseops_db::sea_orm::sea_query::{SelectStatement, SimpleExpr};
use baseops_db::sea_orm::{ConnectionTrait, DatabaseExecutor, DbErr};
use uuid::Uuid;

use crate::AppState;

/// An organization, as other apps see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRef {
    /// Its id.
    pub id: Uuid,
    /// Its unique slug (`acme`).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its default currency (ISO 4217).
    pub currency: String,
    /// Its time zone (IANA).
    pub time_zone: String,
}

/// A user, as other apps see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// Its id.
    pub id: Uuid,
    /// The e-mail address.
    pub email: String,
    /// The name shown to colleagues.
    pub display_name: String,
    /// The language messages to them are written in (`en`).
    pub locale: String,
    /// Deactivated users keep their history but cannot sign in or be given work.
    pub is_active: bool,
}

/// Read access to users, organizations and memberships.
///
/// Methods take a [`DatabaseExecutor`] (`db.into()` from a pool or a transaction) so a
/// service can read inside its own transaction and a selector on the read pool.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// An organization by id or slug.
    async fn organization(
        &self,
        db: DatabaseExecutor<'_>,
        reference: &str,
    ) -> Result<Option<OrganizationRef>, DbErr>;

    /// The ids of every organization, oldest first.
    async fn organization_ids(&self, db: DatabaseExecutor<'_>) -> Result<Vec<Uuid>, DbErr>;

    /// The users with these ids (those that exist), in no particular order.
    async fn users(&self, db: DatabaseExecutor<'_>, ids: &[Uuid]) -> Result<Vec<UserRef>, DbErr>;

    /// Of these users, those who are active members of the organization.
    async fn active_members(
        &self,
        db: DatabaseExecutor<'_>,
        organization_id: Uuid,
        user_ids: &[Uuid],
    ) -> Result<Vec<Uuid>, DbErr>;

    /// The user ids of every active member of the organization, in the order they joined.
    async fn member_ids(&self, db: DatabaseExecutor<'_>, organization_id: Uuid) -> Result<Vec<Uuid>, DbErr>;

    /// The statement selecting `user_id` of the active members of the organization among
    /// `user_ids` (at most [`MAX_IDS`]), for a service to run in its own transaction.
    fn active_members_query(&self, organization_id: Uuid, user_ids: &[Uuid]) -> SelectStatement;

    /// A condition, for use inside one statement (an `INSERT … SELECT` that must not pay a
    /// round trip), that holds when `user` is an active member of `organization`
    /// (deactivated users are given no new work).
    fn is_member(&self, organization: SimpleExpr, user: SimpleExpr) -> SimpleExpr;

    /// A scalar subquery, for use inside one statement (an `INSERT … SELECT`), giving the
    /// default currency (ISO 4217) of `organization`; NULL when there is no such organization.
    fn organization_currency(&self, organization: SimpleExpr) -> SimpleExpr;

    /// The statement selecting `user_id` and `email` of the members of the organization (as
    /// [`Directory::is_member`] counts them) whose e-mail address is among `emails` (given
    /// lower-case, at most [`MAX_IDS`]), for a service to run in its own transaction: an
    /// import resolving a column of owners' addresses.
    fn members_by_email_query(&self, organization_id: Uuid, emails: &[String]) -> SelectStatement;
}

/// Most ids one directory statement names; longer lists are asked in several statements, so
/// none passes the engines' parameter limits.
pub const MAX_IDS: usize = 500;

/// Of `user_ids`, those who are active members of the organization, read on `db` (a pool or
/// the caller's transaction).
///
/// # Errors
/// Database errors.
pub async fn active_members(
    db: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
    user_ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    let mut members = Vec::with_capacity(user_ids.len());
    for chunk in user_ids.chunks(MAX_IDS) {
        for row in db.query_all(&directory.active_members_query(organization_id, chunk)).await? {
            members.push(row.try_get::<Uuid>("", "user_id")?);
        }
    }
    Ok(members)
}

/// The directory installed in the state.
///
/// # Panics
/// When no app installed one: the users app is part of every build, and the composition
/// fails without it for any app that depends on it.
pub fn directory(state: &AppState) -> Arc<dyn Directory> {
    state
        .extension::<Arc<dyn Directory>>()
        .cloned()
        .expect("the users app installs the directory; compose it")
}
