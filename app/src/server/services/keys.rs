//! Developers' API keys: creating, listing and revoking them, and the
//! models they can call.
//!
//! A key's plaintext exists only in the answer to the request that created
//! it; the database keeps the SHA-256 of the whole key. Revoking keeps the
//! row (its usage records point at it) and stamps `revoked_at`.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::credits::Credits;
use crate::error::AppError;
use crate::server::api_keys::{self, NewKey};
use crate::server::internal;
use crate::server::ledger::{self, Owner};

/// The most keys one person may have that are not revoked.
pub const MAX_ACTIVE_KEYS: i64 = 50;

/// The longest key name, in characters (the column allows 80).
pub const MAX_NAME_CHARS: usize = 80;

/// The highest requests-per-minute limit one may set.
pub const MAX_RPM: i32 = 100_000;

/// The highest tokens-per-minute limit one may set.
pub const MAX_TPM: i32 = 1_000_000_000;

/// A validated "new key" form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySettings {
    pub name: String,
    pub spend_cap: Option<Credits>,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
    pub expires_at: Option<OffsetDateTime>,
}

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
}

/// Creates a key for `user_id`, charged to their credit account. The
/// returned plaintext is the only copy there will ever be.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    settings: &KeySettings,
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
    let account = ledger::account_for(&mut tx, Owner::User(user_id))
        .await
        .map_err(internal)?;
    // 36^12 public ids: a collision is astronomically unlikely, but a
    // unique violation would only mean drawing again.
    for _ in 0..3 {
        let key = api_keys::generate();
        let row: Option<KeyRow> = sqlx::query_as(
            "insert into api_keys (id, user_id, account_id, name, public_id, secret_hash,
                                   spend_cap, rpm_limit, tpm_limit, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             on conflict (public_id) do nothing
             returning id, name, public_id, spend_cap, rpm_limit, tpm_limit, expires_at, spent,
                       last_used_at, revoked_at, created_at",
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
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        if let Some(row) = row {
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
        "select id, name, public_id, spend_cap, rpm_limit, tpm_limit, expires_at, spent,
                last_used_at, revoked_at, created_at
         from api_keys where user_id = $1 order by created_at desc, id desc",
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
                last_used_at, revoked_at, created_at
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
                   last_used_at, revoked_at, created_at",
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

/// A model the API serves: enabled, with both prices set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedModel {
    pub public_id: String,
    pub kind: String,
}

/// The models a key can call, by kind and id: those the one serving rule
/// ([`crate::domain::model::servable`]) accepts.
pub async fn served_models(pool: &PgPool) -> Result<Vec<ServedModel>, AppError> {
    /// `(public_id, kind, enabled, input_price, output_price)`.
    type Row = (String, String, bool, Option<i64>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "select public_id, kind, enabled, input_price, output_price from models
         order by kind, public_id",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, enabled, input, output)| {
            crate::domain::model::servable(*enabled, *input, *output).is_ok()
        })
        .map(|(public_id, kind, ..)| ServedModel { public_id, kind })
        .collect())
}

/// Parses the "new key" form: every field's problem at once.
pub fn parse_settings(
    name: &str,
    spend_cap: &str,
    rpm_limit: &str,
    tpm_limit: &str,
    expires_on: &str,
    now: OffsetDateTime,
) -> Result<KeySettings, AppError> {
    use crate::error::FieldErrors;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_name(name));
    let spend_cap = errors.check("spend_cap", parse_cap(spend_cap));
    let rpm_limit = errors.check(
        "rpm_limit",
        parse_limit(rpm_limit, MAX_RPM, "requests per minute"),
    );
    let tpm_limit = errors.check(
        "tpm_limit",
        parse_limit(tpm_limit, MAX_TPM, "tokens per minute"),
    );
    let expires_at = errors.check("expires_on", parse_expiry(expires_on, now));
    errors.finish()?;
    match (name, spend_cap, rpm_limit, tpm_limit, expires_at) {
        (Some(name), Some(spend_cap), Some(rpm_limit), Some(tpm_limit), Some(expires_at)) => {
            Ok(KeySettings {
                name,
                spend_cap,
                rpm_limit,
                tpm_limit,
                expires_at,
            })
        }
        _ => Err(AppError::Internal),
    }
}

