//! Trying an agent's newest version in the playground.

use leptos::prelude::*;

use crate::error::AppError;

/// Starts a conversation of the admin with agent `slug`'s newest version,
/// a draft included, and sends them to it: the reply is metered and
/// charged like any other.
#[server(endpoint = "admin_preview_agent")]
pub async fn preview_agent(slug: String) -> Result<String, AppError> {
    use crate::server::services::conversations;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = conversations::start_newest(&state.pool, caller.user_id, slug.trim())
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(|| AppError::NotFound("There is no agent at this address.".to_owned()))?
            .to_string();
        crate::server::redirect(&crate::href::playground(&id));
        Ok(id)
    })
    .await
}
