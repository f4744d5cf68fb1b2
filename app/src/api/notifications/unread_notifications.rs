//! The bell's count.

use leptos::prelude::*;

use crate::error::AppError;

/// How many notifications the caller has not read (the header asks on
/// every page for someone signed in).
#[server(endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<i64, AppError> {
    use crate::server::services::notifications;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        notifications::unread(&state.pool, caller.user_id)
            .await
            .map_err(crate::server::internal)
    })
    .await
}