fn parse_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Give the key a name, like “laptop” or “staging server”.".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("Keep the name under {MAX_NAME_CHARS} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".to_owned());
    }
    Ok(name.to_owned())
}

/// `YYYY-MM-DD` (what `<input type="date">` sends): the key works until the
/// end of that day, UTC, which must still be ahead. Blank: never expires.
fn parse_expiry(input: &str, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
    let Some(date) = crate::server::services::usage::parse_day(input)? else {
        return Ok(None);
    };
    let end = date
        .next_day()
        .ok_or_else(|| "That date is too far ahead.".to_owned())?
        .midnight()
        .assume_utc();
    if end <= now {
        return Err("Choose today or a later date.".to_owned());
    }
    if end > now + time::Duration::days(5 * 366) {
        return Err("Choose a date within the next 5 years.".to_owned());
    }
    Ok(Some(end))
}

fn parse_cap(input: &str) -> Result<Option<Credits>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    let cap = Credits::parse(input, false)?;
    if !cap.is_positive() {
        return Err("Enter a cap above 0, or leave it empty for no cap.".to_owned());
    }
    Ok(Some(cap))
}

fn parse_limit(input: &str, max: i32, what: &str) -> Result<Option<i32>, String> {
    let input = input.trim().replace(['_', ','], "");
    if input.is_empty() {
        return Ok(None);
    }
    let wrong = || format!("Enter a whole number of {what} from 1 to {max}, or leave it empty.");
    if !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    match input.parse::<i32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    #[test]
    fn a_name_alone_is_enough() {
        let settings = parse_settings("  laptop ", "", "", "", "", NOW).expect("valid");
        assert_eq!(
            settings,
            KeySettings {
                name: "laptop".to_owned(),
                spend_cap: None,
                rpm_limit: None,
                tpm_limit: None,
                expires_at: None,
            }
        );
    }

    #[test]
    fn every_setting_is_parsed() {
        let settings =
            parse_settings("ci", "12.5", "60", "100,000", "2026-12-31", NOW).expect("valid");
        assert_eq!(settings.spend_cap, Some(Credits::from_micros(12_500_000)));
        assert_eq!(settings.rpm_limit, Some(60));
        assert_eq!(settings.tpm_limit, Some(100_000));
        assert_eq!(settings.expires_at, Some(datetime!(2027-01-01 0:00 UTC)));
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let error = parse_settings(" ", "0", "-1", "1.5", "2026-11-22", NOW).expect_err("invalid");
        for field in ["name", "spend_cap", "rpm_limit", "tpm_limit", "expires_on"] {
            assert!(error.field_message(field).is_some(), "{field}: {error:?}");
        }
        let error = parse_settings(&"x".repeat(81), "1.0000001", "100001", "0", "tomorrow", NOW)
            .expect_err("invalid");
        for field in ["name", "spend_cap", "rpm_limit", "tpm_limit", "expires_on"] {
            assert!(error.field_message(field).is_some(), "{field}: {error:?}");
        }
        assert_eq!(
            error.field_message("expires_on"),
            Some("Enter the date as YYYY-MM-DD.")
        );
        let error = parse_settings("a", "", "", "", "2026-02-30", NOW).expect_err("invalid");
        assert_eq!(
            error.field_message("expires_on"),
            Some("That date does not exist.")
        );
        let error = parse_settings("a", "", "", "", "2040-01-01", NOW).expect_err("invalid");
        assert!(error.field_message("expires_on").is_some());
        let today = parse_settings("a", "", "", "", "2026-11-23", NOW).expect("today is fine");
        assert_eq!(today.expires_at, Some(datetime!(2026-11-24 0:00 UTC)));
    }
}
