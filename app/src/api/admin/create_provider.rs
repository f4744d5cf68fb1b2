//! Adding an upstream provider.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The provider form, as posted. Numbers stay text until checked, so that
/// every mistake comes back as a message on its field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub base_url: String,
    /// The name of the environment variable holding the secret (never the
    /// secret itself); empty when the upstream needs none.
    #[serde(default)]
    pub secret_env: String,
    #[serde(default)]
    pub timeout_ms: String,
}

#[cfg(feature = "ssr")]
impl ProviderForm {
    pub(super) fn fields(&self) -> crate::server::services::model_admin::input::ProviderFields<'_> {
        crate::server::services::model_admin::input::ProviderFields {
            name: &self.name,
            base_url: &self.base_url,
            secret_env: &self.secret_env,
            timeout_ms: &self.timeout_ms,
        }
    }
}

/// Adds a provider (audited as `provider.create`) and returns to the list.
#[server(endpoint = "admin_create_provider")]
pub async fn create_provider(#[server(flatten)] form: ProviderForm) -> Result<(), AppError> {
    use crate::server::services::model_admin;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        model_admin::create_provider(
            &state.pool,
            &caller,
            form.fields(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect("/admin/models?done=provider-created");
        Ok(())
    })
    .await
}
