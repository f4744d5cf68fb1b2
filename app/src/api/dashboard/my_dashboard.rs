//! The caller's dashboard.

use leptos::prelude::*;

use super::DashboardView;
use crate::error::AppError;

/// How many of the latest requests the dashboard lists.
pub const RECENT_REQUESTS: i64 = 5;

/// How many keys the dashboard lists; the keys page has them all.
pub const DASHBOARD_KEYS: usize = 5;

/// The signed-in user's balance, spending this month (UTC), credits per
/// day by model over the last 30 days, latest requests and keys. The reads
/// run at once, each on its own connection, so the page waits for the
/// slowest, not their sum.
#[server(endpoint = "my_dashboard")]
pub async fn my_dashboard() -> Result<DashboardView, AppError> {
    use crate::api::credits::balance_of;
    use crate::api::keys::{KeyStatus, KeyView};
    use crate::api::usage::{chart_of, Metric, UsageView};
    use crate::server::services::{keys, usage};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let pool = &state.pool;
        let now = time::OffsetDateTime::now_utc();
        let today = now.date();
        let first = today.replace_day(1).unwrap_or(today);
        let this_month = usage::UsageFilter {
            from: Some(first),
            ..usage::UsageFilter::default()
        };
        let everything = usage::UsageFilter::default();
        let (balance, (_, totals), (recent, _), chart, key_rows) = tokio::try_join!(
            balance_of(pool, caller.user_id),
            usage::log(pool, caller.user_id, &this_month, 1, 1),
            usage::log(pool, caller.user_id, &everything, 1, RECENT_REQUESTS),
            chart_of(pool, caller.user_id, Metric::Credits),
            keys::list(pool, caller.user_id),
        )?;
        let key_count = key_rows.len();
        let mut keys: Vec<KeyView> = key_rows
            .into_iter()
            .map(|row| KeyView::from_row(row, now))
            .collect();
        // Newest first already; a stable sort keeps that within each status.
        keys.sort_by_key(|k| k.status != KeyStatus::Active);
        keys.truncate(DASHBOARD_KEYS);
        Ok(DashboardView {
            balance,
            month: format!("{} {}", first.month(), first.year()),
            spent_this_month: totals.credits,
            requests_this_month: totals.requests,
            recent: recent.into_iter().map(UsageView::from).collect(),
            chart,
            keys,
            key_count,
        })
    })
    .await
}
