//! The caller's credit balance.

use leptos::prelude::*;

use super::BalanceView;
use crate::error::AppError;

/// The signed-in user's balance: available, reserved, and upcoming expiries.
#[server(endpoint = "my_balance")]
pub async fn my_balance() -> Result<BalanceView, AppError> {
    use crate::server::{internal, ledger};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let mut conn = state.pool.acquire().await.map_err(internal)?;
        let account = ledger::account_for(&mut conn, ledger::Owner::User(caller.user_id))
            .await
            .map_err(internal)?;
        let balance = ledger::balance(&state.pool, account)
            .await
            .map_err(internal)?;
        let expiring = ledger::expiring(&state.pool, account)
            .await
            .map_err(internal)?;
        Ok(BalanceView {
            available: balance.available,
            reserved: balance.reserved,
            expiring: expiring
                .into_iter()
                .map(|(amount, at)| (amount, crate::format::time(at)))
                .collect(),
        })
    })
    .await
}
