//! A usage record: one row of `usage_records`, written by a writer in the
//! same durable commit as its request's charge, or on its own
//! ([`record_usage`]) for a request refused before anything was reserved.
//!
//! This struct is the one definition of the row's shape: the writer sends
//! records as JSON and `ledger_lease_charge` reads them with
//! `jsonb_populate_recordset(null::usage_records, …)`, by column name. A test
//! checks that every field here is a column there.

use serde::Serialize;
use uuid::Uuid;

/// What one proxied (or portal-made) model call used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageRecord {
    /// The request id (`x-request-id`).
    pub id: Uuid,
    /// `None` for a call the portal made for a signed-in user.
    pub key_id: Option<Uuid>,
    pub user_id: Uuid,
    /// The model id the caller asked for.
    pub model: String,
    /// `chat` or `embeddings`.
    pub endpoint: &'static str,
    pub streamed: bool,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub latency_ms: i32,
    /// The HTTP status the caller saw (499: it went away).
    pub status: i16,
    /// Who counted the tokens: `None` when the upstream reported them, else
    /// the tokenizer we counted with (e.g. `heuristic`, `o200k_base`).
    pub counted_by: Option<String>,
    /// Micro-credits charged; set by the writer.
    pub credits: i64,
    /// The lease charged; set by the writer.
    pub hold_id: Option<Uuid>,
    /// The agent a playground call ran, and its conversation.
    pub agent_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
}

/// `n` as a record's `integer` column holds it (saturating).
pub fn int(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Writes one usage record outside a settlement (a request refused before
/// anything was reserved, so no lease carries it).
pub async fn record_usage(
    pool: &sqlx::PgPool,
    account_id: Uuid,
    record: &UsageRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                    input_tokens, output_tokens, credits, latency_ms, status,
                                    hold_id, counted_by, agent_id, conversation_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(record.id)
    .bind(record.key_id)
    .bind(record.user_id)
    .bind(account_id)
    .bind(&record.model)
    .bind(record.endpoint)
    .bind(record.streamed)
    .bind(record.input_tokens)
    .bind(record.output_tokens)
    .bind(record.credits)
    .bind(record.latency_ms)
    .bind(record.status)
    .bind(record.hold_id)
    .bind(&record.counted_by)
    .bind(record.agent_id)
    .bind(record.conversation_id)
    .execute(pool)
    .await?;
    Ok(())
}
