//! Single-use email tokens: random, sent once, stored only as SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppError;

/// What a token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }

    /// How long a token of this kind stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::VerifyEmail => Duration::hours(24),
            Self::ResetPassword => Duration::hours(1),
        }
    }
}

/// A token as sent to the user. Never stored, never logged by us.
pub struct PlainToken(String);

impl PlainToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainToken(<redacted>)")
    }
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token for `user_id`, sent to `email`.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    email: &str,
) -> Result<PlainToken, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let expires_at = OffsetDateTime::now_utc() + purpose.lifetime();
    sqlx::query(
        "insert into email_tokens (token_hash, user_id, purpose, email, expires_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(digest(&token))
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(email)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(PlainToken(token))
}

/// What a consumed token was for.
#[derive(Debug, Clone)]
pub struct Consumed {
    pub user_id: Uuid,
    pub email: String,
}

/// Uses a token once. A used, expired, unknown or wrong-purpose token is
/// refused with a message that says which, so people know what to do next.
pub async fn consume(
    conn: &mut PgConnection,
    token: &str,
    purpose: Purpose,
) -> Result<Consumed, AppError> {
    let hash = digest(token.trim());
    let used: Option<(Uuid, String)> = sqlx::query_as(
        "update email_tokens set used_at = now()
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()
         returning user_id, email",
    )
    .bind(&hash)
    .bind(purpose.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(crate::server::internal)?;
    if let Some((user_id, email)) = used {
        return Ok(Consumed { user_id, email });
    }
    let state: Option<(bool, bool)> = sqlx::query_as(
        "select used_at is not null, expires_at <= now() from email_tokens where token_hash = $1 and purpose = $2",
    )
    .bind(&hash)
    .bind(purpose.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(crate::server::internal)?;
    Err(match state {
        Some((true, _)) => AppError::InvalidRequest("This link has already been used.".to_owned()),
        Some((false, true)) => {
            AppError::InvalidRequest("This link has expired. Ask for a new one.".to_owned())
        }
        _ => AppError::InvalidRequest(
            "This link is not valid. Check that you copied all of it.".to_owned(),
        ),
    })
}

/// Seconds until another token of `purpose` may be sent to `user_id`, given
/// a minimum `cooldown` between two.
pub async fn cooldown_remaining(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    cooldown: Duration,
) -> Result<u64, sqlx::Error> {
    let last: Option<OffsetDateTime> = sqlx::query_scalar(
        "select max(created_at) from email_tokens where user_id = $1 and purpose = $2",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .fetch_one(conn)
    .await?;
    let Some(last) = last else { return Ok(0) };
    let left = (last + cooldown - OffsetDateTime::now_utc()).whole_seconds();
    Ok(u64::try_from(left).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::PgPool;

    async fn user(pool: &PgPool) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into users (id, email, password_hash, display_name, account_kind, country)
             values ($1, $2, 'x', 'Test', 'developer', 'DE')",
        )
        .bind(id)
        .bind(format!("{id}@example.org"))
        .execute(pool)
        .await
        .expect("user");
        id
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_token_works_exactly_once(pool: PgPool) {
        let id = user(&pool).await;
        let mut conn = pool.acquire().await.expect("conn");
        let token = issue(&mut conn, id, Purpose::VerifyEmail, "a@example.org")
            .await
            .expect("issue");
        let used = consume(&mut conn, token.expose(), Purpose::VerifyEmail)
            .await
            .expect("first use");
        assert_eq!(used.user_id, id);
        assert_eq!(used.email, "a@example.org");
        let again = consume(&mut conn, token.expose(), Purpose::VerifyEmail).await;
        assert_eq!(
            again.expect_err("second use").to_string(),
            "This link has already been used."
        );
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_expired_token_is_refused(pool: PgPool) {
        let id = user(&pool).await;
        let mut conn = pool.acquire().await.expect("conn");
        let token = issue(&mut conn, id, Purpose::ResetPassword, "a@example.org")
            .await
            .expect("issue");
        sqlx::query("update email_tokens set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second'")
            .execute(&mut *conn)
            .await
            .expect("age");
        let err = consume(&mut conn, token.expose(), Purpose::ResetPassword)
            .await
            .expect_err("expired");
        assert!(err.to_string().contains("expired"));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_token_for_another_purpose_or_unknown_is_refused(pool: PgPool) {
        let id = user(&pool).await;
        let mut conn = pool.acquire().await.expect("conn");
        let token = issue(&mut conn, id, Purpose::VerifyEmail, "a@example.org")
            .await
            .expect("issue");
        let err = consume(&mut conn, token.expose(), Purpose::ResetPassword)
            .await
            .expect_err("wrong purpose");
        assert!(err.to_string().contains("not valid"));
        let err = consume(&mut conn, "made-up", Purpose::VerifyEmail)
            .await
            .expect_err("unknown");
        assert!(err.to_string().contains("not valid"));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn only_the_hash_is_stored(pool: PgPool) {
        let id = user(&pool).await;
        let mut conn = pool.acquire().await.expect("conn");
        let token = issue(&mut conn, id, Purpose::VerifyEmail, "a@example.org")
            .await
            .expect("issue");
        let stored: Vec<u8> = sqlx::query_scalar("select token_hash from email_tokens")
            .fetch_one(&mut *conn)
            .await
            .expect("row");
        assert_eq!(stored, digest(token.expose()));
        assert_ne!(stored, token.expose().as_bytes());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_cooldown_counts_down_from_the_last_token(pool: PgPool) {
        let id = user(&pool).await;
        let mut conn = pool.acquire().await.expect("conn");
        let cooldown = Duration::seconds(60);
        assert_eq!(
            cooldown_remaining(&mut conn, id, Purpose::VerifyEmail, cooldown)
                .await
                .expect("q"),
            0
        );
        issue(&mut conn, id, Purpose::VerifyEmail, "a@example.org")
            .await
            .expect("issue");
        let left = cooldown_remaining(&mut conn, id, Purpose::VerifyEmail, cooldown)
            .await
            .expect("q");
        assert!((55..=60).contains(&left), "{left}");
    }
}
