//! The caller's credit statement.

use leptos::prelude::*;

use super::StatementView;
use crate::domain::paging::Page;
use crate::error::AppError;

/// Lines per page of the statement.
pub const STATEMENT_PER_PAGE: i64 = 25;

/// One page of the signed-in user's statement: a line per day of requests
/// and per grant, expiry or refund, with the balance after each.
#[server(endpoint = "my_credit_statement")]
pub async fn my_credit_statement(page: i64) -> Result<Page<StatementView>, AppError> {
    use crate::domain::paging::clamp_page;
    use crate::server::{internal, ledger};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let mut conn = state.pool.acquire().await.map_err(internal)?;
        let account = ledger::account_for(&mut conn, ledger::Owner::User(caller.user_id))
            .await
            .map_err(internal)?;
        drop(conn);
        let page = clamp_page(page);
        let (lines, total) = ledger::statement(&state.pool, account, page, STATEMENT_PER_PAGE)
            .await
            .map_err(internal)?;
        Ok(Page::new(lines, total, page, STATEMENT_PER_PAGE).map(StatementView::from))
    })
    .await
}
