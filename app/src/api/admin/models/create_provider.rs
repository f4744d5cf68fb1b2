//! Adding an upstream provider.

use super::ProviderForm;
use crate::error::AppError;
use leptos::prelude::*;

/// Adds a provider (audited as `provider.create`) and returns to the list.
#[server(endpoint = "admin_create_provider")]
pub async fn create_provider(#[server(flatten)] form: ProviderForm) -> Result<(), AppError> {
    use crate::server::services::models;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        models::create_provider(
            &state.pool,
            &caller,
            form.fields(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            crate::href::admin_models(),
            "provider-created",
        ));
        Ok(())
    })
    .await
}
