//! People signed in with a session (cookie and CSRF token, as in the console) — which, unlike a
//! bearer token, follows later changes to their roles — and an organization with one such
//! member per default role.

use uuid::Uuid;

use crate::{Client, Org, TestApp};

/// Every default role, the owner first.
pub const DEFAULT_ROLES: [&str; 8] =
    ["owner", "admin", "manager", "sales", "accountant", "marketer", "support", "viewer"];

/// An organization and one signed-in member per default role: the owner (`owner@acme.test`),
/// then `<role>@acme.test` for the others.
#[derive(Debug, Clone)]
pub struct Team {
    /// The organization (the test's default, "Acme").
    pub id: Uuid,
    /// Each default role with its member, in the order of [`DEFAULT_ROLES`].
    pub members: Vec<(&'static str, Client)>,
}

impl Team {
    /// The member with this default role.
    ///
    /// # Panics
    /// When `role` is no default role.
    pub fn member(&self, role: &str) -> &Client {
        &self.members.iter().find(|(key, _)| *key == role).unwrap_or_else(|| panic!("no {role}")).1
    }

    /// The owner.
    pub fn owner(&self) -> &Client {
        self.member("owner")
    }
}

impl TestApp {
    /// A new user `email`, added to `organization_id` with one default role and signed in with
    /// a session.
    pub async fn signed_in_member(&self, organization_id: Uuid, email: &str, role: &str) -> Client {
        let user_id = self.user(email).await;
        self.join(user_id, organization_id, role).await;
        let mut client = Client::logged_in(self, email).await;
        client.organization_id = organization_id;
        client
    }

    /// The owner of `org`, signed in with a session.
    pub async fn signed_in_owner(&self, org: &Org) -> Client {
        let mut client = Client::logged_in(self, &org.owner.email).await;
        client.organization_id = org.id;
        client
    }

    /// The test's organization, "Acme", with one signed-in member per default role.
    pub async fn team(&self) -> Team {
        let org = self.org().await.clone();
        let mut members = vec![("owner", self.signed_in_owner(&org).await)];
        for role in &DEFAULT_ROLES[1..] {
            members.push((*role, self.signed_in_member(org.id, &format!("{role}@acme.test"), role).await));
        }
        Team { id: org.id, members }
    }

    /// The membership id of `email` in the organization of `client`, as `GET /api/v1/members`
    /// lists it.
    ///
    /// # Panics
    /// When the list cannot be read or `email` is no member.
    pub async fn membership_id(&self, client: &Client, email: &str) -> String {
        let response = client.get(self, "/api/v1/members").await;
        assert_eq!(response.status, 200, "{}", response.text());
        let members = response.json();
        members
            .as_array()
            .expect("a list of members")
            .iter()
            .find(|member| member["email"] == email)
            .unwrap_or_else(|| panic!("{email} is no member: {members}"))["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }
}
