//! Who did something, and where the request came from: recorded with every change.

use std::net::IpAddr;

use uuid::Uuid;

use crate::RequestId;

/// The one who performs an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A user signed in with a session.
    User {
        /// The user's id.
        user_id: Uuid,
    },
    /// A user acting through one of their API tokens.
    Token {
        /// The token owner's id.
        user_id: Uuid,
        /// The token's id.
        token_id: Uuid,
    },
    /// The system itself: a job, a command, a migration.
    System {
        /// What acted (`createsuperuser`, `job:task_reminders`).
        name: String,
    },
    /// Nobody signed in (a login attempt, a password-reset request).
    Anonymous,
}

impl Actor {
    /// `user`, `token`, `system` or `anonymous`: the actor type stored with audit events.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::User { .. } => "user",
            Self::Token { .. } => "token",
            Self::System { .. } => "system",
            Self::Anonymous => "anonymous",
        }
    }

    /// The id stored with audit events: the user, the token, or the system actor's name.
    pub fn id(&self) -> Option<String> {
        match self {
            Self::User { user_id } => Some(user_id.to_string()),
            Self::Token { token_id, .. } => Some(token_id.to_string()),
            Self::System { name } => Some(name.clone()),
            Self::Anonymous => None,
        }
    }

    /// The user behind a session or a token.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User { user_id } | Self::Token { user_id, .. } => Some(*user_id),
            Self::System { .. } | Self::Anonymous => None,
        }
    }
}

/// Who acts and from where: what a service needs to record an audit event.
#[derive(Clone, Copy, Debug)]
pub struct Acting<'a> {
    /// The actor.
    pub actor: &'a Actor,
    /// The request (or job) it acts in.
    pub origin: &'a Origin,
}

/// Where a request came from: its id, the client's address and user agent.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The request id (or a fresh id for work outside a request).
    pub request_id: RequestId,
    /// The client's IP address, when known.
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent`, truncated to [`Origin::MAX_USER_AGENT_LEN`] characters.
    pub user_agent: Option<String>,
}

impl Origin {
    /// Longest user agent kept.
    pub const MAX_USER_AGENT_LEN: usize = 256;

    /// The origin of work that no request caused (jobs, commands).
    pub fn internal() -> Self {
        Self { request_id: RequestId::generate(), ip: None, user_agent: None }
    }
}
