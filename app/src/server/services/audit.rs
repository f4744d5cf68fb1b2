//! The audit log: who did what to whom, written in the same transaction as
//! the action itself, and read back a page at a time by admins.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::paging::limit_offset;
use crate::error::AppError;
use crate::server::internal;

/// One audited action.
#[derive(Debug)]
pub struct Entry<'a> {
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub client_addr: Option<std::net::IpAddr>,
}

/// Appends `entry` to the audit log.
pub async fn record(conn: &mut PgConnection, entry: Entry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (actor_id, action, target_type, target_id, before, after, client_addr)
         values ($1, $2, $3, $4, $5, $6, $7::text::inet)",
    )
    .bind(entry.actor_id)
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(entry.before)
    .bind(entry.after)
    .bind(entry.client_addr.map(|a| a.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends `entry` to the audit log as something done in the team (an
/// organization, institution or cohort) `team_id`, for its own audit page.
pub async fn record_for_team(
    conn: &mut PgConnection,
    team_id: Uuid,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (actor_id, action, target_type, target_id, before, after, client_addr, team_id)
         values ($1, $2, $3, $4, $5, $6, $7::text::inet, $8)",
    )
    .bind(entry.actor_id)
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(entry.before)
    .bind(entry.after)
    .bind(entry.client_addr.map(|a| a.to_string()))
    .bind(team_id)
    .execute(conn)
    .await?;
    Ok(())
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

/// One page of the audit log, newest first, optionally only entries with
/// exactly `action`, and the number of matches.
#[tracing::instrument(skip(pool))]
pub async fn list(
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
pub async fn actions(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct action from audit_log order by action")
        .fetch_all(pool)
        .await
}

/// One entry of a team's audit trail (an organization's, an institution's
/// or a course's).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamAuditRow {
    pub created_at: OffsetDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A page of everything done in the team `team`, newest first, and how
/// many entries there are.
pub async fn team_trail(
    pool: &PgPool,
    team: Uuid,
    page: i64,
    per_page: i64,
) -> Result<(Vec<TeamAuditRow>, i64), AppError> {
    let (limit, offset) = limit_offset(page, per_page);
    let total: i64 = sqlx::query_scalar("select count(*) from audit_log where team_id = $1")
        .bind(team)
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    let rows = sqlx::query_as(
        "select l.created_at, coalesce(u.display_name || ' <' || u.email || '>', 'The Lab') as actor, l.action,
                l.target_type, l.target_id, l.before, l.after
         from audit_log l left join users u on u.id = l.actor_id
         where l.team_id = $1
         order by l.created_at desc, l.id desc
         limit $2 offset $3",
    )
    .bind(team)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok((rows, total))
}
