//! Organizations' webhooks, on the database's side: owners add, disable
//! and delete them (each change audited under the organization), events
//! are queued as deliveries (once per webhook and event key, in the
//! transaction that noticed them), and the delivery pass claims what is
//! due and records each attempt. Sending is the server's
//! (`server/src/webhooks.rs`).
//!
//! Retries back off exponentially: after the `n`th failed attempt the next
//! is due [`RETRY_BASE_SECS`] × 2ⁿ⁻¹ later (30 s, 1 min, 2 min, … 32 min),
//! and after [`MAX_ATTEMPTS`] the delivery is given up (kept in the log).

use std::sync::atomic::{AtomicBool, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::notifications::WebhookEvent;
use crate::domain::organizations::OrgRole;
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::services::audit::{self, Entry};
use crate::server::services::organizations::{self, OrgRow};

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// The first retry's delay; each further one doubles it.
pub const RETRY_BASE_SECS: i64 = 30;
/// Webhooks one organization may have.
pub const MAX_PER_ORGANIZATION: i64 = 5;
/// Deliveries a webhook's log shows.
pub const LOG_LENGTH: i64 = 20;
/// The event a "Send test event" delivers.
pub const TEST_EVENT: &str = "webhook.test";
/// How long a claimed delivery is left to its sender before another pass
/// may take it again (a sender that died mid-delivery): well past the
/// request's 10 s timeout.
const CLAIM_SECS: i64 = 120;
/// How long after adding a webhook its owner may still be shown the secret
/// (a form posted without JavaScript shows it on the page it lands on).
const SECRET_SHOWN_WITHIN_MINUTES: i64 = 10;

static ALLOW_PRIVATE: AtomicBool = AtomicBool::new(false);

/// Whether webhooks may target loopback, private and link-local addresses
/// and plain `http://` (set once at start-up from the configuration; for
/// tests and closed networks).
pub fn allow_private_targets(allowed: bool) {
    ALLOW_PRIVATE.store(allowed, Ordering::Relaxed);
}

/// See [`allow_private_targets`].
pub fn private_targets_allowed() -> bool {
    ALLOW_PRIVATE.load(Ordering::Relaxed)
}

/// A webhook's signing secret: shown to its owner once, then only used to
/// sign; never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// A new random secret, `whsec_` and 32 random bytes in base64url.
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The secret itself, to sign with or to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

/// The organization `slug` for one of its owners: "not found" for anyone
/// who is not a member (as every organization page answers), refused for
/// its admins and members (webhooks send the organization's data out).
pub async fn owned(pool: &PgPool, slug: &str, user_id: Uuid) -> Result<OrgRow, AppError> {
    let (org, role) = organizations::membership(pool, slug, user_id).await?;
    if role == OrgRole::Owner {
        Ok(org)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A webhook as its organization's owners see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
}

/// The organization's webhooks, oldest first.
pub async fn list(pool: &PgPool, org: &OrgRow) -> Result<Vec<WebhookRow>, AppError> {
    sqlx::query_as(
        "select w.id, w.url, w.events, w.active, w.created_at, u.display_name as created_by
         from org_webhooks w left join users u on u.id = w.created_by
         where w.team_id = $1 order by w.created_at, w.id",
    )
    .bind(org.id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Adds a webhook to `org` for `events` (checked by the caller), audited.
/// Returns its id and secret; `shown` records that the caller's answer
/// shows the secret (else the page shows it once, [`take_secret`]).
pub async fn create(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    url: &str,
    events: &[WebhookEvent],
    shown: bool,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(Uuid, SigningSecret), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    // The organization's row queues concurrent adds, so the limit holds.
    sqlx::query("select 1 from organizations where team_id = $1 for update")
        .bind(org.id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let count: i64 = sqlx::query_scalar("select count(*) from org_webhooks where team_id = $1")
        .bind(org.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
    if count >= MAX_PER_ORGANIZATION {
        return Err(AppError::field(
            "url",
            format!("An organization may have {MAX_PER_ORGANIZATION} webhooks; delete one first."),
        ));
    }
    let id = Uuid::now_v7();
    let secret = SigningSecret::generate();
    let events: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    sqlx::query(
        "insert into org_webhooks (id, team_id, url, secret, secret_shown, events, created_by)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(org.id)
    .bind(url)
    .bind(secret.expose())
    .bind(shown)
    .bind(&events)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org,
        actor,
        ("webhook.create", id),
        (None, Some(json!({ "url": url, "events": events }))),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok((id, secret))
}

/// The secret of the webhook `actor` just added to `org` without seeing
/// it, once: the answer marks it shown. `None` when there is none (or it
/// was added more than a few minutes ago).
pub async fn take_secret(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
) -> Result<Option<(Uuid, SigningSecret)>, AppError> {
    let taken: Option<(Uuid, String)> = sqlx::query_as(
        "update org_webhooks set secret_shown = true
         where id = (select id from org_webhooks
                     where team_id = $1 and created_by = $2 and not secret_shown
                       and created_at > now() - make_interval(mins => $3)
                     order by created_at desc limit 1)
         returning id, secret",
    )
    .bind(org.id)
    .bind(actor.user_id)
    .bind(i32::try_from(SECRET_SHOWN_WITHIN_MINUTES).unwrap_or(10))
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    Ok(taken.map(|(id, secret)| (id, SigningSecret(secret))))
}

fn no_such_webhook() -> AppError {
    AppError::NotFound("There is no such webhook.".to_owned())
}

/// Turns `org`'s webhook `id` on or off, audited. Deliveries due while it
/// is off wait, and go out once it is on again (until they run out of
/// attempts).
pub async fn set_active(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    id: Uuid,
    active: bool,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let before: Option<bool> = sqlx::query_scalar(
        "update org_webhooks w set active = $3 from org_webhooks old
         where w.id = $1 and w.team_id = $2 and old.id = w.id returning old.active",
    )
    .bind(id)
    .bind(org.id)
    .bind(active)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let before = before.ok_or_else(no_such_webhook)?;
    audited(
        &mut tx,
        org,
        actor,
        ("webhook.active", id),
        (
            Some(json!({ "active": before })),
            Some(json!({ "active": active })),
        ),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Deletes `org`'s webhook `id` with its deliveries, audited.
pub async fn delete(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    id: Uuid,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let url: Option<String> =
        sqlx::query_scalar("delete from org_webhooks where id = $1 and team_id = $2 returning url")
            .bind(id)
            .bind(org.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    let url = url.ok_or_else(no_such_webhook)?;
    audited(
        &mut tx,
        org,
        actor,
        ("webhook.delete", id),
        (Some(json!({ "url": url })), None),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Queues a test event for `org`'s webhook `id` (delivered by the next
/// pass, active or not: the owner asked for it), audited.
pub async fn send_test(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    id: Uuid,
    client_addr: Option<std::net::IpAddr>,
) -> Result<Uuid, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let exists: Option<Uuid> =
        sqlx::query_scalar("select id from org_webhooks where id = $1 and team_id = $2")
            .bind(id)
            .bind(org.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    exists.ok_or_else(no_such_webhook)?;
    let delivery = Uuid::now_v7();
    let payload = envelope(
        delivery,
        TEST_EVENT,
        (&org.slug, &org.name),
        json!({ "message": "A test event sent from the organization's webhooks page." }),
    );
    sqlx::query(
        "insert into webhook_deliveries (id, webhook_id, event, payload, next_attempt_at)
         values ($1, $2, $3, $4, lab_now())",
    )
    .bind(delivery)
    .bind(id)
    .bind(TEST_EVENT)
    .bind(&payload)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org,
        actor,
        ("webhook.test", id),
        (None, Some(json!({ "delivery": delivery }))),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(delivery)
}

async fn audited(
    conn: &mut PgConnection,
    org: &OrgRow,
    actor: &Caller,
    (action, id): (&str, Uuid),
    (before, after): (Option<serde_json::Value>, Option<serde_json::Value>),
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    audit::record_for_team(
        conn,
        org.id,
        Entry {
            actor_id: Some(actor.user_id),
            action,
            target_type: "webhook",
            target_id: id.to_string(),
            before,
            after,
            client_addr,
        },
    )
    .await
    .map_err(internal)
}

/// The JSON body of a delivery: which event, when, for which
/// organization, and the event's own `data`.
fn envelope(
    delivery: Uuid,
    event: &str,
    (slug, name): (&str, &str),
    data: serde_json::Value,
) -> serde_json::Value {
    let created_at = OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    json!({
        "id": delivery,
        "event": event,
        "created_at": created_at,
        "organization": { "slug": slug, "name": name },
        "data": data,
    })
}

/// Queues `event` for every active webhook of the team `team_id`
/// subscribed to it, once per webhook and `dedupe_key` (in the caller's
/// transaction). Returns how many deliveries are new.
pub async fn enqueue(
    conn: &mut PgConnection,
    team_id: Uuid,
    event: WebhookEvent,
    dedupe_key: &str,
    data: serde_json::Value,
) -> Result<u64, sqlx::Error> {
    let hooks: Vec<(Uuid, String, String)> = sqlx::query_as(
        "select w.id, t.slug, t.name from org_webhooks w join teams t on t.id = w.team_id
         where w.team_id = $1 and w.active and $2 = any(w.events)",
    )
    .bind(team_id)
    .bind(event.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = 0;
    for (hook, slug, name) in hooks {
        let delivery = Uuid::now_v7();
        let payload = envelope(delivery, event.as_str(), (&slug, &name), data.clone());
        queued += sqlx::query(
            "insert into webhook_deliveries (id, webhook_id, event, dedupe_key, payload, next_attempt_at)
             values ($1, $2, $3, $4, $5, lab_now())
             on conflict (webhook_id, dedupe_key) do nothing",
        )
        .bind(delivery)
        .bind(hook)
        .bind(event.as_str())
        .bind(dedupe_key)
        .bind(&payload)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(queued)
}

/// A delivery claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub url: String,
    #[sqlx(try_from = "String")]
    pub secret: SigningSecret,
    pub event: String,
    pub payload: serde_json::Value,
    /// Attempts made before this one.
    pub attempts: i32,
}

impl From<String> for SigningSecret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

/// Claims up to `limit` due deliveries of active webhooks (test events of
/// any): each is pushed [`CLAIM_SECS`] into the future, so no other pass
/// takes it while this one sends it; rows another pass is claiming are
/// skipped, not waited for.
pub async fn claim_due(pool: &PgPool, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "with due as (
             select d.id from webhook_deliveries d join org_webhooks w on w.id = d.webhook_id
             where d.next_attempt_at <= lab_now() and (w.active or d.event = 'webhook.test')
             order by d.next_attempt_at limit $1
             for update of d skip locked
         )
         update webhook_deliveries d set next_attempt_at = lab_now() + make_interval(secs => $2::bigint)
         from due, org_webhooks w
         where d.id = due.id and w.id = d.webhook_id
         returning d.id, d.webhook_id, w.url, w.secret, d.event, d.payload, d.attempts",
    )
    .bind(limit)
    .bind(CLAIM_SECS)
    .fetch_all(pool)
    .await
}

/// What one attempt came to.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The start of its answer (cut to 1 KB here).
    pub response: Option<String>,
    /// Why there was no answer (or why it was not sent).
    pub error: Option<String>,
}

impl Outcome {
    /// A 2xx answer.
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Longest response excerpt kept, in bytes.
pub const RESPONSE_EXCERPT: usize = 1024;

/// `text` cut to at most `max` bytes, on a character boundary.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The delay before the attempt after `attempts` failed ones.
pub fn retry_delay_secs(attempts: i32) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    RETRY_BASE_SECS.saturating_mul(1_i64 << doublings)
}

/// Records attempt number `due.attempts + 1` of `due` and what it came
/// to: delivered, due again after the back-off, or given up after
/// [`MAX_ATTEMPTS`].
pub async fn record_attempt(
    pool: &PgPool,
    due: &Due,
    outcome: &Outcome,
) -> Result<(), sqlx::Error> {
    let number = due.attempts.saturating_add(1);
    let delivered = outcome.delivered();
    let retry = (!delivered && number < MAX_ATTEMPTS).then(|| retry_delay_secs(number));
    let response = outcome
        .response
        .as_deref()
        .map(|r| excerpt(r, RESPONSE_EXCERPT));
    let error = outcome.error.as_deref().map(|e| excerpt(e, 500));
    let status = outcome.status.map(|s| i16::try_from(s).unwrap_or(i16::MAX));
    let mut tx = pool.begin().await?;
    sqlx::query(
        "insert into webhook_attempts (delivery_id, number, status, response, error)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(due.id)
    .bind(number)
    .bind(status)
    .bind(&response)
    .bind(&error)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update webhook_deliveries set attempts = $2, last_status = $3, last_response = $4, last_error = $5,
                delivered_at = case when $6 then lab_now() end,
                next_attempt_at = case when $7::bigint is null then null
                                       else lab_now() + make_interval(secs => $7::bigint) end
         where id = $1",
    )
    .bind(due.id)
    .bind(number)
    .bind(status)
    .bind(&response)
    .bind(&error)
    .bind(delivered)
    .bind(retry)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub created_at: OffsetDateTime,
    pub attempts: i32,
    pub delivered_at: Option<OffsetDateTime>,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub last_status: Option<i16>,
    pub last_response: Option<String>,
    pub last_error: Option<String>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub delivery_id: Uuid,
    pub number: i32,
    pub attempted_at: OffsetDateTime,
    pub status: Option<i16>,
    pub response: Option<String>,
    pub error: Option<String>,
}

/// The last [`LOG_LENGTH`] deliveries of each of `org`'s webhooks, newest
/// first, with their attempts.
pub async fn deliveries(
    pool: &PgPool,
    org: &OrgRow,
) -> Result<(Vec<DeliveryRow>, Vec<AttemptRow>), AppError> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "select d.id, d.webhook_id, d.event, d.created_at, d.attempts, d.delivered_at,
                d.next_attempt_at, d.last_status, d.last_response, d.last_error
         from org_webhooks w
         cross join lateral (
             select * from webhook_deliveries x where x.webhook_id = w.id
             order by x.created_at desc, x.id desc limit $2
         ) d
         where w.team_id = $1
         order by d.created_at desc, d.id desc",
    )
    .bind(org.id)
    .bind(LOG_LENGTH)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "select delivery_id, number, attempted_at, status, response, error from webhook_attempts
         where delivery_id = any($1) order by delivery_id, number",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok((rows, attempts))
}

/// Forgets deliveries older than 30 days (their attempts go with them).
pub async fn prune(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from webhook_deliveries where created_at < now() - interval '30 days'
           and next_attempt_at is null",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_thirty_seconds_doubling() {
        assert_eq!(
            (1..MAX_ATTEMPTS).map(retry_delay_secs).collect::<Vec<_>>(),
            [30, 60, 120, 240, 480, 960, 1920]
        );
    }

    #[test]
    fn an_excerpt_never_cuts_a_character() {
        assert_eq!(excerpt("héllo", 2), "h");
        assert_eq!(excerpt("héllo", 3), "hé");
        assert_eq!(excerpt("abc", 1024), "abc");
    }

    #[test]
    fn a_secret_is_long_random_and_never_debug_printed() {
        let (a, b) = (SigningSecret::generate(), SigningSecret::generate());
        assert_ne!(a, b);
        assert!(a.expose().starts_with("whsec_") && a.expose().len() == 49);
        assert_eq!(format!("{a:?}"), "SigningSecret(…)");
    }
}
