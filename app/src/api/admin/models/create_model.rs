//! Adding a model to the inference API.

use super::ModelForm;
use crate::error::AppError;
use leptos::prelude::*;

/// Adds a model, enabled (audited as `model.create`), and returns to the
/// list.
#[server(endpoint = "admin_create_model")]
pub async fn create_model(#[server(flatten)] form: ModelForm) -> Result<(), AppError> {
    use crate::server::services::models;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        models::create_model(
            &state.pool,
            &caller,
            form.fields(),
            &state.tokenizers.choices(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            crate::href::admin_models(),
            "model-created",
        ));
        Ok(())
    })
    .await
}
