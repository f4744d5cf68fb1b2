//! The upstream providers and the models the inference proxy serves, as
//! admins manage them, and the served models as everyone sees them (the
//! keys page's quick start, the public models and pricing page). Every
//! change is written to the audit log in the same transaction as the
//! change itself.
//!
//! A provider's secret is never stored: only the name of the environment
//! variable holding it. The simulator provider is the server's own: its
//! name, base URL and secret are managed by the server, and admins may only
//! change its timeout.

use std::net::IpAddr;

use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::model::{servable, ModelKind};
use crate::domain::model_forms::{
    self as parse, ModelFields, ModelInput, ProviderFields, ProviderInput,
};
use crate::domain::tokenizer::TokenizerChoice;
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::services::accounts::is_unique_violation;
use crate::server::services::audit::{self, Entry};

/// A provider, with how many models use it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProviderRow {
    pub id: Uuid,
    pub name: String,
    pub base_url: String,
    pub secret_env: Option<String>,
    pub timeout_ms: i32,
    pub is_simulator: bool,
    pub models: i64,
}

/// A model, with its provider's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModelRow {
    pub id: Uuid,
    pub public_id: String,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub provider_is_simulator: bool,
    pub upstream_model: String,
    pub kind: String,
    pub input_price: Option<i64>,
    pub output_price: Option<i64>,
    pub context_window: i32,
    pub max_output_tokens: i32,
    pub enabled: bool,
    pub tokenizer: String,
}

/// Every provider: the simulator first, then by name.
#[tracing::instrument(skip(pool))]
pub async fn providers(pool: &PgPool) -> Result<Vec<ProviderRow>, sqlx::Error> {
    sqlx::query_as(
        "select p.id, p.name, p.base_url, p.secret_env, p.timeout_ms, p.is_simulator,
                (select count(*) from models m where m.provider_id = p.id) as models
         from providers p
         order by p.is_simulator desc, lower(p.name), p.id",
    )
    .fetch_all(pool)
    .await
}

/// Every model, by public id.
#[tracing::instrument(skip(pool))]
pub async fn models(pool: &PgPool) -> Result<Vec<ModelRow>, sqlx::Error> {
    sqlx::query_as(
        "select m.id, m.public_id, m.provider_id, p.name as provider_name,
                p.is_simulator as provider_is_simulator, m.upstream_model, m.kind,
                m.input_price, m.output_price, m.context_window, m.max_output_tokens, m.enabled,
                m.tokenizer
         from models m join providers p on p.id = m.provider_id
         order by lower(m.public_id), m.public_id",
    )
    .fetch_all(pool)
    .await
}

/// A model the API serves (enabled, priced both ways), as developers see
/// it: no provider, upstream name or tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedModel {
    pub public_id: String,
    pub kind: ModelKind,
    /// Micro-credits per million input tokens.
    pub input_price: i64,
    /// Micro-credits per million output tokens.
    pub output_price: i64,
    pub context_window: i32,
    pub max_output_tokens: i32,
}

/// A model's row as [`served_models`] reads it.
#[derive(sqlx::FromRow)]
struct ServedRow {
    public_id: String,
    kind: String,
    enabled: bool,
    input_price: Option<i64>,
    output_price: Option<i64>,
    context_window: i32,
    max_output_tokens: i32,
}

impl ServedRow {
    /// The model, if the one serving rule ([`servable`]) accepts it and its
    /// kind is known (the proxy serves no other).
    fn into_served(self) -> Option<ServedModel> {
        servable(self.enabled, self.input_price, self.output_price).ok()?;
        let (Some(input_price), Some(output_price)) = (self.input_price, self.output_price) else {
            return None;
        };
        let kind = ModelKind::parse(&self.kind)
            .inspect_err(|error| tracing::error!(model = %self.public_id, %error, "not listed"))
            .ok()?;
        Some(ServedModel {
            public_id: self.public_id,
            kind,
            input_price,
            output_price,
            context_window: self.context_window,
            max_output_tokens: self.max_output_tokens,
        })
    }
}

/// The models the API serves now, chat models first, then by id: those the
/// one serving rule ([`servable`]) accepts.
#[tracing::instrument(skip(pool))]
pub async fn served_models(pool: &PgPool) -> Result<Vec<ServedModel>, AppError> {
    let rows: Vec<ServedRow> = sqlx::query_as(
        "select public_id, kind, enabled, input_price, output_price, context_window,
                max_output_tokens
         from models
         order by kind, lower(public_id), public_id",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(ServedRow::into_served)
        .collect())
}

