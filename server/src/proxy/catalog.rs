//! What the proxy reads on every request, cached briefly in memory: API keys
//! (revocation takes effect within [`KEY_TTL`]) and the served models with
//! their providers (reloaded every [`MODEL_TTL`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

/// How long a key lookup (found or not) is trusted.
pub const KEY_TTL: Duration = Duration::from_secs(3);
/// How long the model list is trusted.
pub const MODEL_TTL: Duration = Duration::from_secs(3);

/// An API key, as the proxy needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Key {
    pub id: Uuid,
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub secret_hash: Vec<u8>,
    pub revoked: bool,
    pub expires_at: Option<OffsetDateTime>,
    pub user_active: bool,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
}

/// Why a key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Malformed, unknown, wrong secret, revoked or expired: 401.
    Invalid,
    /// The owner is suspended: 403.
    Suspended,
}

type CachedKey = (Instant, Option<Arc<Key>>);

/// API keys by public id.
#[derive(Debug, Default)]
pub struct Keys {
    cache: RwLock<HashMap<String, CachedKey>>,
}

/// Splits `lp_<public_id>_<secret>`; the hash is of the whole key.
pub fn parse_key(key: &str) -> Option<(&str, [u8; 32])> {
    let rest = key.strip_prefix("lp_")?;
    let (public_id, secret) = rest.split_once('_')?;
    let well_formed = public_id.len() == 12
        && public_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && secret.len() == 32
        && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then(|| (public_id, Sha256::digest(key.as_bytes()).into()))
}

impl Keys {
    /// The key for a bearer token, checked against its stored hash.
    pub async fn authenticate(&self, pool: &PgPool, bearer: &str) -> Result<Arc<Key>, KeyRefusal> {
        let (public_id, hash) = parse_key(bearer).ok_or(KeyRefusal::Invalid)?;
        let key = match self.cached(public_id) {
            Some(key) => key,
            None => self.load(pool, public_id).await?,
        };
        let key = key.ok_or(KeyRefusal::Invalid)?;
        if !bool::from(key.secret_hash.as_slice().ct_eq(&hash)) {
            return Err(KeyRefusal::Invalid);
        }
        if key.revoked
            || key
                .expires_at
                .is_some_and(|at| at <= OffsetDateTime::now_utc())
        {
            return Err(KeyRefusal::Invalid);
        }
        if !key.user_active {
            return Err(KeyRefusal::Suspended);
        }
        Ok(key)
    }

    fn cached(&self, public_id: &str) -> Option<Option<Arc<Key>>> {
        let cache = self.cache.read().ok()?;
        let (at, key) = cache.get(public_id)?;
        (at.elapsed() < KEY_TTL).then(|| key.clone())
    }

    async fn load(&self, pool: &PgPool, public_id: &str) -> Result<Option<Arc<Key>>, KeyRefusal> {
        let key: Option<Key> = sqlx::query_as(
            "select k.id, k.user_id, k.account_id, k.secret_hash, k.revoked_at is not null as revoked,
                    k.expires_at, u.status = 'active' as user_active, k.rpm_limit, k.tpm_limit
             from api_keys k join users u on u.id = k.user_id where k.public_id = $1",
        )
        .bind(public_id)
        .fetch_optional(pool)
        .await
        .map_err(|error| {
            tracing::error!(%error, "loading an API key");
            KeyRefusal::Invalid
        })?;
        let key = key.map(Arc::new);
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() > 100_000 {
                cache.retain(|_, (at, _)| at.elapsed() < KEY_TTL);
            }
            cache.insert(public_id.to_owned(), (Instant::now(), key.clone()));
        }
        Ok(key)
    }
}

/// A served model with its provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Model {
    pub public_id: String,
    pub upstream_model: String,
    pub kind: String,
    pub input_price: Option<i64>,
    pub output_price: Option<i64>,
    pub context_window: i32,
    pub max_output_tokens: i32,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
    pub provider: String,
    pub base_url: String,
    pub secret_env: Option<String>,
    pub timeout_ms: i32,
}

impl Model {
    /// Served only when enabled and priced both ways: never billed as zero
    /// by accident.
    pub fn servable(&self) -> bool {
        self.enabled && self.input_price.is_some() && self.output_price.is_some()
    }

    /// The upstream secret, read from the environment variable named.
    pub fn secret(&self) -> Option<String> {
        self.secret_env
            .as_deref()
            .and_then(|name| std::env::var(name).ok())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.timeout_ms).unwrap_or(60_000))
    }
}

type Loaded = (Instant, Arc<HashMap<String, Arc<Model>>>);

/// Every model by public id.
#[derive(Debug, Default)]
pub struct Models {
    loaded: RwLock<Option<Loaded>>,
    reload: tokio::sync::Mutex<()>,
}

impl Models {
    /// The models, reloaded when older than [`MODEL_TTL`].
    pub async fn all(
        &self,
        pool: &PgPool,
    ) -> Result<Arc<HashMap<String, Arc<Model>>>, sqlx::Error> {
        if let Some(models) = self.fresh() {
            return Ok(models);
        }
        // One reload at a time; the others wait for it, then use it.
        let _reloading = self.reload.lock().await;
        if let Some(models) = self.fresh() {
            return Ok(models);
        }
        let rows: Vec<Model> = sqlx::query_as(
            "select m.public_id, m.upstream_model, m.kind, m.input_price, m.output_price,
                    m.context_window, m.max_output_tokens, m.enabled, m.created_at,
                    p.name as provider, p.base_url, p.secret_env, p.timeout_ms
             from models m join providers p on p.id = m.provider_id",
        )
        .fetch_all(pool)
        .await?;
        let models: HashMap<_, _> = rows
            .into_iter()
            .map(|m| (m.public_id.clone(), Arc::new(m)))
            .collect();
        let models = Arc::new(models);
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = Some((Instant::now(), models.clone()));
        }
        Ok(models)
    }

    fn fresh(&self) -> Option<Arc<HashMap<String, Arc<Model>>>> {
        let loaded = self.loaded.read().ok()?;
        let (at, models) = loaded.as_ref()?;
        (at.elapsed() < MODEL_TTL).then(|| models.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_only_in_their_exact_format() {
        let key = "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
        let (public_id, hash) = parse_key(key).expect("valid");
        assert_eq!(public_id, "abcdef123456");
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(key.as_bytes())));
        for bad in [
            "",
            "sk-abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
            "lp_abcdef12345_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg",
            "lp_ABCDEF123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcde",
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcde!",
        ] {
            assert!(parse_key(bad).is_none(), "{bad}");
        }
    }
}
