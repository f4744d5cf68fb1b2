//! The models the inference API serves, with their prices, for everyone
//! (signed in or not): the public models and pricing page.

mod list_models;

pub use list_models::*;

use serde::{Deserialize, Serialize};

use crate::domain::model::ModelKind;

/// A served model as everyone may see it: its id, kind, prices and caps
/// (never its provider, upstream name or tokenizer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedModel {
    /// The id clients send as `model`.
    pub id: String,
    pub kind: ModelKind,
    /// Micro-credits per million input tokens.
    pub input_price: i64,
    /// Micro-credits per million output tokens.
    pub output_price: i64,
    /// Tokens of prompt (and, for chat, answer) the model takes at most.
    pub context_window: i32,
    /// The most output tokens one request may ask for.
    pub max_output_tokens: i32,
}

/// What one sample request costs, worked out by the metering's own rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostExample {
    pub model: String,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// Micro-credits for the input tokens, rounded up.
    pub input_cost: i64,
    /// Micro-credits for the output tokens, rounded up.
    pub output_cost: i64,
}

/// The models page: where the API is, what it serves, and an example charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceList {
    /// `<portal origin>/v1`
    pub base_url: String,
    /// Chat models first, then by id.
    pub models: Vec<PricedModel>,
    /// A request to the first chat model (else the first model), if any.
    pub example: Option<CostExample>,
}

#[cfg(feature = "ssr")]
impl From<crate::server::services::models::ServedModel> for PricedModel {
    fn from(m: crate::server::services::models::ServedModel) -> Self {
        Self {
            id: m.public_id,
            kind: m.kind,
            input_price: m.input_price,
            output_price: m.output_price,
            context_window: m.context_window,
            max_output_tokens: m.max_output_tokens,
        }
    }
}

#[cfg(feature = "ssr")]
impl CostExample {
    /// 1,000 input tokens and, for a chat model, 500 output tokens (an
    /// embedding has none), priced as `/v1` prices them.
    pub fn of(model: &PricedModel) -> Self {
        use crate::server::metering::models::cost;
        let (input_tokens, output_tokens) = match model.kind {
            ModelKind::Chat => (1_000, 500),
            ModelKind::Embedding => (1_000, 0),
        };
        Self {
            model: model.id.clone(),
            input_tokens,
            output_tokens,
            input_cost: cost(u64::from(input_tokens), Some(model.input_price)).micros(),
            output_cost: cost(u64::from(output_tokens), Some(model.output_price)).micros(),
        }
    }
}

#[cfg(feature = "ssr")]
impl PriceList {
    /// The catalog of `models` served at `base_url`.
    pub fn new(base_url: String, models: Vec<PricedModel>) -> Self {
        let example = models
            .iter()
            .find(|m| m.kind == ModelKind::Chat)
            .or_else(|| models.first())
            .map(CostExample::of);
        Self {
            base_url,
            models,
            example,
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn model(id: &str, kind: ModelKind, input: i64, output: i64) -> PricedModel {
        PricedModel {
            id: id.to_owned(),
            kind,
            input_price: input,
            output_price: output,
            context_window: 16_384,
            max_output_tokens: 4_096,
        }
    }

    #[test]
    fn the_example_prices_a_chat_request_as_the_meter_does() {
        let catalog = PriceList::new(
            "http://lab/v1".to_owned(),
            vec![
                model("embed", ModelKind::Embedding, 100_000, 0),
                model("chat", ModelKind::Chat, 2_000_000, 6_000_000),
            ],
        );
        let example = catalog.example.expect("an example");
        assert_eq!(example.model, "chat");
        assert_eq!((example.input_tokens, example.output_tokens), (1_000, 500));
        // 1,000 × 2 credits / 1M = 0.002; 500 × 6 / 1M = 0.003.
        assert_eq!((example.input_cost, example.output_cost), (2_000, 3_000));
    }

    #[test]
    fn an_embedding_example_has_no_output_and_rounds_up() {
        let example = CostExample::of(&model("embed", ModelKind::Embedding, 1, 0));
        assert_eq!(example.output_tokens, 0);
        // 1,000 tokens at 1 micro-credit per million: 0.001, rounded up to 1.
        assert_eq!((example.input_cost, example.output_cost), (1, 0));
        assert_eq!(PriceList::new(String::new(), vec![]).example, None);
    }
}

#[cfg(test)]
mod url_tests {
    use leptos::server_fn::ServerFn;

    /// The page and the HTTP tests call this URL; the function names its
    /// `endpoint`, so moving it keeps the URL.
    #[test]
    fn the_price_list_keeps_its_url() {
        assert_eq!(super::ListModels::PATH, "/api/list_models");
    }
}