/// A provider's stored settings, as audited.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct ProviderRecord {
    name: String,
    base_url: String,
    secret_env: Option<String>,
    timeout_ms: i32,
    is_simulator: bool,
}

impl ProviderRecord {
    /// What an admin's provider becomes (never a simulator).
    fn from_input(input: ProviderInput) -> Self {
        Self {
            name: input.name,
            base_url: input.base_url,
            secret_env: input.secret_env,
            timeout_ms: input.timeout_ms,
            is_simulator: false,
        }
    }

    fn audit(&self) -> Value {
        json!({
            "name": self.name,
            "base_url": self.base_url,
            "secret_env": self.secret_env,
            "timeout_ms": self.timeout_ms,
            "is_simulator": self.is_simulator,
        })
    }
}

const NAME_TAKEN: &str = "Another provider already has this name.";

/// Whether another provider than `except` is called `name` (ignoring case).
async fn name_taken(
    conn: &mut PgConnection,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool, AppError> {
    sqlx::query_scalar(
        "select exists (select 1 from providers where lower(name) = lower($1) and id is distinct from $2)",
    )
    .bind(name)
    .bind(except)
    .fetch_one(conn)
    .await
    .map_err(internal)
}

/// A unique violation on insert or update becomes a message on `field`
/// (two admins saving the same name at once); anything else is internal.
fn write_error(error: sqlx::Error, field: &str, message: &str) -> AppError {
    if is_unique_violation(&error) {
        AppError::field(field, message)
    } else {
        internal(error)
    }
}

/// Adds a provider (never a simulator), audited as `provider.create`.
#[tracing::instrument(skip(pool, actor, fields), fields(actor = %actor.user_id))]
pub async fn create_provider(
    pool: &PgPool,
    actor: &Caller,
    fields: ProviderFields<'_>,
    addr: Option<IpAddr>,
) -> Result<Uuid, AppError> {
    let record = ProviderRecord::from_input(parse::provider(fields)?);
    let mut tx = pool.begin().await.map_err(internal)?;
    if name_taken(&mut tx, &record.name, None).await? {
        return Err(AppError::field("name", NAME_TAKEN));
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into providers (id, name, base_url, secret_env, timeout_ms, is_simulator)
         values ($1, $2, $3, $4, $5, false)",
    )
    .bind(id)
    .bind(&record.name)
    .bind(&record.base_url)
    .bind(&record.secret_env)
    .bind(record.timeout_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, "name", NAME_TAKEN))?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "provider.create",
        target_type: "provider",
        target_id: id.to_string(),
        before: None,
        after: Some(record.audit()),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit()
        .await
        .map_err(|e| write_error(e, "name", NAME_TAKEN))?;
    Ok(id)
}

/// Changes provider `id` from its form, audited as `provider.update` with
/// the settings before and after. For the simulator only the timeout is
/// read (the other fields are the server's). Saving unchanged settings
/// changes and records nothing.
#[tracing::instrument(skip(pool, actor, fields), fields(actor = %actor.user_id))]
pub async fn update_provider(
    pool: &PgPool,
    actor: &Caller,
    id: Uuid,
    fields: ProviderFields<'_>,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let before: ProviderRecord = sqlx::query_as(
        "select name, base_url, secret_env, timeout_ms, is_simulator from providers where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?
    .ok_or_else(|| AppError::NotFound("There is no such provider.".to_owned()))?;
    let after = if before.is_simulator {
        let timeout_ms =
            parse::timeout_ms(fields.timeout_ms).map_err(|m| AppError::field("timeout_ms", m))?;
        ProviderRecord {
            timeout_ms,
            ..before.clone()
        }
    } else {
        ProviderRecord::from_input(parse::provider(fields)?)
    };
    if after == before {
        return Ok(());
    }
    if after.name != before.name && name_taken(&mut tx, &after.name, Some(id)).await? {
        return Err(AppError::field("name", NAME_TAKEN));
    }
    sqlx::query(
        "update providers set name = $2, base_url = $3, secret_env = $4, timeout_ms = $5 where id = $1",
    )
    .bind(id)
    .bind(&after.name)
    .bind(&after.base_url)
    .bind(&after.secret_env)
    .bind(after.timeout_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, "name", NAME_TAKEN))?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "provider.update",
        target_type: "provider",
        target_id: id.to_string(),
        before: Some(before.audit()),
        after: Some(after.audit()),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit()
        .await
        .map_err(|e| write_error(e, "name", NAME_TAKEN))
}

