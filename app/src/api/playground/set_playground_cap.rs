//! The signed-in user's own monthly playground limit.

use leptos::prelude::*;

use crate::error::AppError;

/// Sets the signed-in user's monthly playground limit to `cap` credits
/// (empty: no limit of their own). A reply that could pass it is not
/// started.
#[server(endpoint = "set_playground_cap")]
pub async fn set_playground_cap(#[server(default)] cap: String) -> Result<(), AppError> {
    use crate::domain::credits::Credits;
    use crate::server::services::conversations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let cap = match cap.trim() {
            "" => None,
            text => Some(
                Credits::parse(text, false)
                    .map_err(|message| AppError::field("cap", message))?
                    .micros(),
            ),
        };
        conversations::set_cap(&state.pool, caller.user_id, cap)
            .await
            .map_err(crate::server::internal)?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::playground_list(),
            &[("done", "cap")],
        ));
        Ok(())
    })
    .await
}
