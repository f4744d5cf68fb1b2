//! The caller's credit history.

use leptos::prelude::*;

use super::HistoryPage;
use crate::error::AppError;

/// Rows per page of history.
pub const HISTORY_PER_PAGE: i64 = 25;

/// One page of the signed-in user's ledger history, optionally of one kind.
#[server(endpoint = "my_credit_history")]
pub async fn my_credit_history(page: i64, kind: Option<String>) -> Result<HistoryPage, AppError> {
    use crate::server::{internal, ledger};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let kind = kind.filter(|k| super::KINDS.contains(&k.as_str()));
        let mut conn = state.pool.acquire().await.map_err(internal)?;
        let account = ledger::account_for(&mut conn, ledger::Owner::User(caller.user_id))
            .await
            .map_err(internal)?;
        drop(conn);
        let filter = ledger::HistoryFilter {
            kind,
            ..ledger::HistoryFilter::default()
        };
        let page = page.max(1);
        let (rows, total) = ledger::history(&state.pool, account, &filter, page, HISTORY_PER_PAGE)
            .await
            .map_err(internal)?;
        Ok(HistoryPage {
            rows: rows.into_iter().map(super::HistoryView::from).collect(),
            total,
            page,
            per_page: HISTORY_PER_PAGE,
        })
    })
    .await
}
