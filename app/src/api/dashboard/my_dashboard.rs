//! The caller's dashboard.

use leptos::prelude::*;

use super::DashboardView;
use crate::error::AppError;

/// How many of the latest requests the dashboard lists.
pub const RECENT_REQUESTS: i64 = 5;

/// The signed-in user's balance, spending this month (UTC) and latest
/// requests.
#[server(endpoint = "my_dashboard")]
pub async fn my_dashboard() -> Result<DashboardView, AppError> {
    use crate::api::credits::balance_of;
    use crate::api::usage::UsageView;
    use crate::server::services::usage;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let today = time::OffsetDateTime::now_utc().date();
        let first = today.replace_day(1).unwrap_or(today);
        let balance = balance_of(&state.pool, caller.user_id).await?;
        let this_month = usage::UsageFilter {
            from: Some(first),
            ..usage::UsageFilter::default()
        };
        let (_, totals) = usage::log(&state.pool, caller.user_id, &this_month, 1, 1).await?;
        let (recent, _) = usage::log(
            &state.pool,
            caller.user_id,
            &usage::UsageFilter::default(),
            1,
            RECENT_REQUESTS,
        )
        .await?;
        Ok(DashboardView {
            balance,
            month: format!("{} {}", first.month(), first.year()),
            spent_this_month: totals.credits,
            requests_this_month: totals.requests,
            recent: recent.into_iter().map(UsageView::from).collect(),
        })
    })
    .await
}
