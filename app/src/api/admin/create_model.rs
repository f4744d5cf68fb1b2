//! Adding a model to the inference API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The model form, as posted. Numbers stay text until checked, so that
/// every mistake comes back as a message on its field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelForm {
    #[serde(default)]
    pub public_id: String,
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub upstream_model: String,
    #[serde(default)]
    pub kind: String,
    /// Credits per million input tokens; empty: unpriced (not served).
    #[serde(default)]
    pub input_price: String,
    /// Credits per million output tokens; empty: unpriced (not served).
    #[serde(default)]
    pub output_price: String,
    #[serde(default)]
    pub context_window: String,
    #[serde(default)]
    pub max_output_tokens: String,
}

#[cfg(feature = "ssr")]
impl ModelForm {
    pub(super) fn fields(&self) -> crate::server::services::model_admin::input::ModelFields<'_> {
        crate::server::services::model_admin::input::ModelFields {
            public_id: &self.public_id,
            provider_id: &self.provider_id,
            upstream_model: &self.upstream_model,
            kind: &self.kind,
            input_price: &self.input_price,
            output_price: &self.output_price,
            context_window: &self.context_window,
            max_output_tokens: &self.max_output_tokens,
        }
    }
}

/// Adds a model, enabled (audited as `model.create`), and returns to the
/// list.
#[server(endpoint = "admin_create_model")]
pub async fn create_model(#[server(flatten)] form: ModelForm) -> Result<(), AppError> {
    use crate::server::services::model_admin;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        model_admin::create_model(
            &state.pool,
            &caller,
            form.fields(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect("/admin/models?done=model-created");
        Ok(())
    })
    .await
}
