//! Changing an upstream provider.

use leptos::prelude::*;

use super::ProviderForm;
use crate::error::AppError;

/// Saves provider `id` from its form (audited as `provider.update`) and
/// returns to the list. For the simulator only the timeout is read: its
/// name, base URL and secret are the server's.
#[server(endpoint = "admin_update_provider")]
pub async fn update_provider(
    id: String,
    #[server(flatten)] form: ProviderForm,
) -> Result<(), AppError> {
    use crate::server::services::models;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| AppError::NotFound("There is no such provider.".to_owned()))?;
        models::update_provider(
            &state.pool,
            &caller,
            id,
            form.fields(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            crate::href::admin_models(),
            "provider-updated",
        ));
        Ok(())
    })
    .await
}
