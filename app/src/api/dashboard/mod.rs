//! The signed-in home page: balance, this month's spending and the latest
//! requests, in one call.

mod my_dashboard;

pub use my_dashboard::*;

use serde::{Deserialize, Serialize};

use crate::api::credits::BalanceView;
use crate::api::usage::UsageView;

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
}
