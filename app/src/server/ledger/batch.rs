//! Group commit for the request path: reservations, settlements and releases
//! from many concurrent requests applied together, one database transaction
//! (one commit, one turn at each account's row lock) per batch.
//!
//! Each operation is queued to one of a few writers, chosen by account, so
//! that batches of different writers never touch the same account. A writer
//! takes whatever is queued when it becomes free (no timer: under light load
//! a batch is one operation and waits for nothing), orders it by account and
//! applies it with `ledger_apply_batch`, which runs the same single-operation
//! functions as [`super::reserve`] and [`super::settle`]. A batch without a
//! settlement commits without waiting for the WAL flush; one with a
//! settlement is acknowledged only once durable (see the migration).

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{explain_unclosed, Closed, LedgerError};
use crate::domain::credits::Credits;

/// Most operations one batch applies.
const MAX_BATCH: usize = 128;
/// Queued operations per writer before callers wait for room.
const QUEUE: usize = 4096;
/// Attempts at a batch that lost a deadlock or serialization race.
const ATTEMPTS: usize = 3;

/// A handle on the writers; cheap to clone.
#[derive(Clone, Debug)]
pub struct Batcher {
    pool: PgPool,
    writers: Vec<mpsc::Sender<Op>>,
}

/// A reservation as the batcher returns it: the hold, and the account's
/// available balance just after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    pub hold: Uuid,
    pub available: Credits,
}

/// A closed hold and the account's available balance just after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedWith {
    pub closed: Closed,
    pub available: Credits,
}

#[derive(Debug)]
enum Kind {
    Reserve { ttl: time::Duration },
    Settle { key: String },
    Release,
}

/// What a proxied request adds to an operation: the API key it spends (its
/// spend cap is checked, its spending kept) and, when it closes, its usage
/// record, written in the same transaction.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub api_key: Option<Uuid>,
    pub usage: Option<serde_json::Value>,
}

#[derive(Debug)]
struct Op {
    kind: Kind,
    account: Uuid,
    context: Context,
    /// Reserve: the amount; settle: the charge; release: unused.
    amount: i64,
    /// Reserve: the new hold's id; close: the hold.
    hold: Uuid,
    reply: oneshot::Sender<Result<Row, LedgerError>>,
}

/// One row of `ledger_apply_batch`.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    ord: i32,
    hold: Option<Uuid>,
    account_id: Option<Uuid>,
    held: Option<i64>,
    available: Option<i64>,
    refused: Option<String>,
}

