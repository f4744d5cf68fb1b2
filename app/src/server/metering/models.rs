//! The served models with their providers and prices, reloaded from the
//! database every [`MODEL_TTL`], and what a request of a model costs.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::domain::credits::Credits;
use crate::domain::model::{servable, ModelKind, Unservable};
use crate::domain::tokenizer::TokenizerChoice;

/// How long the model list is trusted.
pub const MODEL_TTL: Duration = Duration::from_secs(3);

/// A served model with its provider.
#[derive(Debug, Clone)]
pub struct Model {
    pub public_id: String,
    pub upstream_model: String,
    pub kind: ModelKind,
    /// Micro-credits per million input tokens; `None`: unpriced.
    pub input_price: Option<i64>,
    /// Micro-credits per million output tokens; `None`: unpriced.
    pub output_price: Option<i64>,
    pub context_window: i32,
    pub max_output_tokens: i32,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
    pub provider: String,
    pub base_url: String,
    pub secret_env: Option<String>,
    pub timeout_ms: i32,
    /// What counts its tokens when the upstream reports none.
    pub tokenizer: TokenizerChoice,
}

impl Model {
    /// Served only when enabled and priced both ways: never billed as zero
    /// by accident.
    pub fn servable(&self) -> Result<(), Unservable> {
        servable(self.enabled, self.input_price, self.output_price)
    }

    /// The upstream secret, read from the environment variable named.
    pub fn secret(&self) -> Option<String> {
        self.secret_env
            .as_deref()
            .and_then(|name| std::env::var(name).ok())
    }

    /// How long the provider may take to answer.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.timeout_ms).unwrap_or(60_000))
    }

    /// The most output tokens one request may ask for.
    pub fn output_cap(&self) -> u64 {
        u64::try_from(self.max_output_tokens).unwrap_or(1)
    }

    /// The context window in tokens.
    pub fn context(&self) -> u64 {
        u64::try_from(self.context_window).unwrap_or(0)
    }

    /// What `input` and `output` tokens cost at this model's prices, each
    /// rounded up to the micro-credit.
    pub fn price(&self, input: u64, output: u64) -> Credits {
        let total = cost(input, self.input_price)
            .micros()
            .saturating_add(cost(output, self.output_price).micros());
        Credits::from_micros(total)
    }
}

/// `tokens` at `price` micro-credits per million, rounded up.
pub fn cost(tokens: u64, price: Option<i64>) -> Credits {
    let price = u128::try_from(price.unwrap_or(0)).unwrap_or(0);
    let micros = (u128::from(tokens) * price).div_ceil(1_000_000);
    Credits::from_micros(i64::try_from(micros).unwrap_or(i64::MAX))
}

/// A model's row as stored.
#[derive(sqlx::FromRow)]
struct ModelRow {
    public_id: String,
    upstream_model: String,
    kind: String,
    input_price: Option<i64>,
    output_price: Option<i64>,
    context_window: i32,
    max_output_tokens: i32,
    enabled: bool,
    created_at: OffsetDateTime,
    provider: String,
    base_url: String,
    secret_env: Option<String>,
    timeout_ms: i32,
    tokenizer: String,
}

impl ModelRow {
    fn into_model(self) -> Option<Model> {
        let kind = match ModelKind::parse(&self.kind) {
            Ok(kind) => kind,
            Err(error) => {
                tracing::error!(model = %self.public_id, %error, "a model of an unknown kind is not served");
                return None;
            }
        };
        let tokenizer = TokenizerChoice::parse(&self.tokenizer).unwrap_or_else(|error| {
            tracing::error!(model = %self.public_id, %error, "counting with the estimate");
            TokenizerChoice::Heuristic
        });
        Some(Model {
            tokenizer,
            public_id: self.public_id,
            upstream_model: self.upstream_model,
            kind,
            input_price: self.input_price,
            output_price: self.output_price,
            context_window: self.context_window,
            max_output_tokens: self.max_output_tokens,
            enabled: self.enabled,
            created_at: self.created_at,
            provider: self.provider,
            base_url: self.base_url,
            secret_env: self.secret_env,
            timeout_ms: self.timeout_ms,
        })
    }
}

/// Every model by public id.
pub type ModelMap = HashMap<String, Arc<Model>>;

type Loaded = (Instant, Arc<ModelMap>);

/// The models, cached.
#[derive(Debug, Default)]
pub struct Models {
    loaded: RwLock<Option<Loaded>>,
    reload: tokio::sync::Mutex<()>,
}

impl Models {
    /// The models, reloaded when older than [`MODEL_TTL`].
    pub async fn all(&self, pool: &PgPool) -> Result<Arc<ModelMap>, sqlx::Error> {
        if let Some(models) = self.fresh() {
            return Ok(models);
        }
        // One reload at a time; the others wait for it, then use it.
        let _reloading = self.reload.lock().await;
        if let Some(models) = self.fresh() {
            return Ok(models);
        }
        let rows: Vec<ModelRow> = sqlx::query_as(
            "select m.public_id, m.upstream_model, m.kind, m.input_price, m.output_price,
                    m.context_window, m.max_output_tokens, m.enabled, m.created_at,
                    p.name as provider, p.base_url, p.secret_env, p.timeout_ms, m.tokenizer
             from models m join providers p on p.id = m.provider_id",
        )
        .fetch_all(pool)
        .await?;
        let models: ModelMap = rows
            .into_iter()
            .filter_map(ModelRow::into_model)
            .map(|m| (m.public_id.clone(), Arc::new(m)))
            .collect();
        let models = Arc::new(models);
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = Some((Instant::now(), models.clone()));
        }
        Ok(models)
    }

    fn fresh(&self) -> Option<Arc<ModelMap>> {
        let loaded = self.loaded.read().ok()?;
        let (at, models) = loaded.as_ref()?;
        (at.elapsed() < MODEL_TTL).then(|| models.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_round_up_to_the_micro_credit() {
        assert_eq!(cost(0, Some(5_000_000)), Credits::ZERO);
        assert_eq!(cost(1, Some(5_000_000)).micros(), 5);
        assert_eq!(cost(1, Some(1)).micros(), 1);
        assert_eq!(cost(3, Some(500_000)).micros(), 2);
        assert_eq!(cost(1_000_000, Some(2_000_000)).micros(), 2_000_000);
        assert_eq!(cost(10, None), Credits::ZERO);
    }
}
