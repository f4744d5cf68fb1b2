//! What kind of model a served model is, shared by the admin console, the
//! keys page's quick start and the metering of `/v1`.

use serde::{Deserialize, Serialize};

/// What a model does, and so which endpoint serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/embeddings`.
    Embedding,
}

impl ModelKind {
    /// Every kind.
    pub const ALL: [ModelKind; 2] = [ModelKind::Chat, ModelKind::Embedding];

    /// The stored value (`models.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Chat => "chat",
            ModelKind::Embedding => "embedding",
        }
    }

    /// Parses a stored value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<ModelKind, String> {
        let input = input.trim();
        ModelKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| format!("Unknown model kind {input:?}."))
    }

    /// How pages show this kind.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Chat => "Chat",
            ModelKind::Embedding => "Embedding",
        }
    }

    /// The usage records' name of the endpoint serving this kind
    /// (`usage_records.endpoint`).
    pub fn endpoint(self) -> &'static str {
        match self {
            ModelKind::Chat => "chat",
            ModelKind::Embedding => "embeddings",
        }
    }
}

/// Why a model cannot be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unservable {
    /// Switched off by an admin.
    Disabled,
    /// An input or output price is missing: never billed as zero.
    Unpriced,
}

/// The one rule of what `/v1` (and everything else that calls a model)
/// serves: an enabled model priced both ways.
pub fn servable(
    enabled: bool,
    input_price: Option<i64>,
    output_price: Option<i64>,
) -> Result<(), Unservable> {
    match (enabled, input_price.is_some() && output_price.is_some()) {
        (false, _) => Err(Unservable::Disabled),
        (true, false) => Err(Unservable::Unpriced),
        (true, true) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enabled_models_priced_both_ways_are_served() {
        assert_eq!(servable(true, Some(1), Some(0)), Ok(()));
        assert_eq!(servable(true, None, Some(1)), Err(Unservable::Unpriced));
        assert_eq!(servable(true, Some(1), None), Err(Unservable::Unpriced));
        assert_eq!(servable(false, Some(1), Some(1)), Err(Unservable::Disabled));
        assert_eq!(servable(false, None, None), Err(Unservable::Disabled));
    }

    #[test]
    fn kinds_round_trip_through_their_stored_values() {
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(ModelKind::parse(" Chat "), Ok(ModelKind::Chat));
        assert!(ModelKind::parse("completion").is_err());
        assert_eq!(ModelKind::Embedding.endpoint(), "embeddings");
    }
}
