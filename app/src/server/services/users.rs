//! Users as admins manage them: the list, one user's logins and
//! applications, their platform role and status, and the first platform
//! admin created from the command line.
//!
//! Every change an admin makes is written to the audit log in the same
//! transaction as the change itself, so the log never misses one and never
//! records one that did not happen.

use std::net::IpAddr;

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::email::Email;
use crate::domain::paging::limit_offset;
use crate::domain::password::Password;
use crate::domain::profile::{Country, DisplayName};
use crate::domain::role::{PlatformRole, UserStatus};
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::like::contains_pattern;
use crate::server::password;
use crate::server::services::accounts;
use crate::server::services::audit::{self, Entry};
use crate::server::services::onboarding::ApplicationRow;

/// A user as the admin lists show them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub account_kind: String,
    pub organization: Option<String>,
    pub country: String,
    pub platform_role: String,
    pub status: String,
    pub email_verified_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// One login (browser session) of a user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRow {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// One page of users, newest first, whose email or display name contains
/// `search` (ignoring case; `%` and `_` are plain characters), and the
/// number of matches.
#[tracing::instrument(skip(pool))]
pub async fn list_users(
    pool: &PgPool,
    search: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let pattern = contains_pattern(search);
    let (limit, offset) = limit_offset(page, per_page);
    let total: i64 = sqlx::query_scalar(
        r"select count(*) from users
          where $1::text is null or email ilike $1 escape '\' or display_name ilike $1 escape '\'",
    )
    .bind(pattern.as_deref())
    .fetch_one(pool)
    .await?;
    let users = sqlx::query_as(
        r"select id, email, display_name, account_kind, organization, country, platform_role,
                 status, email_verified_at, created_at
          from users
          where $1::text is null or email ilike $1 escape '\' or display_name ilike $1 escape '\'
          order by created_at desc, id desc limit $2 offset $3",
    )
    .bind(pattern.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok((users, total))
}

/// One user, if the id exists.
#[tracing::instrument(skip(pool))]
pub async fn user(pool: &PgPool, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, email, display_name, account_kind, organization, country, platform_role,
                status, email_verified_at, created_at
         from users where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The user's most recent logins, newest first.
#[tracing::instrument(skip(pool))]
pub async fn logins(
    pool: &PgPool,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<LoginRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, created_at, last_seen_at, ended_at, host(client_addr) as client_addr, user_agent
         from logins where user_id = $1 order by created_at desc, id desc limit $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Every application of the user, newest first.
#[tracing::instrument(skip(pool))]
pub async fn applications_of(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    sqlx::query_as(
        "select a.id, a.user_id, u.email as user_email, u.display_name as user_name, a.building,
                a.industry, a.expected_usage, a.status, a.decision_note, a.created_at, a.decided_at
         from applications a join users u on u.id = a.user_id
         where a.user_id = $1 order by a.created_at desc, a.id desc",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Locks the user's row for the rest of the transaction and returns its
/// `(platform_role, status)`, or 404.
async fn lock_user(conn: &mut PgConnection, user_id: Uuid) -> Result<(String, String), AppError> {
    sqlx::query_as("select platform_role, status from users where id = $1 for update")
        .bind(user_id)
        .fetch_optional(conn)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound("There is no such user.".to_owned()))
}

/// Gives `user_id` the platform role `role`, with an audit record. Admins
/// cannot change their own role (so there is always an admin left).
#[tracing::instrument(skip(pool, actor), fields(actor = %actor.user_id))]
pub async fn change_role(
    pool: &PgPool,
    actor: &Caller,
    user_id: Uuid,
    role: PlatformRole,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    if actor.user_id == user_id {
        return Err(AppError::Refused(
            "You cannot change your own role. Ask another administrator.".to_owned(),
        ));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let (before, _) = lock_user(&mut tx, user_id).await?;
    if before == role.as_str() {
        // Nothing changes, so there is nothing to audit.
        return Ok(());
    }
    sqlx::query("update users set platform_role = $2 where id = $1")
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "user.role_change",
        target_type: "user",
        target_id: user_id.to_string(),
        before: Some(json!({ "role": before })),
        after: Some(json!({ "role": role.as_str() })),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// Suspends or reactivates `user_id`, with an audit record. Suspending ends
/// every login of the user at once. Admins cannot suspend themselves.
#[tracing::instrument(skip(pool, actor), fields(actor = %actor.user_id))]
pub async fn set_status(
    pool: &PgPool,
    actor: &Caller,
    user_id: Uuid,
    status: UserStatus,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    if actor.user_id == user_id {
        return Err(AppError::Refused(
            "You cannot suspend or reactivate your own account.".to_owned(),
        ));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let (_, before) = lock_user(&mut tx, user_id).await?;
    if before == status.as_str() {
        return Ok(());
    }
    sqlx::query("update users set status = $2 where id = $1")
        .bind(user_id)
        .bind(status.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let (action, after) = match status {
        UserStatus::Suspended => {
            let ended = accounts::end_logins(&mut tx, user_id, None).await?;
            (
                "user.suspend",
                json!({ "status": status.as_str(), "logins_ended": ended }),
            )
        }
        UserStatus::Active => ("user.reactivate", json!({ "status": status.as_str() })),
    };
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action,
        target_type: "user",
        target_id: user_id.to_string(),
        before: Some(json!({ "status": before })),
        after: Some(after),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// What `create_or_promote` did.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Created(Uuid),
    Promoted(Uuid),
    AlreadyAdmin(Uuid),
}

/// Promotes the account with `email` to platform admin, or creates a
/// verified admin account with `new_password` when none exists. Audited,
/// with no actor (the command line).
pub async fn create_or_promote(
    pool: &PgPool,
    email: &Email,
    name: &DisplayName,
    country: Country,
    new_password: impl FnOnce() -> anyhow::Result<Password>,
) -> anyhow::Result<AdminOutcome> {
    let existing: Option<(Uuid, String)> =
        sqlx::query_as("select id, platform_role from users where lower(email) = lower($1)")
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?;
    let mut tx = pool.begin().await?;
    let outcome = match existing {
        Some((id, role)) if role == "admin" => return Ok(AdminOutcome::AlreadyAdmin(id)),
        Some((id, role)) => {
            sqlx::query("update users set platform_role = 'admin' where id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_cli(
                &mut tx,
                "user.role_change",
                id,
                Some(json!({ "role": role })),
                json!({ "role": "admin" }),
            )
            .await?;
            AdminOutcome::Promoted(id)
        }
        None => {
            let hash = password::hash(new_password()?).await?;
            let id = Uuid::now_v7();
            sqlx::query(
                "insert into users (id, email, password_hash, display_name, account_kind, country, platform_role, email_verified_at)
                 values ($1, $2, $3, $4, 'other', $5, 'admin', now())",
            )
            .bind(id)
            .bind(email.as_str())
            .bind(hash)
            .bind(name.as_str())
            .bind(country.code())
            .execute(&mut *tx)
            .await?;
            audit_cli(
                &mut tx,
                "user.create_admin",
                id,
                None,
                json!({ "email": email.as_str(), "role": "admin" }),
            )
            .await?;
            AdminOutcome::Created(id)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

async fn audit_cli(
    conn: &mut sqlx::PgConnection,
    action: &str,
    id: Uuid,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        Entry {
            actor_id: None,
            action,
            target_type: "user",
            target_id: id.to_string(),
            before,
            after: Some(after),
            client_addr: None,
        },
    )
    .await
}