/// A model's stored settings, as audited.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct ModelRecord {
    public_id: String,
    provider_id: Uuid,
    upstream_model: String,
    kind: String,
    input_price: Option<i64>,
    output_price: Option<i64>,
    context_window: i32,
    max_output_tokens: i32,
    enabled: bool,
    tokenizer: String,
}

impl ModelRecord {
    /// The settings from `input`, whose tokenizer must be one of
    /// `tokenizers` (a folder may be missing on this server).
    fn from_input(
        input: ModelInput,
        enabled: bool,
        tokenizers: &[TokenizerChoice],
    ) -> Result<Self, AppError> {
        if !tokenizers.contains(&input.tokenizer) {
            return Err(AppError::field(
                "tokenizer",
                "This tokenizer's folder is not on the server. Choose one from the list.",
            ));
        }
        Ok(Self {
            tokenizer: input.tokenizer.to_string(),
            public_id: input.public_id,
            provider_id: input.provider_id,
            upstream_model: input.upstream_model,
            kind: input.kind.to_owned(),
            input_price: input.input_price,
            output_price: input.output_price,
            context_window: input.context_window,
            max_output_tokens: input.max_output_tokens,
            enabled,
        })
    }

    fn audit(&self, provider_name: &str) -> Value {
        json!({
            "public_id": self.public_id,
            "provider_id": self.provider_id,
            "provider": provider_name,
            "upstream_model": self.upstream_model,
            "kind": self.kind,
            "input_price_micros": self.input_price,
            "output_price_micros": self.output_price,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "enabled": self.enabled,
            "tokenizer": self.tokenizer,
        })
    }
}

const PUBLIC_ID_TAKEN: &str = "Another model already has this id.";

/// The name of provider `id`, or a message on the provider field.
async fn provider_name(conn: &mut PgConnection, id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar("select name from providers where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::field(
                "provider_id",
                "This provider does not exist. Choose one from the list.",
            )
        })
}

/// Whether another model than `except` has `public_id`.
async fn public_id_taken(
    conn: &mut PgConnection,
    public_id: &str,
    except: Option<Uuid>,
) -> Result<bool, AppError> {
    sqlx::query_scalar(
        "select exists (select 1 from models where public_id = $1 and id is distinct from $2)",
    )
    .bind(public_id)
    .bind(except)
    .fetch_one(conn)
    .await
    .map_err(internal)
}

/// Adds a model (enabled), audited as `model.create`.
#[tracing::instrument(skip(pool, actor, fields), fields(actor = %actor.user_id))]
pub async fn create_model(
    pool: &PgPool,
    actor: &Caller,
    fields: ModelFields<'_>,
    tokenizers: &[TokenizerChoice],
    addr: Option<IpAddr>,
) -> Result<Uuid, AppError> {
    let record = ModelRecord::from_input(parse::model(fields)?, true, tokenizers)?;
    let mut tx = pool.begin().await.map_err(internal)?;
    let provider = provider_name(&mut tx, record.provider_id).await?;
    if public_id_taken(&mut tx, &record.public_id, None).await? {
        return Err(AppError::field("public_id", PUBLIC_ID_TAKEN));
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into models (id, public_id, provider_id, upstream_model, kind, input_price,
                             output_price, context_window, max_output_tokens, enabled, tokenizer)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(&record.public_id)
    .bind(record.provider_id)
    .bind(&record.upstream_model)
    .bind(&record.kind)
    .bind(record.input_price)
    .bind(record.output_price)
    .bind(record.context_window)
    .bind(record.max_output_tokens)
    .bind(record.enabled)
    .bind(&record.tokenizer)
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, "public_id", PUBLIC_ID_TAKEN))?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "model.create",
        target_type: "model",
        target_id: id.to_string(),
        before: None,
        after: Some(record.audit(&provider)),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit()
        .await
        .map_err(|e| write_error(e, "public_id", PUBLIC_ID_TAKEN))?;
    Ok(id)
}

