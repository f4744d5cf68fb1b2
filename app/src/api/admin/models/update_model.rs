//! Changing a model of the inference API.

use leptos::prelude::*;

use super::ModelForm;
use crate::error::AppError;

/// Saves model `id` from its form (audited as `model.update`) and returns
/// to the list. Whether it is enabled is changed apart, with
/// [`set_model_enabled`](super::set_model_enabled).
#[server(endpoint = "admin_update_model")]
pub async fn update_model(id: String, #[server(flatten)] form: ModelForm) -> Result<(), AppError> {
    use crate::server::services::models;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| AppError::NotFound("There is no such model.".to_owned()))?;
        models::update_model(
            &state.pool,
            &caller,
            id,
            form.fields(),
            &state.tokenizers.choices(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            crate::href::admin_models(),
            "model-updated",
        ));
        Ok(())
    })
    .await
}
