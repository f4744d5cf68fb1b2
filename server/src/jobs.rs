//! Periodic work: releasing expired holds and expiring lapsed grants (the
//! ledger's), forgetting the links of unsent emails after an hour and the
//! rosters nobody invited after a week, ending courses whose term is
//! over (their unused credit going back to
//! the institution, again until requests in flight are done), rolling
//! each day's usage up for the staff dashboard once it is over, and checking
//! what to notify people of (low balances, expiring credit, spent caps and
//! budgets). Webhook deliveries have a loop of their own, every few
//! seconds (`crate::webhooks`).

use std::time::Duration;

use anyhow::bail;
use app::server::ledger;
use app::server::services::{cohorts, notifications, outbox, overview, rosters};
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
            ran("ledger", run_ledger_jobs(&pool).await);
            ran("outbox_forget_links", outbox::forget_secrets(&pool).await);
            ran("roster_drafts_prune", rosters::prune_drafts(&pool).await);
            let ended = ran("courses_end_terms", cohorts::run_due(&pool).await);
            if let Some(ended) = ended.filter(|n| *n > 0) {
                tracing::info!(ended, "courses whose term is over ended");
            }
            let rolled = ran("usage_roll_up", overview::roll_up_usage(&pool).await);
            if let Some(days) = rolled.filter(|n| *n > 0) {
                tracing::info!(days, "platform usage rolled up");
            }
            // After the ledger's round: expiry and released holds have
            // settled the balances it reads.
            let checked = ran("notifications_check", notifications::check(&pool).await);
            if let Some(checked) = checked.filter(|c| c.notified > 0 || c.webhooks > 0) {
                tracing::info!(
                    notified = checked.notified,
                    webhooks = checked.webhooks,
                    "notifications checked"
                );
            }
        }
    });
}

/// Counts a round of `job` in the metrics and logs its failure (it is
/// tried again next round); what it returned, when it worked.
fn ran<T, E: std::fmt::Debug>(job: &'static str, result: Result<T, E>) -> Option<T> {
    crate::metrics::job_ran(job, result.is_ok());
    result
        .map_err(|error| tracing::error!(job, ?error, "a periodic job failed; retrying next round"))
        .ok()
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
