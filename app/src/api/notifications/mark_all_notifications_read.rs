//! Marking every notification read.

use leptos::prelude::*;

use crate::error::AppError;

/// Marks all the caller's notifications read; a form posted without
/// JavaScript lands back on the list.
#[server(endpoint = "mark_all_notifications_read")]
pub async fn mark_all_notifications_read() -> Result<(), AppError> {
    use crate::server::services::notifications;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        notifications::mark_all_read(&state.pool, caller.user_id)
            .await
            .map_err(crate::server::internal)?;
        crate::server::redirect(&crate::href::done(crate::href::notifications(), "read"));
        Ok(())
    })
    .await
}
