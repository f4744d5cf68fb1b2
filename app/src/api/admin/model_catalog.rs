//! The providers and models the inference proxy serves, as the admin
//! console lists them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// An upstream provider. Its secret never leaves the server: only the name
/// of the environment variable holding it, and whether it is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub id: Uuid,
    pub name: String,
    pub base_url: String,
    /// The name of the environment variable holding the secret, if any.
    pub secret_env: Option<String>,
    /// Whether that variable is set (and not empty) in the server's
    /// environment now.
    pub secret_set: bool,
    pub timeout_ms: i32,
    /// The upstream simulator that ships with the portal.
    pub is_simulator: bool,
    /// How many models use it.
    pub models: i64,
}

/// A model as the proxy serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelView {
    pub id: Uuid,
    pub public_id: String,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub provider_is_simulator: bool,
    pub upstream_model: String,
    /// `chat` or `embedding`.
    pub kind: String,
    /// Micro-credits per million input tokens; `None`: unpriced.
    pub input_price: Option<i64>,
    /// Micro-credits per million output tokens; `None`: unpriced.
    pub output_price: Option<i64>,
    pub context_window: i32,
    pub max_output_tokens: i32,
    pub enabled: bool,
}

impl ModelView {
    /// Whether a price is missing: the proxy never serves such a model.
    pub fn unpriced(&self) -> bool {
        crate::domain::model::servable(true, self.input_price, self.output_price).is_err()
    }
}

/// Every provider and every model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    /// The simulator first, then by name.
    pub providers: Vec<ProviderView>,
    /// By public id.
    pub models: Vec<ModelView>,
}

/// Every provider (with whether its secret's variable is set) and model.
#[server(endpoint = "admin_model_catalog")]
pub async fn model_catalog() -> Result<CatalogView, AppError> {
    use crate::server::{internal, services::model_admin};
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let providers = model_admin::providers(&state.pool)
            .await
            .map_err(internal)?;
        let models = model_admin::models(&state.pool).await.map_err(internal)?;
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
                })
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
