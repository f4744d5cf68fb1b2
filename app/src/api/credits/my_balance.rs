//! The caller's credit balance.

use leptos::prelude::*;

use super::BalanceView;
use crate::error::AppError;

/// The signed-in user's balance: available, reserved, and upcoming expiries.
#[server(endpoint = "my_balance")]
pub async fn my_balance() -> Result<BalanceView, AppError> {
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        balance_of(&state.pool, caller.user_id).await
    })
    .await
}

/// `user`'s balance as [`my_balance`] shows it.
#[cfg(feature = "ssr")]
pub(crate) async fn balance_of(
    pool: &sqlx::PgPool,
    user: uuid::Uuid,
) -> Result<BalanceView, AppError> {
    use crate::server::{internal, ledger};
    let mut conn = pool.acquire().await.map_err(internal)?;
    let account = ledger::account_for(&mut conn, ledger::Owner::User(user))
        .await
        .map_err(internal)?;
    // Given back before the reads below take their own: a request holding
    // one connection while waiting for another starves the pool under load.
    drop(conn);
    let balance = ledger::balance(pool, account).await.map_err(internal)?;
    let expiring = ledger::expiring(pool, account).await.map_err(internal)?;
    Ok(BalanceView {
        available: balance.available,
        reserved: balance.reserved,
        expiring: expiring
            .into_iter()
            .map(|(amount, at)| (amount, crate::format::expiry(at)))
            .collect(),
    })
}