impl Batcher {
    /// Starts `writers` writer tasks on the current tokio runtime.
    pub fn start(pool: PgPool, writers: usize) -> Self {
        let writers = (0..writers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(write(pool.clone(), rx));
                tx
            })
            .collect();
        Self { pool, writers }
    }

    /// Holds `amount` of `account` for `ttl`, or `InsufficientCredits`.
    pub async fn reserve(
        &self,
        account: Uuid,
        amount: Credits,
        ttl: time::Duration,
    ) -> Result<Reserved, LedgerError> {
        self.reserve_for(account, amount, ttl, None).await
    }

    /// [`Self::reserve`], also holding `amount` against the spend cap of
    /// `api_key` (`SpendCapReached` when it would pass it).
    pub async fn reserve_for(
        &self,
        account: Uuid,
        amount: Credits,
        ttl: time::Duration,
        api_key: Option<Uuid>,
    ) -> Result<Reserved, LedgerError> {
        if amount.micros() <= 0 {
            return Err(LedgerError::NonPositiveAmount);
        }
        let context = Context {
            api_key,
            usage: None,
        };
        let row = self
            .submit(
                Kind::Reserve { ttl },
                account,
                amount.micros(),
                Uuid::now_v7(),
                context,
            )
            .await?;
        match (row.hold, row.available, row.refused.as_deref()) {
            (Some(hold), Some(available), None) => Ok(Reserved {
                hold,
                available: Credits::from_micros(available),
            }),
            (_, _, Some("key_cap")) => Err(LedgerError::SpendCapReached),
            _ => Err(LedgerError::InsufficientCredits),
        }
    }

    /// Charges `actual` (at most what is held) and releases the rest; the
    /// answer comes once the charge is durable. Idempotent on `key`.
    pub async fn settle(
        &self,
        account: Uuid,
        hold: Uuid,
        actual: Credits,
        key: &str,
    ) -> Result<ClosedWith, LedgerError> {
        self.settle_with(account, hold, actual, key, Context::default())
            .await
    }

    /// [`Self::settle`] for a proxied request: keeps its key's spending and
    /// writes its usage record with the charge.
    pub async fn settle_with(
        &self,
        account: Uuid,
        hold: Uuid,
        actual: Credits,
        key: &str,
        context: Context,
    ) -> Result<ClosedWith, LedgerError> {
        if actual.micros() < 0 {
            return Err(LedgerError::NonPositiveAmount);
        }
        let kind = Kind::Settle {
            key: key.to_owned(),
        };
        let row = self
            .submit(kind, account, actual.micros(), hold, context)
            .await?;
        self.closed(row, hold, Some(actual.micros()), Some(key))
            .await
    }

    /// Releases a hold without charging.
    pub async fn release(&self, account: Uuid, hold: Uuid) -> Result<ClosedWith, LedgerError> {
        self.release_with(account, hold, Context::default()).await
    }

    /// [`Self::release`] for a proxied request (see [`Self::settle_with`]).
    pub async fn release_with(
        &self,
        account: Uuid,
        hold: Uuid,
        context: Context,
    ) -> Result<ClosedWith, LedgerError> {
        let row = self
            .submit(Kind::Release, account, 0, hold, context)
            .await?;
        self.closed(row, hold, None, None).await
    }

    async fn closed(
        &self,
        row: Row,
        hold: Uuid,
        charged: Option<i64>,
        key: Option<&str>,
    ) -> Result<ClosedWith, LedgerError> {
        match (row.account_id, row.held, row.available) {
            (Some(account), Some(held), Some(available)) => Ok(ClosedWith {
                closed: Closed {
                    account,
                    held: Credits::from_micros(held),
                    charged: Credits::from_micros(charged.unwrap_or(0)),
                },
                available: Credits::from_micros(available),
            }),
            // Not closed by this call: say why (or return the first outcome
            // of an idempotent retry).
            _ => {
                let closed = explain_unclosed(&self.pool, hold, charged, key).await?;
                let balance = super::balance(&self.pool, closed.account).await?;
                Ok(ClosedWith {
                    closed,
                    available: Credits::from_micros(balance.available),
                })
            }
        }
    }

    async fn submit(
        &self,
        kind: Kind,
        account: Uuid,
        amount: i64,
        hold: Uuid,
        context: Context,
    ) -> Result<Row, LedgerError> {
        let (reply, answer) = oneshot::channel();
        let shard = (account.as_u128() % self.writers.len() as u128) as usize;
        let op = Op {
            kind,
            account,
            context,
            amount,
            hold,
            reply,
        };
        self.writers[shard]
            .send(op)
            .await
            .map_err(|_| LedgerError::Database("the ledger writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| LedgerError::Database("the ledger writer has stopped".to_owned()))?
    }
}

async fn write(pool: PgPool, mut rx: mpsc::Receiver<Op>) {
    let mut ops = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        ops.push(first);
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        // One lock order for every batch: by account, then key, then as queued.
        ops.sort_by_key(|op| (op.account, op.context.api_key));
        let outcome = apply(&pool, &ops).await;
        match outcome {
            Ok(rows) => {
                let mut rows = rows.into_iter();
                for op in ops.drain(..) {
                    let answer = rows
                        .next()
                        .ok_or_else(|| LedgerError::Database("a batch row is missing".to_owned()));
                    // The caller may have gone away (a dropped request).
                    let _ = op.reply.send(answer);
                }
            }
            Err(error) => {
                for op in ops.drain(..) {
                    let _ = op.reply.send(Err(error.clone()));
                }
            }
        }
    }
}

async fn apply(pool: &PgPool, ops: &[Op]) -> Result<Vec<Row>, LedgerError> {
    let mut kinds = Vec::with_capacity(ops.len());
    let mut accounts = Vec::with_capacity(ops.len());
    let mut amounts = Vec::with_capacity(ops.len());
    let mut ttls = Vec::with_capacity(ops.len());
    let mut ids = Vec::with_capacity(ops.len());
    let mut keys = Vec::with_capacity(ops.len());
    let mut txs = Vec::with_capacity(ops.len());
    let mut api_keys = Vec::with_capacity(ops.len());
    let mut usage = Vec::with_capacity(ops.len());
    for op in ops {
        let (kind, ttl, key) = match &op.kind {
            Kind::Reserve { ttl } => ("reserve", Some(*ttl), None),
            Kind::Settle { key } => ("settle", None, Some(key.clone())),
            Kind::Release => ("release", None, None),
        };
        kinds.push(kind);
        accounts.push(op.account);
        amounts.push(op.amount);
        ttls.push(ttl);
        ids.push(op.hold);
        keys.push(key);
        txs.push(Uuid::now_v7());
        api_keys.push(op.context.api_key);
        usage.push(op.context.usage.clone());
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = sqlx::query_as::<_, Row>(
            "select ord, hold, account_id, held, available, refused
             from ledger_apply_batch($1, $2, $3, $4, $5, $6, $7, $8, $9) order by ord",
        )
        .bind(&kinds)
        .bind(&accounts)
        .bind(&amounts)
        .bind(&ttls)
        .bind(&ids)
        .bind(&keys)
        .bind(&txs)
        .bind(&api_keys)
        .bind(&usage)
        .fetch_all(pool)
        .await;
        match result {
            Ok(rows)
                if rows.len() == ops.len()
                    && rows.iter().zip(1..).all(|(row, ord)| row.ord == ord) =>
            {
                return Ok(rows)
            }
            Ok(_) => return Err(LedgerError::Database("a batch row is missing".to_owned())),
            Err(sqlx::Error::Database(db))
                if attempt < ATTEMPTS
                    && matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
            {
                tracing::warn!(attempt, "ledger batch lost a lock race; retrying");
            }
            Err(error) => return Err(error.into()),
        }
    }
}
