//! Sign-in throttling per account and per client address.
//!
//! Failures are counted in a 15-minute window. From the `threshold`-th
//! failure on, the key is locked: 30 s at first, doubling with every further
//! failure, up to 15 minutes. A successful sign-in clears the account's count.

use sqlx::PgPool;

use crate::error::AppError;

/// Failures per account before it is locked.
pub const ACCOUNT_THRESHOLD: i32 = 5;
/// Failures per client address before it is locked.
pub const ADDRESS_THRESHOLD: i32 = 20;
const MAX_LOCK_SECONDS: i64 = 15 * 60;

/// The throttle key of an account.
pub fn account_key(normalized_email: &str) -> String {
    format!("account:{normalized_email}")
}

/// The throttle key of a client address.
pub fn address_key(addr: &str) -> String {
    format!("address:{addr}")
}

/// Refuses when any of `keys` is locked, saying when to try again.
pub async fn check(pool: &PgPool, keys: &[String]) -> Result<(), AppError> {
    let wait: Option<i64> = sqlx::query_scalar(
        "select ceil(extract(epoch from max(locked_until) - now()))::bigint
         from auth_throttle where key = any($1) and locked_until > now()",
    )
    .bind(keys)
    .fetch_one(pool)
    .await
    .map_err(crate::server::internal)?;
    match wait {
        Some(seconds) if seconds > 0 => Err(locked(seconds)),
        _ => Ok(()),
    }
}

fn locked(seconds: i64) -> AppError {
    let when = if seconds < 90 {
        format!("{seconds} seconds")
    } else {
        format!("{} minutes", (seconds + 59) / 60)
    };
    AppError::RateLimited {
        message: format!(
            "Too many failed sign-in attempts. For your security, try again in {when}."
        ),
        retry_after_seconds: u64::try_from(seconds).unwrap_or(0),
    }
}

/// Counts a failure against `key`; locks it once `threshold` is reached.
pub async fn record_failure(pool: &PgPool, key: &str, threshold: i32) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into auth_throttle as t (key, failures, window_started_at) values ($1, 1, now())
         on conflict (key) do update set
           failures = case when t.window_started_at < now() - interval '15 minutes'
                            and coalesce(t.locked_until, '-infinity') < now()
                      then 1 else t.failures + 1 end,
           window_started_at = case when t.window_started_at < now() - interval '15 minutes'
                            and coalesce(t.locked_until, '-infinity') < now()
                      then now() else t.window_started_at end",
    )
    .bind(key)
    .execute(pool)
    .await?;
    sqlx::query(
        "update auth_throttle
         set locked_until = now() + make_interval(secs => least($3, 30 * power(2, failures - $2)))
         where key = $1 and failures >= $2",
    )
    .bind(key)
    .bind(threshold)
    .bind(MAX_LOCK_SECONDS as f64)
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets the failures of `key`.
pub async fn clear(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from auth_throttle where key = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrations = "../migrations")]
    async fn an_account_locks_at_the_threshold_and_not_before(pool: PgPool) {
        let key = account_key("a@example.org");
        for _ in 0..ACCOUNT_THRESHOLD - 1 {
            record_failure(&pool, &key, ACCOUNT_THRESHOLD)
                .await
                .expect("record");
        }
        check(&pool, std::slice::from_ref(&key))
            .await
            .expect("not locked yet");
        record_failure(&pool, &key, ACCOUNT_THRESHOLD)
            .await
            .expect("record");
        let err = check(&pool, std::slice::from_ref(&key))
            .await
            .expect_err("locked");
        let AppError::RateLimited {
            retry_after_seconds,
            message,
        } = err
        else {
            panic!("{err:?}")
        };
        assert!(
            (29..=30).contains(&retry_after_seconds),
            "{retry_after_seconds}"
        );
        assert!(message.contains("try again in"));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_lock_doubles_and_stops_at_fifteen_minutes(pool: PgPool) {
        let key = address_key("192.0.2.1");
        for _ in 0..ACCOUNT_THRESHOLD + 1 {
            record_failure(&pool, &key, ACCOUNT_THRESHOLD)
                .await
                .expect("record");
        }
        let AppError::RateLimited {
            retry_after_seconds,
            ..
        } = check(&pool, std::slice::from_ref(&key))
            .await
            .expect_err("locked")
        else {
            panic!("rate limited")
        };
        assert!(
            (59..=60).contains(&retry_after_seconds),
            "{retry_after_seconds}"
        );
        for _ in 0..20 {
            record_failure(&pool, &key, ACCOUNT_THRESHOLD)
                .await
                .expect("record");
        }
        let AppError::RateLimited {
            retry_after_seconds,
            message,
        } = check(&pool, &[key]).await.expect_err("locked")
        else {
            panic!("rate limited")
        };
        assert!(
            (899..=900).contains(&retry_after_seconds),
            "{retry_after_seconds}"
        );
        assert!(message.contains("15 minutes"), "{message}");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn clearing_unlocks_and_old_failures_are_forgotten(pool: PgPool) {
        let key = account_key("b@example.org");
        for _ in 0..ACCOUNT_THRESHOLD {
            record_failure(&pool, &key, ACCOUNT_THRESHOLD)
                .await
                .expect("record");
        }
        clear(&pool, &key).await.expect("clear");
        check(&pool, std::slice::from_ref(&key))
            .await
            .expect("unlocked");
        for _ in 0..ACCOUNT_THRESHOLD - 1 {
            record_failure(&pool, &key, ACCOUNT_THRESHOLD)
                .await
                .expect("record");
        }
        sqlx::query("update auth_throttle set window_started_at = now() - interval '16 minutes'")
            .execute(&pool)
            .await
            .expect("age");
        record_failure(&pool, &key, ACCOUNT_THRESHOLD)
            .await
            .expect("record");
        check(&pool, &[key]).await.expect("a new window started");
    }
}
