//! Delivers the outbox by SMTP: a background task that sends pending emails
//! and records each outcome (see `app::server::services::outbox`).

use std::time::Duration;

use anyhow::Context as _;
use app::server::services::outbox::{self, OutboxEntry};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

/// Rows claimed, and sent, per pass.
pub const BATCH_SIZE: i64 = 20;
/// The pause after a pass that sent nothing.
const IDLE_DELAY: Duration = Duration::from_secs(2);
/// How long one SMTP exchange may take. Claimed rows stay locked meanwhile.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts the mailer.
///
/// Without `smtp_url` it only logs that mail stays in the outbox, and the
/// returned task ends at once. With it, the task delivers pending emails
/// until the runtime stops. An unreadable `smtp_url` or `from` is an error
/// here, at start-up, rather than a silent failure later.
pub fn spawn(
    pool: PgPool,
    smtp_url: Option<SecretString>,
    from: &str,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let Some(smtp_url) = smtp_url else {
        tracing::info!("SMTP is not configured; emails stay in the outbox");
        return Ok(tokio::spawn(async {}));
    };
    let from: Mailbox = from
        .parse()
        .with_context(|| format!("mail_from {from:?} is not a valid address"))?;
    // The URL holds the SMTP password: never put it into the error.
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose_secret())
        .context("smtp_url is not a valid SMTP URL")?
        .timeout(Some(SMTP_TIMEOUT))
        .build();
    Ok(tokio::spawn(run(pool, transport, from)))
}

/// Delivers pending emails forever; a pass that sends nothing is followed by
/// a pause. Stops when the pool is closed (the server is shutting down).
async fn run(pool: PgPool, transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox) {
    tracing::info!("mailer started");
    loop {
        match deliver_pending(&pool, &transport, &from).await {
            Ok(0) => tokio::time::sleep(IDLE_DELAY).await,
            Ok(_) => {}
            Err(error) => {
                if pool.is_closed() {
                    tracing::info!("database pool closed; mailer stopped");
                    return;
                }
                tracing::error!(error = format!("{error:#}"), "mail delivery pass failed");
                tokio::time::sleep(IDLE_DELAY).await;
            }
        }
    }
}

/// One pass over the outbox: claims up to [`BATCH_SIZE`] due emails, sends
/// each, and records every outcome. Returns how many were sent.
///
/// A refused or malformed email counts against that row only; errors are
/// returned only when the database fails. The pass is one transaction, so
/// the claimed rows stay locked (other instances skip them) until it ends.
#[tracing::instrument(skip_all)]
pub async fn deliver_pending(
    pool: &PgPool,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await.context("begin outbox pass")?;
    let claimed = outbox::claim_pending(&mut tx, BATCH_SIZE)
        .await
        .context("claim pending emails")?;
    let mut sent = 0;
    for entry in &claimed {
        match send(transport, from, entry).await {
            Ok(()) => {
                outbox::mark_sent(&mut tx, entry.id)
                    .await
                    .context("mark email sent")?;
                sent += 1;
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::warn!(id = %entry.id, attempt = entry.attempts + 1, %error, "email not sent");
                outbox::mark_failed(&mut tx, entry.id, &error)
                    .await
                    .context("mark email failed")?;
            }
        }
    }
    tx.commit().await.context("commit outbox pass")?;
    if !claimed.is_empty() {
        tracing::info!(sent, failed = claimed.len() - sent, "outbox pass done");
    }
    Ok(sent)
}

/// Builds and sends one plain-text email.
async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    entry: &OutboxEntry,
) -> anyhow::Result<()> {
    let to: Mailbox = entry
        .recipient
        .parse()
        .with_context(|| format!("invalid recipient {:?}", entry.recipient))?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&entry.subject)
        .header(ContentType::TEXT_PLAIN)
        // The body with its link, which is forgotten once sent.
        .body(
            entry
                .secret_body_text
                .clone()
                .unwrap_or_else(|| entry.body_text.clone()),
        )
        .context("build message")?;
    // lettre's errors already print their source; a context chain would
    // repeat it.
    transport
        .send(message)
        .await
        .map_err(|error| anyhow::anyhow!("SMTP delivery failed: {error}"))?;
    Ok(())
}
