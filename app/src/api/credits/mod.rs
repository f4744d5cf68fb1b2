//! Credits as their owner sees them: balance and expiries.

mod my_balance;
mod my_credit_history;

pub use my_balance::*;
pub use my_credit_history::*;

use serde::{Deserialize, Serialize};

/// An account's balance, in micro-credits, with what expires when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceView {
    pub available: i64,
    pub reserved: i64,
    /// `(micro-credits, date)` of credit that expires, soonest first.
    pub expiring: Vec<(i64, String)>,
}

/// Kinds of ledger transaction a person can filter by.
pub const KINDS: [&str; 9] = [
    "grant",
    "transfer",
    "allocation",
    "reservation",
    "settlement",
    "release",
    "refund",
    "expiry",
    "adjustment",
];

/// One transaction as it touched the viewer's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub id: String,
    pub when: String,
    pub kind: String,
    pub memo: String,
    /// Micro-credits added to (or, negative, taken from) the available balance.
    pub available_delta: i64,
    pub reserved_delta: i64,
}

#[cfg(feature = "ssr")]
impl From<crate::server::ledger::HistoryRow> for HistoryView {
    fn from(row: crate::server::ledger::HistoryRow) -> Self {
        Self {
            id: row.transaction_id.to_string(),
            when: crate::format::time(row.created_at),
            kind: row.kind,
            memo: row.memo.unwrap_or_default(),
            available_delta: row.available_delta,
            reserved_delta: row.reserved_delta,
        }
    }
}
