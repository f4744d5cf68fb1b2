//! Opening a notification.

use leptos::prelude::*;

use crate::error::AppError;

/// Marks the caller's notification `id` read and answers where it leads
/// (a path of the portal). Someone else's is "not found".
#[server(endpoint = "open_notification")]
pub async fn open_notification(id: String) -> Result<String, AppError> {
    use crate::server::services::notifications;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let id = super::notification_id(&id)?;
        notifications::open(&state.pool, caller.user_id, id)
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(super::not_found)
    })
    .await
}
