//! Credits as their owner sees them: balance and expiries.

mod my_balance;

pub use my_balance::*;

use serde::{Deserialize, Serialize};

/// An account's balance, in micro-credits, with what expires when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceView {
    pub available: i64,
    pub reserved: i64,
    /// `(micro-credits, date)` of credit that expires, soonest first.
    pub expiring: Vec<(i64, String)>,
}
