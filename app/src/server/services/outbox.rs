//! The outbox: every email the portal sends is queued here first, then
//! delivered by the server's mailer (or read by admins when SMTP is off).
//!
//! Delivery is at least once. The mailer works inside one transaction per
//! pass: [`claim_pending`] locks rows with `for update skip locked`, so
//! several server instances never send the same row at the same time, and
//! [`mark_sent`] / [`mark_failed`] record the outcome before that transaction
//! commits. A crash between sending and committing sends those rows again.
//!
//! Retries back off without a schedule column: after `n` failed attempts a
//! row is tried again no earlier than `created_at + 15 s × (2ⁿ − 1)` (15 s,
//! 45 s, 1 min 45 s, … about 2 h 8 min before the tenth), and after
//! [`MAX_ATTEMPTS`] it stays pending with its `last_error` but is not tried
//! again. The delay counts from creation, not from the last failure, so a
//! row that waited long for its first attempt (say, SMTP was configured
//! later) retries at the mailer's polling rate until it catches up.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::paging::limit_offset;
use crate::server::like::contains_pattern;

/// After this many failed attempts a row is no longer retried.
pub const MAX_ATTEMPTS: i32 = 10;

/// The first retry delay; each further retry doubles it (see module docs).
const RETRY_BASE_SECS: f64 = 15.0;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub recipient: String,
    pub subject: String,
    /// The body as kept, shown to admins and logged: without any
    /// single-use link.
    pub body_text: String,
    /// The body as sent, when it holds a single-use link; kept only until
    /// the email is sent.
    pub secret_body_text: Option<String>,
}

/// A queued email as stored, sent or not.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    /// The body with its single-use link, until sent (see [`OutgoingEmail`]).
    pub secret_body_text: Option<String>,
    pub created_at: OffsetDateTime,
    /// When the SMTP server accepted it; `None` while pending.
    pub sent_at: Option<OffsetDateTime>,
    /// Delivery attempts made so far, successful or not.
    pub attempts: i32,
    /// Why the latest attempt failed; cleared once the email is sent.
    pub last_error: Option<String>,
}

/// Queues `email` and returns its id.
///
/// Takes a connection so callers can queue inside their own transaction:
/// an email carrying a token is only queued if the token is committed too.
#[tracing::instrument(skip_all, fields(recipient = %email.recipient))]
pub async fn enqueue(conn: &mut PgConnection, email: &OutgoingEmail) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into outbox (id, recipient, subject, body_text, secret_body_text)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(&email.recipient)
    .bind(&email.subject)
    .bind(&email.body_text)
    .bind(&email.secret_body_text)
    .execute(conn)
    .await?;
    if LOG_BODIES.load(Ordering::Relaxed) {
        // Without SMTP the log shows what was queued, never a link: a local
        // install reads those in its outbox, for an hour (see
        // [`SECRET_SHOWN_FOR`]).
        tracing::info!(%id, recipient = %email.recipient, subject = %email.subject, body = %email.body_text, "email queued");
    } else {
        tracing::info!(%id, recipient = %email.recipient, subject = %email.subject, "email queued");
    }
    Ok(id)
}

static LOG_BODIES: AtomicBool = AtomicBool::new(false);

/// Whether this portal sends no email at all (SMTP not configured, set
/// once at start-up): queued bodies are logged (without their links), and
/// the admins' outbox shows a fresh email's link, for an hour, as the only
/// way a local install can open it.
pub fn log_bodies(enabled: bool) {
    LOG_BODIES.store(enabled, Ordering::Relaxed);
}

/// Whether this portal sends no email (see [`log_bodies`]).
pub fn sends_no_email() -> bool {
    LOG_BODIES.load(Ordering::Relaxed)
}

/// Where no email is sent, how long the admins' outbox shows an email's
/// link; after that it is forgotten ([`forget_secrets`]).
pub const SECRET_SHOWN_FOR: time::Duration = time::Duration::hours(1);

/// How long an unsent email keeps its link where emails are sent: as long
/// as the longest-lived link works (a verification link's 24 hours), so a
/// mail server that is down for a while still gets the link to deliver.
pub const SECRET_KEPT_UNSENT: time::Duration = time::Duration::hours(24);

