//! The caller's API keys.

use leptos::prelude::*;

use super::KeyView;
use crate::error::AppError;

/// The signed-in user's keys, newest first, revoked ones included.
#[server(endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<KeyView>, AppError> {
    use crate::server::services::keys;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let now = time::OffsetDateTime::now_utc();
        let rows = keys::list(&state.pool, caller.user_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| KeyView::from_row(row, now))
            .collect())
    })
    .await
}
