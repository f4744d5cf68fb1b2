//! The signed-in home page: balance, this month's spending, the last 30
//! days by model, the latest requests and the API keys, in one call.

mod my_dashboard;

pub use my_dashboard::*;

use serde::{Deserialize, Serialize};

use crate::api::credits::BalanceView;
use crate::api::keys::KeyView;
use crate::api::usage::{UsageChart, UsageView};

/// What the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub balance: BalanceView,
    /// This month, for people: `November 2026` (UTC).
    pub month: String,
    /// Micro-credits spent this month.
    pub spent_this_month: i64,
    pub requests_this_month: i64,
    /// The latest requests, newest first.
    pub recent: Vec<UsageView>,
    /// Credits per day by model over the last 30 days: the usage page's
    /// chart.
    pub chart: UsageChart,
    /// A few of the caller's keys: the active ones first, newest first.
    pub keys: Vec<KeyView>,
    /// How many keys the caller has in all, revoked and expired included.
    pub key_count: usize,
}
