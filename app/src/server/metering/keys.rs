//! API keys as the request path needs them, cached briefly in memory:
//! revocation and suspension take effect within [`KEY_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use super::MeteringError;
use crate::server::api_keys;

/// How long a key lookup (found or not) is trusted.
pub const KEY_TTL: Duration = Duration::from_secs(3);

/// Most keys kept before stale ones are dropped.
const MAX_CACHED: usize = 100_000;

/// An API key's row, with what the request path checks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub secret_hash: Vec<u8>,
    pub revoked: bool,
    /// Billed to a course whose term has ended (its keys are revoked too,
    /// but the student is told why).
    pub course_ended: bool,
    pub expires_at: Option<OffsetDateTime>,
    pub user_active: bool,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
}

type CachedKey = (Instant, Option<Arc<KeyRow>>);

/// API keys by public id.
#[derive(Debug, Default)]
pub struct Keys {
    cache: RwLock<HashMap<String, CachedKey>>,
}

impl Keys {
    /// The key for a bearer token, checked against its stored hash.
    pub async fn authenticate(
        &self,
        pool: &PgPool,
        bearer: &str,
    ) -> Result<Arc<KeyRow>, MeteringError> {
        let (public_id, hash) = api_keys::parse(bearer).ok_or(MeteringError::InvalidKey)?;
        let key = match self.cached(public_id) {
            Some(key) => key,
            None => self.load(pool, public_id).await?,
        };
        let key = key.ok_or(MeteringError::InvalidKey)?;
        if !bool::from(key.secret_hash.as_slice().ct_eq(&hash)) {
            return Err(MeteringError::InvalidKey);
        }
        if key.course_ended {
            return Err(MeteringError::CourseEnded);
        }
        if key.revoked
            || key
                .expires_at
                .is_some_and(|at| at <= OffsetDateTime::now_utc())
        {
            return Err(MeteringError::InvalidKey);
        }
        if !key.user_active {
            return Err(MeteringError::Suspended);
        }
        Ok(key)
    }

    fn cached(&self, public_id: &str) -> Option<Option<Arc<KeyRow>>> {
        let cache = self.cache.read().ok()?;
        let (at, key) = cache.get(public_id)?;
        (at.elapsed() < KEY_TTL).then(|| key.clone())
    }

    async fn load(
        &self,
        pool: &PgPool,
        public_id: &str,
    ) -> Result<Option<Arc<KeyRow>>, MeteringError> {
        let key: Option<KeyRow> = sqlx::query_as(
            "select k.id, k.user_id, k.account_id, k.secret_hash, k.revoked_at is not null as revoked,
                    coalesce(e.status = 'ended', false) as course_ended,
                    k.expires_at, u.status = 'active' as user_active, k.rpm_limit, k.tpm_limit
             from api_keys k join users u on u.id = k.user_id
             left join enrollments e on e.id = k.enrollment_id
             where k.public_id = $1",
        )
        .bind(public_id)
        .fetch_optional(pool)
        .await
        .map_err(|error| MeteringError::internal("loading an API key", error))?;
        let key = key.map(Arc::new);
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() > MAX_CACHED {
                cache.retain(|_, (at, _)| at.elapsed() < KEY_TTL);
            }
            cache.insert(public_id.to_owned(), (Instant::now(), key.clone()));
        }
        Ok(key)
    }
}
