//! The people of a test: organizations with their owners, members with a default role, and
//! superusers — made through the users and roles apps' services, as an invitation or
//! `createsuperuser` would, then given a bearer token or a signed-in session.

use baseops_core::{Acting, Actor, Origin};
use baseops_users::PasswordHashing;
use baseops_users::service::organization::{NewOrganization, member_add, organization_create};
use baseops_users::service::token::{NewToken, token_create};
use baseops_users::service::user::{NewUser, user_create};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::{Client, TestApp};

/// The password of every user the kit creates.
pub const PASSWORD: &str = "blue-kettle-41-marsh";

/// An organization and its owner.
#[derive(Clone, Debug)]
pub struct Org {
    /// Its id.
    pub id: Uuid,
    /// Its slug.
    pub slug: String,
    /// The user who created it (role `owner`), with a bearer token of every permission.
    pub owner: Client,
}

fn system() -> (Actor, Origin) {
    (Actor::System { name: "test".into() }, Origin::internal())
}

impl TestApp {
    /// The test's organization ("Acme"), created on first use.
    pub async fn org(&self) -> &Org {
        self.default_org.get_or_init(|| self.organization("Acme")).await
    }

    /// A new organization (in EUR) owned by a new user `owner@<slug>.test`.
    ///
    /// # Panics
    /// When the services refuse (a name already taken).
    pub async fn organization(&self, name: &str) -> Org {
        let email = format!("owner@{}.test", name.to_lowercase().replace(' ', "-"));
        let user_id = self.user(&email).await;
        let (actor, origin) = system();
        let txn = self.state().db().write().begin().await.expect("a transaction");
        let new =
            NewOrganization { name: name.into(), slug: None, currency: Some("EUR".into()), time_zone: None }
                .check()
                .unwrap_or_else(|errors| panic!("organization {name}: {errors:?}"));
        let acting = Acting { actor: &actor, origin: &origin };
        let org = organization_create(&txn, acting, user_id, new, self.state().permissions())
            .await
            .unwrap_or_else(|error| panic!("organization {name}: {error:?}"));
        txn.commit().await.expect("commit");
        let owner = self.with_token(user_id, org.id, &email).await;
        Org { id: org.id, slug: org.slug, owner }
    }

    /// A new member of the test's organization with one default role (`sales`, `viewer`, …),
    /// holding a bearer token of every permission the role grants.
    pub async fn as_role(&self, role: &str) -> Client {
        let org = self.org().await.id;
        self.member(org, role).await
    }

    /// A new member of the test's organization with one default role, signed in with a
    /// session (cookie and CSRF token), as in the console.
    pub async fn signed_in_as_role(&self, role: &str) -> Client {
        let member = self.as_role(role).await;
        let mut client = Client::logged_in(self, &member.email).await;
        client.organization_id = member.organization_id;
        client
    }

    /// A new member of `organization_id` with one default role and a bearer token.
    ///
    /// # Panics
    /// When `role` is no default role.
    pub async fn member(&self, organization_id: Uuid, role: &str) -> Client {
        let email = format!("{role}-{}@example.test", Uuid::now_v7().simple());
        self.member_with_email(organization_id, &email, role).await
    }

    /// A new member `email` of `organization_id` with one default role and a bearer token.
    ///
    /// # Panics
    /// When `role` is no default role, or the address is taken.
    pub async fn member_with_email(&self, organization_id: Uuid, email: &str, role: &str) -> Client {
        let user_id = self.user(email).await;
        self.join(user_id, organization_id, role).await;
        self.with_token(user_id, organization_id, email).await
    }

    /// A new user `email` with [`PASSWORD`] and no organization.
    ///
    /// # Panics
    /// When the services refuse the address.
    pub async fn user(&self, email: &str) -> Uuid {
        self.new_user(email, false).await
    }

    /// A new superuser `email` with [`PASSWORD`] and no organization.
    pub async fn superuser(&self, email: &str) -> Uuid {
        self.new_user(email, true).await
    }

    async fn new_user(&self, email: &str, is_superuser: bool) -> Uuid {
        let settings = &self.settings().auth;
        let hashing = PasswordHashing::new(settings).expect("the password settings");
        let (actor, origin) = system();
        let txn = self.state().db().write().begin().await.expect("a transaction");
        let new = NewUser { email, display_name: email, password: Some(PASSWORD), is_superuser }
            .check(settings)
            .unwrap_or_else(|errors| panic!("user {email}: {errors:?}"));
        let user = user_create(&txn, Acting { actor: &actor, origin: &origin }, new, &hashing)
            .await
            .unwrap_or_else(|error| panic!("user {email}: {error:?}"));
        txn.commit().await.expect("commit");
        user.id
    }

    /// Adds an existing user to an organization with one default role.
    ///
    /// # Panics
    /// When `role` is no default role, or the user is a member already.
    pub async fn join(&self, user_id: Uuid, organization_id: Uuid, role: &str) {
        let (actor, origin) = system();
        let acting = Acting { actor: &actor, origin: &origin };
        let txn = self.state().db().write().begin().await.expect("a transaction");
        let member = member_add(&txn, acting, organization_id, user_id).await.expect("a new membership");
        let role_id = baseops_roles::role_get_by_key(&txn, organization_id, role)
            .await
            .expect("the roles")
            .unwrap_or_else(|| panic!("{role} is no default role"));
        baseops_roles::member_role_give(&txn, acting, organization_id, member.id, role_id)
            .await
            .expect("the role is given");
        txn.commit().await.expect("commit");
    }

    /// A client of `user_id` in `organization_id` with a bearer token carrying every
    /// permission they hold there (no token when they hold none).
    pub async fn with_token(&self, user_id: Uuid, organization_id: Uuid, email: &str) -> Client {
        let (actor, origin) = system();
        let txn = self.state().db().write().begin().await.expect("a transaction");
        let held = baseops_users::selector::grants_of(&txn, user_id, organization_id)
            .await
            .expect("the grants")
            .unwrap_or_default();
        let scopes: Vec<String> = held.keys().cloned().collect();
        let token = if scopes.is_empty() {
            None
        } else {
            let new = NewToken { name: "test", scopes: &scopes, expires_at: None }
                .check(&held, chrono::Utc::now())
                .unwrap_or_else(|errors| panic!("a token: {errors:?}"));
            let acting = Acting { actor: &actor, origin: &origin };
            let created = token_create(&txn, acting, user_id, organization_id, new)
                .await
                .unwrap_or_else(|error| panic!("a token: {error:?}"));
            Some(created.token)
        };
        txn.commit().await.expect("commit");
        Client { user_id, organization_id, email: email.to_owned(), token, ..Client::default() }
    }
}