/// Locks model `id` for the rest of the transaction and returns its
/// settings and its provider's name, or 404.
async fn lock_model(conn: &mut PgConnection, id: Uuid) -> Result<(ModelRecord, String), AppError> {
    let record: ModelRecord = sqlx::query_as(
        "select public_id, provider_id, upstream_model, kind, input_price,
                output_price, context_window, max_output_tokens, enabled, tokenizer
         from models where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?
    .ok_or_else(|| AppError::NotFound("There is no such model.".to_owned()))?;
    let provider = provider_name(conn, record.provider_id).await?;
    Ok((record, provider))
}

/// Changes model `id` from its form (not whether it is enabled), audited as
/// `model.update` with the settings before and after. Saving unchanged
/// settings changes and records nothing.
#[tracing::instrument(skip(pool, actor, fields), fields(actor = %actor.user_id))]
pub async fn update_model(
    pool: &PgPool,
    actor: &Caller,
    id: Uuid,
    fields: ModelFields<'_>,
    tokenizers: &[TokenizerChoice],
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    let input = parse::model(fields)?;
    let mut tx = pool.begin().await.map_err(internal)?;
    let (before, before_provider) = lock_model(&mut tx, id).await?;
    let after = ModelRecord::from_input(input, before.enabled, tokenizers)?;
    if after == before {
        return Ok(());
    }
    let after_provider = provider_name(&mut tx, after.provider_id).await?;
    if after.public_id != before.public_id
        && public_id_taken(&mut tx, &after.public_id, Some(id)).await?
    {
        return Err(AppError::field("public_id", PUBLIC_ID_TAKEN));
    }
    sqlx::query(
        "update models set public_id = $2, provider_id = $3, upstream_model = $4, kind = $5,
                input_price = $6, output_price = $7, context_window = $8, max_output_tokens = $9,
                tokenizer = $10
         where id = $1",
    )
    .bind(id)
    .bind(&after.public_id)
    .bind(after.provider_id)
    .bind(&after.upstream_model)
    .bind(&after.kind)
    .bind(after.input_price)
    .bind(after.output_price)
    .bind(after.context_window)
    .bind(after.max_output_tokens)
    .bind(&after.tokenizer)
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, "public_id", PUBLIC_ID_TAKEN))?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "model.update",
        target_type: "model",
        target_id: id.to_string(),
        before: Some(before.audit(&before_provider)),
        after: Some(after.audit(&after_provider)),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit()
        .await
        .map_err(|e| write_error(e, "public_id", PUBLIC_ID_TAKEN))
}

/// Enables or disables model `id`, audited as `model.enable` or
/// `model.disable`. Returns whether anything changed.
#[tracing::instrument(skip(pool, actor), fields(actor = %actor.user_id))]
pub async fn set_model_enabled(
    pool: &PgPool,
    actor: &Caller,
    id: Uuid,
    enabled: bool,
    addr: Option<IpAddr>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let (before, _) = lock_model(&mut tx, id).await?;
    if before.enabled == enabled {
        return Ok(false);
    }
    sqlx::query("update models set enabled = $2 where id = $1")
        .bind(id)
        .bind(enabled)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: if enabled {
            "model.enable"
        } else {
            "model.disable"
        },
        target_type: "model",
        target_id: id.to_string(),
        before: Some(json!({ "public_id": before.public_id, "enabled": before.enabled })),
        after: Some(json!({ "public_id": before.public_id, "enabled": enabled })),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, enabled: bool, input: Option<i64>, output: Option<i64>) -> ServedRow {
        ServedRow {
            public_id: "lab-model".to_owned(),
            kind: kind.to_owned(),
            enabled,
            input_price: input,
            output_price: output,
            context_window: 8192,
            max_output_tokens: 1024,
        }
    }

    #[test]
    fn only_enabled_models_priced_both_ways_of_a_known_kind_are_listed() {
        let served = row("embedding", true, Some(100_000), Some(0)).into_served();
        assert_eq!(
            served.map(|m| (m.kind, m.input_price, m.output_price)),
            Some((ModelKind::Embedding, 100_000, 0))
        );
        assert_eq!(row("chat", false, Some(1), Some(1)).into_served(), None);
        assert_eq!(row("chat", true, None, Some(1)).into_served(), None);
        assert_eq!(row("chat", true, Some(1), None).into_served(), None);
        assert_eq!(
            row("completion", true, Some(1), Some(1)).into_served(),
            None
        );
    }
}
