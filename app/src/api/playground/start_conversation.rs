//! Starting a conversation with an agent.

use leptos::prelude::*;

use crate::error::AppError;

/// Starts a conversation of the signed-in user with the published agent
/// `slug` and sends the browser to it. It bills the organization the user
/// acts for (the header's choice), or their own credit.
#[server(endpoint = "start_conversation")]
pub async fn start_conversation(slug: String) -> Result<String, AppError> {
    use crate::server::acting_for;
    use crate::server::services::{conversations, organizations};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let bill_to = match acting_for::slug() {
            Some(org) => organizations::membership(&state.pool, &org, caller.user_id)
                .await
                .ok()
                .map(|(org, _)| org.id),
            None => None,
        };
        let id = conversations::start(&state.pool, caller.user_id, slug.trim(), bill_to)
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(|| {
                AppError::NotFound("There is no published agent at this address.".to_owned())
            })?
            .to_string();
        crate::server::redirect(&crate::href::playground(&id));
        Ok(id)
    })
    .await
}
