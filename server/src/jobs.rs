//! Periodic work: releasing expired holds and expiring lapsed grants (the
//! ledger's), forgetting the links of unsent emails after an hour and the
//! rosters nobody invited after a week, ending courses whose term is
//! over (their unused credit going back to
//! the institution, again until requests in flight are done), and checking
//! what to notify people of (low balances, expiring credit, spent caps and
//! budgets). Webhook deliveries have a loop of their own, every few
//! seconds (`crate::webhooks`).

use std::time::Duration;

use anyhow::bail;
use app::server::ledger;
use sqlx::PgPool;

/// How often the server runs the ledger jobs.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// Runs the ledger jobs every [`INTERVAL`] until the pool closes, and the
/// webhook deliveries beside them.
pub fn spawn(pool: PgPool) {
    crate::webhooks::spawn(pool.clone());
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if pool.is_closed() {
                return;
            }
            let ledger = run_ledger_jobs(&pool).await;
            crate::metrics::job_ran("ledger", ledger.is_ok());
            if let Err(error) = ledger {
                tracing::error!(
                    error = format!("{error:#}"),
                    "ledger jobs failed; retrying next round"
                );
            }
            let forgotten = app::server::services::outbox::forget_secrets(&pool).await;
            crate::metrics::job_ran("outbox_forget_links", forgotten.is_ok());
            if let Err(error) = forgotten {
                tracing::error!(%error, "forgetting old email links failed; retrying next round");
            }
            let pruned = app::server::services::rosters::prune_drafts(&pool).await;
            crate::metrics::job_ran("roster_drafts_prune", pruned.is_ok());
            if let Err(error) = pruned {
                tracing::error!(%error, "forgetting old roster drafts failed; retrying next round");
            }
            let ended = app::server::services::cohorts::run_due(&pool).await;
            crate::metrics::job_ran("courses_end_terms", ended.is_ok());
            match ended {
                Ok(0) => {}
                Ok(ended) => tracing::info!(ended, "courses whose term is over ended"),
                Err(error) => {
                    tracing::error!(%error, "ending courses failed; retrying next round");
                }
            }
            // After the ledger's round: expiry and released holds have
            // settled the balances it reads.
            let checked = app::server::services::notifications::check(&pool).await;
            crate::metrics::job_ran("notifications_check", checked.is_ok());
            match checked {
                Ok(checked) if checked.notified > 0 || checked.webhooks > 0 => tracing::info!(
                    notified = checked.notified,
                    webhooks = checked.webhooks,
                    "notifications checked"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(%error, "checking notifications failed; retrying next round");
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
