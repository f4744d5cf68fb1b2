//! Enabling and disabling a model.

use leptos::prelude::*;

use crate::error::AppError;

/// Enables or disables model `id` (audited as `model.enable` or
/// `model.disable`) and returns to the list. A disabled model is refused by
/// the proxy; nothing is deleted.
#[server(endpoint = "admin_set_model_enabled")]
pub async fn set_model_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    use crate::server::services::models;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| AppError::NotFound("There is no such model.".to_owned()))?;
        models::set_model_enabled(
            &state.pool,
            &caller,
            id,
            enabled,
            crate::server::client_addr(),
        )
        .await?;
        let done = if enabled {
            "model-enabled"
        } else {
            "model-disabled"
        };
        crate::server::redirect(&crate::href::done(crate::href::admin_models(), done));
        Ok(())
    })
    .await
}