/// Forgets the links of unsent emails queued longer ago than
/// [`SECRET_SHOWN_FOR`] on a portal that sends no email, else than
/// [`SECRET_KEPT_UNSENT`]; sent ones forgot theirs when sent. Returns how
/// many.
pub async fn forget_secrets(pool: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let kept = if sends_no_email() {
        SECRET_SHOWN_FOR
    } else {
        SECRET_KEPT_UNSENT
    };
    let done = sqlx::query(
        "update outbox set secret_body_text = null
         where secret_body_text is not null and created_at < now() - make_interval(secs => $1)",
    )
    .bind(kept.as_seconds_f64())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// One page of the outbox, newest first, and the number of matching rows.
///
/// `recipient_filter` matches any part of the recipient, ignoring case;
/// `%` and `_` in it are plain characters. `page` is 1-based; `page` below 1
/// means 1, and `per_page` is clamped to
/// `1..=`[`MAX_PER_PAGE`](crate::domain::paging::MAX_PER_PAGE).
#[tracing::instrument(skip(pool))]
pub async fn list(
    pool: &PgPool,
    recipient_filter: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<OutboxEntry>, i64), sqlx::Error> {
    let pattern = contains_pattern(recipient_filter);
    let (per_page, offset) = limit_offset(page, per_page);

    let total: i64 = sqlx::query_scalar(
        r"select count(*) from outbox where ($1::text is null or recipient ilike $1 escape '\')",
    )
    .bind(pattern.as_deref())
    .fetch_one(pool)
    .await?;
    let entries = sqlx::query_as(
        r"select id, recipient, subject, body_text, secret_body_text, created_at, sent_at, attempts, last_error
          from outbox
          where ($1::text is null or recipient ilike $1 escape '\')
          order by created_at desc, id desc
          limit $2 offset $3",
    )
    .bind(pattern.as_deref())
    .bind(per_page)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok((entries, total))
}

/// Locks up to `limit` rows that are due for an attempt, oldest first, and
/// returns them.
///
/// Call it inside a transaction and record every outcome with [`mark_sent`]
/// or [`mark_failed`] before committing: the rows stay locked until then, and
/// other callers skip them instead of waiting.
#[tracing::instrument(skip(conn))]
pub async fn claim_pending(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<OutboxEntry>, sqlx::Error> {
    sqlx::query_as(
        "select id, recipient, subject, body_text, secret_body_text, created_at, sent_at, attempts, last_error
         from outbox
         where sent_at is null
           and attempts < $2
           and created_at + make_interval(secs => $3 * (power(2, attempts) - 1)) <= now()
         order by created_at
         limit $1
         for update skip locked",
    )
    .bind(limit)
    .bind(MAX_ATTEMPTS)
    .bind(RETRY_BASE_SECS)
    .fetch_all(conn)
    .await
}

/// Records that the SMTP server accepted row `id`.
#[tracing::instrument(skip(conn))]
pub async fn mark_sent(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    let done = sqlx::query(
        "update outbox set sent_at = now(), attempts = attempts + 1, last_error = null,
                secret_body_text = null
         where id = $1 and sent_at is null",
    )
    .bind(id)
    .execute(conn)
    .await?;
    expect_one_row(done.rows_affected())
}

/// Records a failed attempt to send row `id`; it stays pending.
#[tracing::instrument(skip(conn))]
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
) -> Result<(), sqlx::Error> {
    let done = sqlx::query(
        "update outbox set attempts = attempts + 1, last_error = $2
         where id = $1 and sent_at is null",
    )
    .bind(id)
    .bind(error)
    .execute(conn)
    .await?;
    expect_one_row(done.rows_affected())
}

/// A mark that changed nothing means the id is unknown or already sent.
fn expect_one_row(rows: u64) -> Result<(), sqlx::Error> {
    if rows == 1 {
        Ok(())
    } else {
        Err(sqlx::Error::RowNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    fn email(recipient: &str, subject: &str) -> OutgoingEmail {
        OutgoingEmail {
            recipient: recipient.to_owned(),
            subject: subject.to_owned(),
            body_text: format!("Hello {recipient}"),
            secret_body_text: None,
        }
    }

    async fn queue(pool: &PgPool, recipient: &str, subject: &str) -> Uuid {
        let mut conn = pool.acquire().await.expect("conn");
        enqueue(&mut conn, &email(recipient, subject))
            .await
            .expect("enqueue")
    }

    async fn entry(pool: &PgPool, id: Uuid) -> OutboxEntry {
        sqlx::query_as(
            "select id, recipient, subject, body_text, secret_body_text, created_at, sent_at, attempts, last_error
             from outbox where id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("entry")
    }

    /// Claims in a transaction of its own, applies `outcome`, and commits.
    async fn claim_and(pool: &PgPool, limit: i64, outcome: Result<(), &str>) -> Vec<Uuid> {
        let mut tx = pool.begin().await.expect("begin");
        let claimed = claim_pending(&mut tx, limit).await.expect("claim");
        for row in &claimed {
            match outcome {
                Ok(()) => mark_sent(&mut tx, row.id).await.expect("mark sent"),
                Err(error) => mark_failed(&mut tx, row.id, error)
                    .await
                    .expect("mark failed"),
            }
        }
        tx.commit().await.expect("commit");
        claimed.into_iter().map(|row| row.id).collect()
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_queued_email_is_listed_as_pending_newest_first(pool: PgPool) {
        let first = queue(&pool, "ada@example.org", "First").await;
        let second = queue(&pool, "bob@example.org", "Second").await;

        let (entries, total) = list(&pool, None, 1, 20).await.expect("list");

        assert_eq!(total, 2);
        let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![second, first]);
        let ada = &entries[1];
        assert_eq!(ada.recipient, "ada@example.org");
        assert_eq!(ada.subject, "First");
        assert_eq!(ada.body_text, "Hello ada@example.org");
        assert_eq!(
            (ada.sent_at, ada.attempts, ada.last_error.as_deref()),
            (None, 0, None)
        );
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_filter_matches_part_of_the_recipient_ignoring_case(pool: PgPool) {
        queue(&pool, "Ada.Lovelace@Example.org", "a").await;
        queue(&pool, "bob@example.org", "b").await;
        queue(&pool, "100%_real@example.org", "c").await;

        let (entries, total) = list(&pool, Some("LOVELACE@example"), 1, 20)
            .await
            .expect("list");
        assert_eq!(total, 1);
        assert_eq!(entries[0].recipient, "Ada.Lovelace@Example.org");

        let (_, total) = list(&pool, Some("  example.ORG "), 1, 20)
            .await
            .expect("list");
        assert_eq!(total, 3);
        let (_, total) = list(&pool, Some(""), 1, 20).await.expect("list");
        assert_eq!(total, 3);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn like_wildcards_in_the_filter_are_literal(pool: PgPool) {
        queue(&pool, "100%_real@example.org", "c").await;
        queue(&pool, "bob@example.org", "b").await;

        let (entries, total) = list(&pool, Some("%_"), 1, 20).await.expect("list");
        assert_eq!(total, 1);
        assert_eq!(entries[0].recipient, "100%_real@example.org");
        let (_, total) = list(&pool, Some("b_b"), 1, 20).await.expect("list");
        assert_eq!(total, 0);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn pages_split_the_matches_and_report_the_total(pool: PgPool) {
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(queue(&pool, &format!("user{n}@example.org"), "hi").await);
        }
        queue(&pool, "other@example.net", "hi").await;
        ids.reverse(); // newest first

        let page = |n| list(&pool, Some("example.org"), n, 2);
        let (first, total) = page(1).await.expect("page 1");
        let (second, _) = page(2).await.expect("page 2");
        let (third, _) = page(3).await.expect("page 3");
        let (beyond, beyond_total) = page(4).await.expect("page 4");

        assert_eq!(total, 5);
        let seen: Vec<Uuid> = [first, second, third]
            .concat()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(seen, ids);
        assert!(beyond.is_empty());
        assert_eq!(beyond_total, 5);
        let (zeroth, _) = list(&pool, None, 0, 2).await.expect("page 0");
        assert_eq!(zeroth.len(), 2, "page 0 reads as page 1");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_sent_email_is_not_claimed_again(pool: PgPool) {
        let id = queue(&pool, "ada@example.org", "hi").await;

        assert_eq!(claim_and(&pool, 20, Ok(())).await, vec![id]);
        assert!(claim_and(&pool, 20, Ok(())).await.is_empty());

        let sent = entry(&pool, id).await;
        assert!(sent.sent_at.is_some());
        assert_eq!(sent.attempts, 1);
        let mut conn = pool.acquire().await.expect("conn");
        let again = mark_sent(&mut conn, id).await;
        assert!(matches!(again, Err(sqlx::Error::RowNotFound)));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn claims_are_oldest_first_and_limited(pool: PgPool) {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(queue(&pool, &format!("u{n}@example.org"), "hi").await);
        }
        assert_eq!(claim_and(&pool, 2, Ok(())).await, ids[..2]);
        assert_eq!(claim_and(&pool, 2, Ok(())).await, ids[2..]);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_failed_email_waits_before_its_retry_and_gives_up_after_ten(pool: PgPool) {
        let id = queue(&pool, "ada@example.org", "hi").await;

        assert_eq!(
            claim_and(&pool, 20, Err("550 no such user")).await,
            vec![id]
        );
        let failed = entry(&pool, id).await;
        assert_eq!(
            (failed.attempts, failed.last_error.as_deref()),
            (1, Some("550 no such user"))
        );
        assert!(failed.sent_at.is_none());
        assert!(
            claim_and(&pool, 20, Err("again")).await.is_empty(),
            "retried at once"
        );

        // Old enough for every retry: the remaining nine happen, then no more.
        sqlx::query("update outbox set created_at = now() - interval '1 day'")
            .execute(&pool)
            .await
            .expect("age");
        for _ in 1..MAX_ATTEMPTS {
            assert_eq!(claim_and(&pool, 20, Err("again")).await, vec![id]);
        }
        assert!(
            claim_and(&pool, 20, Ok(())).await.is_empty(),
            "retried an eleventh time"
        );
        let given_up = entry(&pool, id).await;
        assert_eq!(given_up.attempts, MAX_ATTEMPTS);
        assert_eq!(given_up.last_error.as_deref(), Some("again"));
        assert!(given_up.sent_at.is_none());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_retry_that_succeeds_clears_the_error(pool: PgPool) {
        let id = queue(&pool, "ada@example.org", "hi").await;
        claim_and(&pool, 20, Err("timeout")).await;
        sqlx::query("update outbox set created_at = now() - interval '1 minute'")
            .execute(&pool)
            .await
            .expect("age");

        assert_eq!(claim_and(&pool, 20, Ok(())).await, vec![id]);
        let sent = entry(&pool, id).await;
        assert_eq!((sent.attempts, sent.last_error), (2, None));
        assert!(sent.sent_at.is_some());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn concurrent_claims_never_share_a_row(pool: PgPool) {
        for n in 0..10 {
            queue(&pool, &format!("u{n}@example.org"), "hi").await;
        }
        // Every claimer keeps its transaction open until all have claimed,
        // as a mailer does while it sends.
        let claimers = 4;
        let barrier = Arc::new(tokio::sync::Barrier::new(claimers));
        let tasks: Vec<_> = (0..claimers)
            .map(|_| {
                let (pool, barrier) = (pool.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let mut tx = pool.begin().await.expect("begin");
                    let claimed = claim_pending(&mut tx, 3).await.expect("claim");
                    barrier.wait().await;
                    tx.rollback().await.expect("rollback");
                    claimed.into_iter().map(|row| row.id).collect::<Vec<_>>()
                })
            })
            .collect();

        let mut seen = HashSet::new();
        for task in tasks {
            for id in task.await.expect("claimer") {
                assert!(seen.insert(id), "row {id} claimed twice");
            }
        }
        assert_eq!(seen.len(), 10, "4 claimers of 3 cover all 10 rows");
    }
}
