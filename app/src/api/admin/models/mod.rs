//! Models and providers as admins manage them: the catalog the inference
//! proxy serves, and the forms that change it.

mod create_model;
mod create_provider;
mod model_catalog;
mod set_model_enabled;
mod update_model;
mod update_provider;

pub use create_model::*;
pub use create_provider::*;
pub use model_catalog::*;
pub use set_model_enabled::*;
pub use update_model::*;
pub use update_provider::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// What counts its tokens when the upstream reports none, as stored.
    pub tokenizer: String,
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
    /// The tokenizers a model may use: `(stored value, label)`.
    pub tokenizers: Vec<(String, String)>,
}

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
    /// Empty: our estimate.
    #[serde(default)]
    pub tokenizer: String,
}

#[cfg(feature = "ssr")]
impl ModelForm {
    pub(in crate::api::admin) fn fields(&self) -> crate::domain::model_forms::ModelFields<'_> {
        crate::domain::model_forms::ModelFields {
            public_id: &self.public_id,
            provider_id: &self.provider_id,
            upstream_model: &self.upstream_model,
            kind: &self.kind,
            input_price: &self.input_price,
            output_price: &self.output_price,
            context_window: &self.context_window,
            max_output_tokens: &self.max_output_tokens,
            tokenizer: &self.tokenizer,
        }
    }
}

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
    pub(in crate::api::admin) fn fields(&self) -> crate::domain::model_forms::ProviderFields<'_> {
        crate::domain::model_forms::ProviderFields {
            name: &self.name,
            base_url: &self.base_url,
            secret_env: &self.secret_env,
            timeout_ms: &self.timeout_ms,
        }
    }
}
