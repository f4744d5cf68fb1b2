//! The providers and models the inference proxy serves, as the admin
//! console lists them.

use super::CatalogView;
use crate::error::AppError;
use leptos::prelude::*;

/// Every provider (with whether its secret's variable is set) and model.
#[server(endpoint = "admin_model_catalog")]
pub async fn model_catalog() -> Result<CatalogView, AppError> {
    use super::{ModelView, ProviderView};
    use crate::server::{internal, services::models};
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let providers = models::providers(&state.pool).await.map_err(internal)?;
        let models = models::models(&state.pool).await.map_err(internal)?;
        Ok(CatalogView {
            providers: providers
                .into_iter()
                .map(|p| ProviderView {
                    secret_set: p.secret_env.as_deref().is_some_and(variable_is_set),
                    id: p.id,
                    name: p.name,
                    base_url: p.base_url,
                    secret_env: p.secret_env,
                    timeout_ms: p.timeout_ms,
                    is_simulator: p.is_simulator,
                    models: p.models,
                })
                .collect(),
            models: models
                .into_iter()
                .map(|m| ModelView {
                    id: m.id,
                    public_id: m.public_id,
                    provider_id: m.provider_id,
                    provider_name: m.provider_name,
                    provider_is_simulator: m.provider_is_simulator,
                    upstream_model: m.upstream_model,
                    kind: m.kind,
                    input_price: m.input_price,
                    output_price: m.output_price,
                    context_window: m.context_window,
                    max_output_tokens: m.max_output_tokens,
                    enabled: m.enabled,
                    tokenizer: m.tokenizer,
                })
                .collect(),
            tokenizers: state
                .tokenizers
                .choices()
                .into_iter()
                .map(|t| (t.to_string(), t.label()))
                .collect(),
        })
    })
    .await
}

/// Whether environment variable `name` holds something. Only the answer
/// leaves this function, never the value.
#[cfg(feature = "ssr")]
fn variable_is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}
