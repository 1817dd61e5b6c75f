//! The identity tables as SeaORM entities. Other apps reach them through this app's
//! selectors and services, never directly.

/// A person who can sign in.
pub mod user {
    use sea_orm::entity::prelude::*;

    /// A user row. `password_hash` never leaves this crate.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub email: String,
        pub display_name: String,
        pub time_zone: String,
        pub locale: String,
        pub avatar_key: Option<String>,
        pub password_hash: Option<String>,
        pub is_active: bool,
        pub is_superuser: bool,
        pub email_verified_at: Option<DateTimeUtc>,
        pub last_login_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// TOTP secret, sealed (`secret_box`; base32 if stored before sealing): pending until
        /// `totp_enabled_at` is set.
        pub totp_secret: Option<String>,
        pub totp_enabled_at: Option<DateTimeUtc>,
        /// The last accepted TOTP step, so no code is accepted twice.
        pub totp_last_step: Option<i64>,
        /// The profile's version (`ETag` of `GET /me`, `If-Match` of `PATCH /me`): bumped by
        /// every change of the profile — display name, time zone, locale — and by nothing
        /// else (logins, passwords and second factors leave it alone).
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A tenant: every tenant-owned record belongs to exactly one.
pub mod organization {
    use sea_orm::entity::prelude::*;

    /// An organization row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub slug: String,
        pub currency: String,
        pub time_zone: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Bumped by every change (`If-Match` of `PATCH /organizations/{id}`).
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A user's place in an organization; roles attach to it.
pub mod membership {
    use sea_orm::entity::prelude::*;

    /// A membership row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "memberships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
        /// The version of the membership's role set (`version` in `GET /members`, `If-Match`
        /// of `PUT /members/{id}/roles`). A membership has nothing else that changes, so its
        /// row carries the version of its roles rather than a table of its own: 1 as the
        /// member joins with their first role (same transaction), bumped by
        /// `member_roles_replace` whenever it changes the set. Deleting a role takes it from
        /// its holders without a bump; no write is lost by that, since a client still
        /// holding the older set can only name the deleted role again, which is refused.
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::user::Entity",
            from = "Column::UserId",
            to = "super::user::Column::Id"
        )]
        User,
    }

    impl Related<super::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A browser session; the cookie holds a random token, the row only its SHA-256.
pub mod session {
    use sea_orm::entity::prelude::*;

    /// A session row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub token_hash: String,
        pub user_id: Uuid,
        pub csrf_token: String,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A personal API token; shown once, stored as its SHA-256.
pub mod api_token {
    use sea_orm::entity::prelude::*;

    /// An API token row. `scopes` is a JSON array of permission names.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub organization_id: Option<Uuid>,
        pub name: String,
        pub prefix: String,
        pub token_hash: String,
        pub scopes: String,
        pub expires_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Single-use recovery codes for two-factor login, stored as SHA-256.
pub mod recovery_code {
    use sea_orm::entity::prelude::*;

    /// A recovery code row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recovery_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub code_hash: String,
        pub used_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Brute-force throttle counters (see `service::throttle`).
pub mod auth_throttle {
    use sea_orm::entity::prelude::*;

    /// A counter row; `key` is `pair:<account>|<ip>`, `ip:<address>` or `account:<e-mail>`.
    /// Times are Unix milliseconds.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "auth_throttle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub failures: i32,
        pub window_ends_ms: i64,
        pub locked_until_ms: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A single-use link: a password reset, an e-mail verification or an invitation. The link
/// carries a random token; the row keeps only its SHA-256.
pub mod one_time_token {
    use sea_orm::entity::prelude::*;

    /// A one-time token row. `purpose` is a [`crate::service::onetime::Purpose`] as text;
    /// `user_id` is set for resets and verifications, `organization_id` and `role_key` for
    /// invitations.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "one_time_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub purpose: String,
        pub token_hash: String,
        pub user_id: Option<Uuid>,
        pub organization_id: Option<Uuid>,
        pub email: String,
        pub role_key: Option<String>,
        pub created_by: Option<Uuid>,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
