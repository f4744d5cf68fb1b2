//! The audit log: who did what to whom, written in the same transaction as
//! the action itself.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

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
