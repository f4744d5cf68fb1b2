//! Credits as their owner sees them: balance and expiries.

mod my_balance;
mod my_credit_statement;

pub use my_balance::*;
pub use my_credit_statement::*;

use serde::{Deserialize, Serialize};

/// An account's balance, in micro-credits, with what expires when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceView {
    pub available: i64,
    pub reserved: i64,
    /// `(micro-credits, date)` of credit that expires, soonest first.
    pub expiring: Vec<(i64, String)>,
}

/// One line of a person's statement, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementView {
    /// The day (a day of requests) or the time.
    pub when: String,
    /// What happened: "3 requests", "Granted: Hackathon", "Credit expired".
    pub what: String,
    /// Micro-credits in (positive) or out.
    pub change: i64,
    /// Micro-credits held after this line (available and held for requests
    /// in progress).
    pub balance: i64,
    /// The usage records behind a day of requests.
    pub usage_link: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<crate::server::ledger::StatementLine> for StatementView {
    fn from(line: crate::server::ledger::StatementLine) -> Self {
        let memo = line.memo.filter(|m| !m.trim().is_empty());
        let with_memo = |what: &str| match &memo {
            Some(memo) => format!("{what}: {memo}"),
            None => what.to_owned(),
        };
        let what = match line.kind.as_str() {
            "requests" => match line.requests {
                0 => "Requests finishing".to_owned(),
                1 => "1 request".to_owned(),
                n => format!("{} requests", crate::format::grouped(n)),
            },
            "grant" => with_memo("Credit granted"),
            "expiry" => with_memo("Credit expired"),
            "refund" => with_memo("Refund"),
            "adjustment" => with_memo("Correction by the Lab"),
            "transfer" => with_memo("Transfer"),
            "allocation" => with_memo("Allocation"),
            other => with_memo(other),
        };
        let (when, usage_link) = match line.day {
            Some(day) => {
                let day = crate::format::date(day);
                let link = crate::href::with_query(
                    crate::href::usage(),
                    &[("from", day.as_str()), ("to", day.as_str())],
                );
                (day, Some(link))
            }
            None => (crate::format::time(line.at), None),
        };
        Self {
            when,
            what,
            change: line.change,
            balance: line.balance,
            usage_link,
        }
    }
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
