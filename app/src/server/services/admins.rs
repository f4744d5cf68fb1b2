//! Creating the first platform admin from the command line.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::email::Email;
use crate::domain::password::Password;
use crate::domain::profile::{Country, DisplayName};
use crate::server::audit::{self, Entry};
use crate::server::password;

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
