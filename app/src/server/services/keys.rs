//! Developers' API keys: creating, listing and revoking them. The models
//! a key can call are the models service's (`services::models::served_models`).
//!
//! A key's plaintext exists only in the answer to the request that created
//! it; the database keeps the SHA-256 of the whole key. Revoking keeps the
//! row (its usage records point at it) and stamps `revoked_at`.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::credits::Credits;
use crate::domain::keys::KeySettings;
use crate::error::AppError;
use crate::server::api_keys::{self, NewKey};
use crate::server::internal;
use crate::server::ledger::{self, Owner};

/// The most keys one person may have that are not revoked.
pub const MAX_ACTIVE_KEYS: i64 = 50;

/// A key as stored, without its hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    pub public_id: String,
    pub spend_cap: Option<i64>,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
    pub expires_at: Option<OffsetDateTime>,
    pub spent: i64,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    /// The organization the key bills, when not its creator's own credit.
    pub organization: Option<String>,
}

/// Who a new key bills: its creator's own credit, an organization's pool
/// (its id), or the creator's allocation in a course (their enrollment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillTo {
    Personal,
    Organization(Uuid),
    Course(Uuid),
}

/// Creates a key for `user_id`, charged to their credit account. The
/// returned plaintext is the only copy there will ever be.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    settings: &KeySettings,
    bill_to: BillTo,
) -> Result<(KeyRow, NewKey), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    // One person's key creations queue up here, so the limit holds.
    sqlx::query("select id from users where id = $1 for update")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let active: i64 = sqlx::query_scalar(
        "select count(*) from api_keys where user_id = $1 and revoked_at is null",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if active >= MAX_ACTIVE_KEYS {
        return Err(AppError::Refused(format!(
            "You already have {MAX_ACTIVE_KEYS} keys. Revoke one you no longer use first."
        )));
    }
    let (owner, team, enrollment) = match bill_to {
        BillTo::Personal => (Owner::User(user_id), None, None),
        BillTo::Organization(team) => (Owner::Organization(team), Some(team), None),
        BillTo::Course(enrollment) => (Owner::Enrollment(enrollment), None, Some(enrollment)),
    };
    let account = ledger::account_for(&mut tx, owner)
        .await
        .map_err(internal)?;
    // 36^12 public ids: a collision is astronomically unlikely, but a
    // unique violation would only mean drawing again.
    for _ in 0..3 {
        let key = api_keys::generate();
        let row: Option<KeyRow> = sqlx::query_as(
            "insert into api_keys (id, user_id, account_id, name, public_id, secret_hash,
                                   spend_cap, rpm_limit, tpm_limit, expires_at, team_id, enrollment_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             on conflict (public_id) do nothing
             returning id, name, public_id, spend_cap, rpm_limit, tpm_limit, expires_at, spent,
                       last_used_at, revoked_at, created_at,
                       coalesce((select t.name from teams t where t.id = team_id),
                                (select t.name from enrollments e join teams t on t.id = e.cohort_id
                                  where e.id = enrollment_id)) as organization",
        )
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(account)
        .bind(&settings.name)
        .bind(&key.public_id)
        .bind(key.hash.as_slice())
        .bind(settings.spend_cap.map(Credits::micros))
        .bind(settings.rpm_limit)
        .bind(settings.tpm_limit)
        .bind(settings.expires_at)
        .bind(team)
        .bind(enrollment)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        if let Some(row) = row {
            if let Some(team) = team {
                crate::server::services::organizations::key_created(
                    &mut tx,
                    team,
                    user_id,
                    row.id,
                    &row.name,
                    crate::server::client_addr(),
                )
                .await?;
            }
            tx.commit().await.map_err(internal)?;
            tracing::info!(key = %row.id, public_id = %row.public_id, "API key created");
            return Ok((row, key));
        }
    }
    Err(internal(anyhow::anyhow!(
        "three public id collisions in a row"
    )))
}

/// The keys of `user_id`, newest first, revoked ones included.
pub async fn list(pool: &PgPool, user_id: Uuid) -> Result<Vec<KeyRow>, AppError> {
    sqlx::query_as(
        "select k.id, k.name, k.public_id, k.spend_cap, k.rpm_limit, k.tpm_limit, k.expires_at, k.spent,
                k.last_used_at, k.revoked_at, k.created_at, coalesce(t.name, c.name) as organization
         from api_keys k left join teams t on t.id = k.team_id
         left join enrollments e on e.id = k.enrollment_id
         left join teams c on c.id = e.cohort_id
         where k.user_id = $1 order by k.created_at desc, k.id desc",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The key of `user_id` whose plaintext is `key`, if it is theirs and was
/// created less than `max_age` ago.
pub async fn find_recent(
    pool: &PgPool,
    user_id: Uuid,
    key: &str,
    max_age: time::Duration,
) -> Result<Option<KeyRow>, AppError> {
    let Some((public_id, hash)) = api_keys::parse(key) else {
        return Ok(None);
    };
    sqlx::query_as(
        "select id, name, public_id, spend_cap, rpm_limit, tpm_limit, expires_at, spent,
                last_used_at, revoked_at, created_at,
                (select t.name from teams t where t.id = team_id) as organization
         from api_keys
         where public_id = $1 and secret_hash = $2 and user_id = $3 and revoked_at is null
           and created_at > now() - make_interval(secs => $4)",
    )
    .bind(public_id)
    .bind(hash.as_slice())
    .bind(user_id)
    .bind(max_age.as_seconds_f64())
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// Revokes `key_id` if it belongs to `user_id`. Revoking a revoked key
/// changes nothing; someone else's key is "not found".
#[tracing::instrument(skip_all, fields(user = %user_id, key = %key_id))]
pub async fn revoke(pool: &PgPool, user_id: Uuid, key_id: Uuid) -> Result<KeyRow, AppError> {
    let row: Option<KeyRow> = sqlx::query_as(
        "update api_keys set revoked_at = coalesce(revoked_at, now())
         where id = $1 and user_id = $2
         returning id, name, public_id, spend_cap, rpm_limit, tpm_limit, expires_at, spent,
                   last_used_at, revoked_at, created_at,
                   (select t.name from teams t where t.id = team_id) as organization",
    )
    .bind(key_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    match row {
        Some(row) => {
            tracing::info!(public_id = %row.public_id, "API key revoked");
            Ok(row)
        }
        None => Err(AppError::NotFound("There is no such key.".to_owned())),
    }
}
