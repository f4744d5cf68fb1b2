//! The caller's credit history.

use leptos::prelude::*;

use super::HistoryView;
use crate::domain::paging::Page;
use crate::error::AppError;

/// Rows per page of history.
pub const HISTORY_PER_PAGE: i64 = 25;

/// One page of the signed-in user's ledger history, optionally of one kind.
#[server(endpoint = "my_credit_history")]
pub async fn my_credit_history(
    page: i64,
    kind: Option<String>,
) -> Result<Page<HistoryView>, AppError> {
    use crate::domain::paging::clamp_page;
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
        let page = clamp_page(page);
        let (rows, total) = ledger::history(&state.pool, account, &filter, page, HISTORY_PER_PAGE)
            .await
            .map_err(internal)?;
        Ok(Page::new(rows, total, page, HISTORY_PER_PAGE).map(HistoryView::from))
    })
    .await
}
