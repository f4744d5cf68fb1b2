//! Admin console services: users, roles, statuses, the audit log.
//!
//! Every change an admin makes is written to the audit log in the same
//! transaction as the change itself, so the log never misses one and never
//! records one that did not happen.

use std::net::IpAddr;

use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::role::{PlatformRole, UserStatus};
use crate::error::AppError;
use crate::server::audit::{self, Entry};
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::services::accounts;
use crate::server::services::applications::ApplicationRow;

/// The largest page any list here returns, whatever the caller asks for.
pub const MAX_PER_PAGE: i64 = 200;

/// The headline numbers of the admin overview.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Overview {
    pub users: i64,
    pub pending_applications: i64,
    pub unsent_emails: i64,
}

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

/// One audit log entry, with the actor's email.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub client_addr: Option<String>,
}

/// How a page number and size turn into `limit`/`offset`: pages are 1-based,
/// anything below 1 reads as 1, and the size is clamped to `1..=MAX_PER_PAGE`.
pub fn limit_offset(page: i64, per_page: i64) -> (i64, i64) {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    (
        per_page,
        page.max(1).saturating_sub(1).saturating_mul(per_page),
    )
}

/// Makes `text` match itself literally inside an `ilike` pattern escaped
/// with `\`, and wraps it to match anywhere. Blank filters match everything.
pub fn contains_pattern(filter: Option<&str>) -> Option<String> {
    let filter = filter.map(str::trim).filter(|f| !f.is_empty())?;
    let mut pattern = String::with_capacity(filter.len() + 2);
    pattern.push('%');
    for c in filter.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

/// Counts for the overview page.
#[tracing::instrument(skip(pool))]
pub async fn overview(pool: &PgPool) -> Result<Overview, sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from users) as users,
                (select count(*) from applications where status = 'pending') as pending_applications,
                (select count(*) from outbox where sent_at is null) as unsent_emails",
    )
    .fetch_one(pool)
    .await
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

/// One page of the audit log, newest first, optionally only entries with
/// exactly `action`, and the number of matches.
#[tracing::instrument(skip(pool))]
pub async fn list_audit(
    pool: &PgPool,
    action: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<AuditRow>, i64), sqlx::Error> {
    let action = action.map(str::trim).filter(|a| !a.is_empty());
    let (limit, offset) = limit_offset(page, per_page);
    let total: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where ($1::text is null or action = $1)",
    )
    .bind(action)
    .fetch_one(pool)
    .await?;
    let entries = sqlx::query_as(
        "select l.id, l.created_at, l.actor_id, u.email as actor_email, l.action, l.target_type, l.target_id,
                l.before, l.after, host(l.client_addr) as client_addr
         from audit_log l left join users u on u.id = l.actor_id
         where ($1::text is null or l.action = $1)
         order by l.created_at desc, l.id desc
         limit $2 offset $3",
    )
    .bind(action)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok((entries, total))
}

/// Every action name the audit log holds, for the filter.
#[tracing::instrument(skip(pool))]
pub async fn audit_actions(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct action from audit_log order by action")
        .fetch_all(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_are_escaped_and_blank_searches_match_all() {
        assert_eq!(contains_pattern(Some(" ada ")).as_deref(), Some("%ada%"));
        assert_eq!(
            contains_pattern(Some("100%_a\\b")).as_deref(),
            Some(r"%100\%\_a\\b%")
        );
        assert_eq!(contains_pattern(Some("  ")), None);
        assert_eq!(contains_pattern(None), None);
    }

    #[test]
    fn pages_below_one_read_as_one_and_sizes_are_clamped() {
        assert_eq!(limit_offset(1, 25), (25, 0));
        assert_eq!(limit_offset(3, 25), (25, 50));
        assert_eq!(limit_offset(0, 25), (25, 0));
        assert_eq!(limit_offset(-4, 0), (1, 0));
        assert_eq!(limit_offset(2, 10_000), (MAX_PER_PAGE, MAX_PER_PAGE));
        assert_eq!(limit_offset(i64::MAX, 25).1, i64::MAX);
    }
}
