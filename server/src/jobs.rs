//! Periodic work: releasing expired holds and expiring lapsed grants (the
//! ledger's), forgetting the links of unsent emails after an hour and the
//! rosters nobody invited after a week, and ending courses whose term is
//! over (their unused credit going back to
//! the institution, again until requests in flight are done).

use std::time::Duration;

use anyhow::bail;
use app::server::ledger;
use sqlx::PgPool;

/// How often the server runs the ledger jobs.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// Runs the ledger jobs every [`INTERVAL`] until the pool closes.
pub fn spawn(pool: PgPool) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = run_ledger_jobs(&pool).await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "ledger jobs failed; retrying next round"
                );
            }
            if let Err(error) = app::server::services::outbox::forget_secrets(&pool).await {
                tracing::error!(%error, "forgetting old email links failed; retrying next round");
            }
            if let Err(error) = app::server::services::rosters::prune_drafts(&pool).await {
                tracing::error!(%error, "forgetting old roster drafts failed; retrying next round");
            }
            match app::server::services::cohorts::run_due(&pool).await {
                Ok(0) => {}
                Ok(ended) => tracing::info!(ended, "courses whose term is over ended"),
                Err(error) => {
                    tracing::error!(%error, "ending courses failed; retrying next round");
                }
            }
        }
    });
}

/// One round: release holds past their TTL, then expire lapsed lots.
/// Returns `(holds released, lots expired)`.
pub async fn run_ledger_jobs(pool: &PgPool) -> anyhow::Result<(u64, u64)> {
    let holds = ledger::sweep_expired_holds(pool).await?;
    let lots = ledger::expire_lots(pool).await?;
    if holds > 0 || lots > 0 {
        tracing::info!(
            holds_released = holds,
            lots_expired = lots,
            "ledger jobs ran"
        );
    }
    Ok((holds, lots))
}

/// Checks every ledger invariant, printing each violation; fails if any.
pub async fn verify_ledger(pool: &PgPool) -> anyhow::Result<()> {
    let violations = ledger::verify(pool).await?;
    for violation in &violations {
        eprintln!("ledger violation: {}", violation.0);
    }
    if violations.is_empty() {
        eprintln!("ledger verified: every invariant holds");
        Ok(())
    } else {
        bail!("{} ledger violation(s)", violations.len())
    }
}
