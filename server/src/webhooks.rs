//! Sends organizations' webhook deliveries: a background task that every
//! few seconds claims what is due (`app::server::services::webhooks`),
//! POSTs each event's JSON body signed with its webhook's secret, and
//! records every attempt with the receiver's answer.
//!
//! The request: `Content-Type: application/json`, `X-Lab-Event` (the
//! event's name), `X-Lab-Delivery` (the delivery's id, the same on every
//! retry) and `X-Lab-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is
//! HMAC-SHA256 keyed with the secret over `"<t>.<body>"`. A 2xx answer
//! delivers it; anything else (or none within 10 s) is tried again later.
//!
//! Unless the configuration allows private targets, only `https://` is
//! sent, and the host's addresses are resolved here and checked: a
//! loopback, private, link-local or otherwise non-public address is
//! refused, and the connection goes to the address that was checked (a
//! second lookup cannot answer otherwise). Redirects are not followed.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use app::domain::notifications::is_public_address;
use app::server::services::webhooks::{self, Due, Outcome, RESPONSE_EXCERPT};
use futures_util::stream::{self, StreamExt};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;

/// How often the sender looks for due deliveries.
pub const INTERVAL: Duration = Duration::from_secs(5);
/// Deliveries claimed per pass.
pub const BATCH: i64 = 20;
/// How long one receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once.
const CONCURRENCY: usize = 8;
/// Passes between two prunings of the delivery log (about an hour).
const PRUNE_EVERY: u32 = 720;

/// Delivers due webhooks every [`INTERVAL`] until the pool closes.
pub fn spawn(pool: PgPool) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut passes: u32 = 0;
        loop {
            ticker.tick().await;
            if pool.is_closed() {
                return;
            }
            let sent = deliver_due(&pool).await;
            crate::metrics::job_ran("webhooks_deliver", sent.is_ok());
            if let Err(error) = sent {
                tracing::error!(
                    error = format!("{error:#}"),
                    "delivering webhooks failed; retrying next round"
                );
            }
            if passes.is_multiple_of(PRUNE_EVERY) {
                if let Err(error) = webhooks::prune(&pool).await {
                    tracing::error!(%error, "pruning the webhook log failed");
                }
            }
            passes = passes.wrapping_add(1);
        }
    });
}

/// One pass: claims up to [`BATCH`] due deliveries, sends them (several at
/// once) and records each attempt as it ends. Returns how many were tried.
#[tracing::instrument(skip_all)]
pub async fn deliver_due(pool: &PgPool) -> anyhow::Result<usize> {
    let due = webhooks::claim_due(pool, BATCH).await?;
    let tried = due.len();
    let mut sent = stream::iter(due)
        .map(|due| async move {
            let outcome = deliver(&due).await;
            (due, outcome)
        })
        .buffer_unordered(CONCURRENCY);
    while let Some((due, outcome)) = sent.next().await {
        if !outcome.delivered() {
            tracing::info!(
                delivery = %due.id,
                webhook = %due.webhook_id,
                status = outcome.status,
                error = outcome.error.as_deref().unwrap_or_default(),
                "a webhook delivery failed; it will be retried"
            );
        }
        webhooks::record_attempt(pool, &due, &outcome).await?;
    }
    Ok(tried)
}

/// Sends `due` once and says what came of it.
pub async fn deliver(due: &Due) -> Outcome {
    match send(due).await {
        Ok(outcome) => outcome,
        Err(error) => Outcome {
            error: Some(error),
            ..Outcome::default()
        },
    }
}

async fn send(due: &Due) -> Result<Outcome, String> {
    let client = client_for(&due.url).await?;
    let body = serde_json::to_vec(&due.payload).map_err(|e| format!("the event's body: {e}"))?;
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = format!(
        "t={timestamp},v1={}",
        sign(due.secret.expose(), timestamp, &body)
    );
    let mut response = client
        .post(&due.url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("X-Lab-Event", &due.event)
        .header("X-Lab-Delivery", due.id.to_string())
        .header("X-Lab-Signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    // Only the start of the answer is kept: read no more than that.
    let mut excerpt = Vec::new();
    while excerpt.len() < RESPONSE_EXCERPT {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    excerpt.truncate(RESPONSE_EXCERPT);
    let text = String::from_utf8_lossy(&excerpt);
    Ok(Outcome {
        status: Some(status),
        response: (!text.is_empty()).then(|| webhooks::excerpt(&text, RESPONSE_EXCERPT)),
        error: None,
    })
}

/// A client for one delivery to `url`: no redirects, [`TIMEOUT`], and —
/// unless private targets are allowed — `https` only, pinned to an address
/// checked to be public.
async fn client_for(url: &str) -> Result<reqwest::Client, String> {
    let allow_private = webhooks::private_targets_allowed();
    let parsed = reqwest::Url::parse(url).map_err(|_| "the URL does not parse".to_owned())?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("only https:// URLs are sent to".to_owned()),
    }
    let host = parsed.host_str().ok_or("the URL has no host")?;
    let port = parsed
        .port_or_known_default()
        .ok_or("the URL has no port")?;
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("LabPortal-Webhooks/", env!("CARGO_PKG_VERSION")));
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let builder = if let Ok(ip) = literal.parse::<IpAddr>() {
        allowed(ip, allow_private)?;
        builder
    } else {
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("{host} does not resolve: {e}"))?
            .collect();
        for address in &addresses {
            allowed(address.ip(), allow_private)?;
        }
        let first = addresses
            .first()
            .copied()
            .ok_or_else(|| format!("{host} has no address"))?;
        builder.resolve(host, first)
    };
    builder.build().map_err(|e| format!("the HTTP client: {e}"))
}

fn allowed(ip: IpAddr, allow_private: bool) -> Result<(), String> {
    if allow_private || is_public_address(ip) {
        Ok(())
    } else {
        Err(format!(
            "{ip} is a loopback, private or link-local address, which webhooks may not reach"
        ))
    }
}

/// What went wrong with a request, in a line.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        text
    }
}

/// The `v1` signature: hex HMAC-SHA256 keyed with `secret` over
/// `"<timestamp>.<body>"`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_time_dot_body_in_hex() {
        // As Python's `hmac.new(b"whsec_test", b'1700000000.{"a":1}',
        // hashlib.sha256).hexdigest()` computes it.
        assert_eq!(
            sign("whsec_test", 1_700_000_000, b"{\"a\":1}"),
            "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        let loopback: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!(allowed(loopback, false).is_err());
        assert!(allowed(loopback, true).is_ok());
        assert!(allowed("93.184.216.34".parse().expect("ip"), false).is_ok());
    }
}
