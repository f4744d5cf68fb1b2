//! The credit ledger: accounts, grants, transfers, reservations, settlements,
//! releases, expiries and adjustments, each one database transaction of
//! entries that sum to zero.
//!
//! Rules every function here keeps:
//! - Money moves only through [`post`], which writes the entries and updates
//!   the cached balances in the same transaction.
//! - Spending an account is one conditional `update … where available >= x`:
//!   the database, not a read-then-write in Rust, decides whether it can pay.
//! - An account's available balance equals the sum of its lots' remaining
//!   credit; spending takes the earliest-expiring lot first.
//! - Grants, transfers and settlements take an idempotency key: a retry with
//!   the same key returns the first result and moves nothing.

mod batch;
mod leases;
mod usage;
mod writer;

pub use batch::{Batcher, ClosedWith, Context, Reserved};
pub use leases::Spender;
pub use usage::{int, record_usage, UsageRecord};

use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::{PgConnection, PgPool, Postgres};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::credits::Credits;

/// Why a ledger operation was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LedgerError {
    #[error("not enough credits")]
    InsufficientCredits,
    #[error("the API key's spend cap is reached")]
    SpendCapReached,
    /// The member's budget in the team paying has no room left this
    /// `period` (`day`, `week`, `month` or `total`); it resets at
    /// `resets_at` (never for a budget in total).
    #[error("the member's budget is used up")]
    MemberBudgetExceeded {
        period: String,
        resets_at: Option<OffsetDateTime>,
    },
    /// The API key's creator is no longer a member of the team paying.
    #[error("the key's creator is not a member of the team it bills")]
    NotMember,
    /// The course whose credit this is has ended.
    #[error("the course has ended")]
    EnrollmentEnded,
    #[error("the amount must be positive")]
    NonPositiveAmount,
    #[error("no such hold")]
    UnknownHold,
    #[error("the hold is already {0}")]
    HoldClosed(HoldStatus),
    #[error("the hold is being closed")]
    HoldClosing,
    #[error("the hold is open and not yet expired")]
    HoldNotExpired,
    #[error("cannot charge more than the hold ({held} micro-credits)")]
    ChargeExceedsHold { held: i64 },
    #[error("the two accounts are the same")]
    SameAccount,
    #[error("no such account")]
    UnknownAccount,
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    #[error("database error")]
    Database(String),
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            // The account's `available >= 0` check is the last line of defence.
            if db.is_check_violation() {
                return Self::InsufficientCredits;
            }
        }
        tracing::error!(error = %error, "ledger database error");
        Self::Database(error.to_string())
    }
}

/// Where a hold stands (`credit_holds.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    Open,
    Settled,
    Released,
    Expired,
}

impl HoldStatus {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Settled => "settled",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// Parses a stored value.
    pub fn parse(stored: &str) -> Option<Self> {
        [Self::Open, Self::Settled, Self::Released, Self::Expired]
            .into_iter()
            .find(|status| status.as_str() == stored)
    }
}

impl std::fmt::Display for HoldStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who owns a credit account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User(Uuid),
    Organization(Uuid),
    Institution(Uuid),
    Cohort(Uuid),
    /// A student's enrollment in a cohort: their course credit.
    Enrollment(Uuid),
    Treasury,
}

impl Owner {
    fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            Self::User(id) => ("user", Some(id)),
            Self::Organization(id) => ("organization", Some(id)),
            Self::Institution(id) => ("institution", Some(id)),
            Self::Cohort(id) => ("cohort", Some(id)),
            Self::Enrollment(id) => ("enrollment", Some(id)),
            Self::Treasury => ("treasury", None),
        }
    }
}

/// The credit account of `owner`, created on first use.
pub async fn account_for(conn: &mut PgConnection, owner: Owner) -> Result<Uuid, LedgerError> {
    let (kind, owner_id) = owner.parts();
    let found: Option<Uuid> = sqlx::query_scalar(
        "select id from credit_accounts where owner_kind = $1 and owner_id is not distinct from $2",
    )
    .bind(kind)
    .bind(owner_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let created: Option<Uuid> = sqlx::query_scalar(
        "insert into credit_accounts (id, owner_kind, owner_id) values ($1, $2, $3)
         on conflict do nothing returning id",
    )
    .bind(Uuid::now_v7())
    .bind(kind)
    .bind(owner_id)
    .fetch_optional(&mut *conn)
    .await?;
    match created {
        Some(id) => Ok(id),
        // Someone else created it between our two statements.
        None => Ok(sqlx::query_scalar(
            "select id from credit_accounts where owner_kind = $1 and owner_id is not distinct from $2",
        )
        .bind(kind)
        .bind(owner_id)
        .fetch_one(&mut *conn)
        .await?),
    }
}

/// One entry: `amount` (signed) into `bucket` of `account`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    account: Uuid,
    bucket: Bucket,
    amount: i64,
}

/// Which balance of an account an entry moves. Holds move credit between
/// `available` and `reserved` inside the `ledger_reserve` and `ledger_close`
/// database functions; the entries written from Rust touch `available` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Available,
}

impl Bucket {
    fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
        }
    }
}

/// Metadata of a ledger transaction.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    pub memo: Option<String>,
    pub actor_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
}

/// Writes a transaction and its entries and updates the cached balances.
/// Returns `None` when the idempotency key was already used (nothing moved).
async fn post(
    conn: &mut PgConnection,
    kind: &str,
    memo: &Memo,
    entries: &[Entry],
) -> Result<Option<Uuid>, LedgerError> {
    let id = Uuid::now_v7();
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "insert into ledger_transactions (id, kind, idempotency_key, memo, actor_id) values ($1, $2, $3, $4, $5)
         on conflict (idempotency_key) do nothing returning id",
    )
    .bind(id)
    .bind(kind)
    .bind(&memo.idempotency_key)
    .bind(&memo.memo)
    .bind(memo.actor_id)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(None);
    }
    let entries: Vec<&Entry> = entries.iter().filter(|e| e.amount != 0).collect();
    let accounts: Vec<Uuid> = entries.iter().map(|e| e.account).collect();
    let buckets: Vec<&str> = entries.iter().map(|e| e.bucket.as_str()).collect();
    let amounts: Vec<i64> = entries.iter().map(|e| e.amount).collect();
    sqlx::query(
        "insert into ledger_entries (transaction_id, account_id, bucket, amount)
         select $1, * from unnest($2::uuid[], $3::text[], $4::bigint[])",
    )
    .bind(id)
    .bind(&accounts)
    .bind(&buckets)
    .bind(&amounts)
    .execute(&mut *conn)
    .await?;
    // Balances follow the entries; the CHECK constraints refuse a negative one.
    // The treasury's balance is not cached: every settlement and grant would
    // otherwise queue on its one row. It is the sum of its entries.
    sqlx::query(
        "update credit_accounts a set
            available = a.available + d.available,
            reserved = a.reserved + d.reserved
         from (select account_id,
                      (sum(amount) filter (where bucket = 'available'))::bigint as available_raw,
                      (sum(amount) filter (where bucket = 'reserved'))::bigint as reserved_raw
               from unnest($1::uuid[], $2::text[], $3::bigint[]) as e(account_id, bucket, amount)
               group by account_id) s,
              lateral (select coalesce(s.available_raw, 0) as available, coalesce(s.reserved_raw, 0) as reserved) d
         where a.id = s.account_id and a.owner_kind <> 'treasury'",
    )
    .bind(&accounts)
    .bind(&buckets)
    .bind(&amounts)
    .execute(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// The transaction already posted under `key`.
async fn by_key(conn: &mut PgConnection, key: &str) -> Result<Uuid, LedgerError> {
    Ok(
        sqlx::query_scalar("select id from ledger_transactions where idempotency_key = $1")
            .bind(key)
            .fetch_one(conn)
            .await?,
    )
}

/// A grant of credit from the treasury.
#[derive(Debug, Clone)]
pub struct Grant {
    pub account: Uuid,
    pub amount: Credits,
    pub expires_at: Option<OffsetDateTime>,
    pub memo: Memo,
}

/// Grants credit from the treasury; idempotent on `memo.idempotency_key`.
/// Returns the ledger transaction id (the first one, on a retry).
pub async fn grant(pool: &PgPool, grant: &Grant) -> Result<Uuid, LedgerError> {
    let mut tx = pool.begin().await?;
    let id = grant_in(&mut tx, grant, "grant").await?;
    tx.commit().await?;
    Ok(id)
}

/// [`grant`] inside the caller's transaction.
pub async fn grant_with(conn: &mut PgConnection, grant: &Grant) -> Result<Uuid, LedgerError> {
    grant_in(conn, grant, "grant").await
}

async fn grant_in(conn: &mut PgConnection, grant: &Grant, kind: &str) -> Result<Uuid, LedgerError> {
    let amount = grant.amount.micros();
    if amount <= 0 {
        return Err(LedgerError::NonPositiveAmount);
    }
    let treasury = account_for(conn, Owner::Treasury).await?;
    let entries = [
        Entry {
            account: treasury,
            bucket: Bucket::Available,
            amount: -amount,
        },
        Entry {
            account: grant.account,
            bucket: Bucket::Available,
            amount,
        },
    ];
    let Some(id) = post(conn, kind, &grant.memo, &entries).await? else {
        let key = grant.memo.idempotency_key.as_deref().unwrap_or_default();
        return by_key(conn, key).await;
    };
    sqlx::query(
        "insert into credit_lots (id, account_id, transaction_id, original, remaining, expires_at)
         values ($1, $2, $3, $4, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(grant.account)
    .bind(id)
    .bind(amount)
    .bind(grant.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Takes `amount` from the account's lots, earliest expiry first, returning
/// `(lot, taken, expires_at)` per lot touched. The caller has already
/// debited the account's available balance, which equals the lots' total.
async fn take_from_lots(
    conn: &mut PgConnection,
    account: Uuid,
    amount: i64,
) -> Result<Vec<(Uuid, i64, Option<OffsetDateTime>)>, LedgerError> {
    let taken: Vec<(Uuid, i64, Option<OffsetDateTime>)> = sqlx::query_as(
        "with locked as (
             select id, remaining, expires_at, created_at
             from credit_lots where account_id = $1 and remaining > 0
             for update
         ), candidates as (
             select id, remaining, expires_at,
                    (sum(remaining) over (order by expires_at nulls last, created_at, id))::bigint as running
             from locked
         ), take as (
             select id, expires_at, least(remaining, $2 - (running - remaining)) as amount
             from candidates where running - remaining < $2
         )
         update credit_lots l set remaining = l.remaining - take.amount
         from take where l.id = take.id
         returning l.id, take.amount, take.expires_at",
    )
    .bind(account)
    .bind(amount)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = taken.iter().map(|(_, a, _)| a).sum();
    if total != amount {
        // The cached balance and the lots disagree: refuse rather than guess.
        tracing::error!(%account, amount, total, "credit lots do not cover the available balance");
        return Err(LedgerError::InsufficientCredits);
    }
    Ok(taken)
}

/// Debits `amount` from `account`'s available balance if it can pay, in one
/// conditional statement.
async fn debit_available(
    conn: &mut PgConnection,
    account: Uuid,
    amount: i64,
) -> Result<(), LedgerError> {
    let paid = sqlx::query(
        "update credit_accounts set available = available - $2 where id = $1 and available >= $2",
    )
    .bind(account)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    if paid.rows_affected() == 1 {
        Ok(())
    } else {
        Err(LedgerError::InsufficientCredits)
    }
}

/// Moves credit between two accounts (a pool to a member, an institution to
/// a cohort, a cohort to a student), keeping each lot's expiry.
pub async fn transfer(
    pool: &PgPool,
    from: Uuid,
    to: Uuid,
    amount: Credits,
    kind: TransferKind,
    memo: &Memo,
) -> Result<Uuid, LedgerError> {
    let mut tx = pool.begin().await?;
    let id = transfer_with(&mut tx, from, to, amount, kind, memo).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`transfer`] in the caller's transaction (`conn`), which commits it.
pub async fn transfer_with(
    tx: &mut PgConnection,
    from: Uuid,
    to: Uuid,
    amount: Credits,
    kind: TransferKind,
    memo: &Memo,
) -> Result<Uuid, LedgerError> {
    let amount = amount.micros();
    if amount <= 0 {
        return Err(LedgerError::NonPositiveAmount);
    }
    if from == to {
        return Err(LedgerError::SameAccount);
    }
    if let Some(key) = &memo.idempotency_key {
        if let Some(id) = existing(&mut *tx, key).await? {
            return Ok(id);
        }
    }
    // Both rows, in id order, so opposite transfers cannot deadlock.
    let locked: Vec<Uuid> = sqlx::query_scalar(
        "select id from credit_accounts where id = any($1) order by id for update",
    )
    .bind([from, to])
    .fetch_all(&mut *tx)
    .await?;
    if locked.len() != 2 {
        return Err(LedgerError::UnknownAccount);
    }
    debit_available(&mut *tx, from, amount).await?;
    // `post` applies both entries to the balances; give back the debit we
    // made to lock in the conditional check.
    sqlx::query("update credit_accounts set available = available + $2 where id = $1")
        .bind(from)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
    let lots = take_from_lots(&mut *tx, from, amount).await?;
    let entries = [
        Entry {
            account: from,
            bucket: Bucket::Available,
            amount: -amount,
        },
        Entry {
            account: to,
            bucket: Bucket::Available,
            amount,
        },
    ];
    let Some(id) = post(&mut *tx, kind.as_str(), memo, &entries).await? else {
        return Err(LedgerError::KeyReused);
    };
    for (_, taken, expires_at) in lots {
        sqlx::query(
            "insert into credit_lots (id, account_id, transaction_id, original, remaining, expires_at)
             values ($1, $2, $3, $4, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(to)
        .bind(id)
        .bind(taken)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(id)
}

async fn existing(conn: &mut PgConnection, key: &str) -> Result<Option<Uuid>, LedgerError> {
    Ok(
        sqlx::query_scalar("select id from ledger_transactions where idempotency_key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

/// What a transfer is, for the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// Between peers, or from an organization pool to a member.
    Transfer,
    /// From an institution to a cohort, or a cohort to its students.
    Allocation,
    /// A student's unused allocation back to the cohort, and a cohort's
    /// back to its institution, at the end of a term.
    Reclaim,
}

impl TransferKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Allocation => "allocation",
            Self::Reclaim => "reclaim",
        }
    }
}

/// Holds `amount` of `account`'s credit for `ttl`. One statement on the
/// server (`ledger_reserve`): the check and the debit are one conditional
/// update, so concurrent reservations can never hold more than the account
/// has, and the account row is locked only while the function runs.
pub async fn reserve(
    pool: &PgPool,
    account: Uuid,
    amount: Credits,
    ttl: time::Duration,
) -> Result<Uuid, LedgerError> {
    let amount = amount.micros();
    if amount <= 0 {
        return Err(LedgerError::NonPositiveAmount);
    }
    let hold: Option<Uuid> = sqlx::query_scalar("select ledger_reserve($1, $2, $3, $4, $5)")
        .bind(account)
        .bind(amount)
        .bind(ttl)
        .bind(Uuid::now_v7())
        .bind(Uuid::now_v7())
        .fetch_one(pool)
        .await?;
    hold.ok_or(LedgerError::InsufficientCredits)
}

/// The outcome of closing a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub account: Uuid,
    pub held: Credits,
    pub charged: Credits,
}

/// Charges `actual` (never more than held) from a hold and releases the
/// rest. Idempotent on `key`: a retry returns the first outcome.
pub async fn settle(
    pool: &PgPool,
    hold: Uuid,
    actual: Credits,
    key: &str,
) -> Result<Closed, LedgerError> {
    close(
        pool,
        hold,
        Close::Settle {
            actual: actual.micros(),
            key,
        },
    )
    .await
}

/// Releases a hold without charging anything.
pub async fn release(pool: &PgPool, hold: Uuid) -> Result<Closed, LedgerError> {
    close(pool, hold, Close::Release).await
}

#[derive(Debug, Clone, Copy)]
enum Close<'a> {
    Settle { actual: i64, key: &'a str },
    Release,
    Expire,
}

async fn close(pool: &PgPool, hold: Uuid, how: Close<'_>) -> Result<Closed, LedgerError> {
    let (status, charged, key) = match how {
        Close::Settle { actual, key } => (HoldStatus::Settled, Some(actual), Some(key)),
        Close::Release => (HoldStatus::Released, None, None),
        Close::Expire => (HoldStatus::Expired, None, None),
    };
    if charged.is_some_and(|c| c < 0) {
        return Err(LedgerError::NonPositiveAmount);
    }
    let closed: Option<(Uuid, i64)> =
        sqlx::query_as("select account_id, held from ledger_close($1, $2, $3, $4, $5, $6)")
            .bind(hold)
            .bind(status.as_str())
            .bind(charged)
            .bind(key)
            .bind(matches!(how, Close::Expire))
            .bind(Uuid::now_v7())
            .fetch_optional(pool)
            .await?;
    let Some((account, held)) = closed else {
        return explain_unclosed(pool, hold, charged, key).await;
    };
    let charge = charged.unwrap_or(0);
    Ok(Closed {
        account,
        held: Credits::from_micros(held),
        charged: Credits::from_micros(charge),
    })
}

/// `(account, amount, status, charged, settle_key)` of a hold.
type HoldRow = (Uuid, i64, String, Option<i64>, Option<String>);

async fn explain_unclosed(
    pool: &PgPool,
    hold: Uuid,
    charged: Option<i64>,
    key: Option<&str>,
) -> Result<Closed, LedgerError> {
    let row: Option<HoldRow> = sqlx::query_as(
        "select account_id, amount, status, charged, settle_key from credit_holds where id = $1",
    )
    .bind(hold)
    .fetch_optional(pool)
    .await?;
    let Some((account, held, status, was_charged, was_key)) = row else {
        return Err(LedgerError::UnknownHold);
    };
    let Some(status) = HoldStatus::parse(&status) else {
        return Err(LedgerError::Database(format!(
            "a hold has the unknown status {status:?}"
        )));
    };
    if status == HoldStatus::Settled && key.is_some() && was_key.as_deref() == key {
        return Ok(Closed {
            account,
            held: Credits::from_micros(held),
            charged: Credits::from_micros(was_charged.unwrap_or(0)),
        });
    }
    if status == HoldStatus::Open {
        if charged.is_some_and(|c| c > held) {
            return Err(LedgerError::ChargeExceedsHold { held });
        }
        // Open but not expired: only the sweeper asks for that.
        return Err(LedgerError::HoldNotExpired);
    }
    Err(LedgerError::HoldClosed(status))
}

/// Releases every open hold past its expiry. Returns how many.
pub async fn sweep_expired_holds(pool: &PgPool) -> Result<u64, LedgerError> {
    let due: Vec<(Uuid, bool)> = sqlx::query_as("select id, lease from credit_holds where status = 'open' and expires_at <= now() order by expires_at limit 1000")
        .fetch_all(pool)
        .await?;
    let mut released = 0;
    for (hold, lease) in due {
        if lease {
            // A lease whose process is gone: its charges stand, the rest
            // goes back to the account.
            let closed: Option<Uuid> = sqlx::query_scalar(
                "select account_id from ledger_lease_close($1, 'expired', true, $2, $3)",
            )
            .bind(hold)
            .bind(Uuid::now_v7())
            .bind(Uuid::now_v7())
            .fetch_optional(pool)
            .await?;
            released += u64::from(closed.is_some());
            continue;
        }
        match close(pool, hold, Close::Expire).await {
            Ok(_) => released += 1,
            // Settled or released meanwhile by its request: nothing to do.
            Err(LedgerError::HoldClosed(_) | LedgerError::HoldNotExpired) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(released)
}

/// Posts expiry entries for what is left of every expired lot. Returns the
/// number of lots expired.
pub async fn expire_lots(pool: &PgPool) -> Result<u64, LedgerError> {
    let due: Vec<Uuid> = sqlx::query_scalar(
        "select id from credit_lots where remaining > 0 and expires_at <= now() order by expires_at limit 1000",
    )
    .fetch_all(pool)
    .await?;
    let mut expired = 0;
    for lot in due {
        let mut tx = pool.begin().await?;
        let taken: Option<(Uuid, i64)> = sqlx::query_as(
            "update credit_lots l set remaining = 0 from (select id, remaining from credit_lots where id = $1 for update) old
             where l.id = old.id and old.remaining > 0 returning l.account_id, old.remaining",
        )
        .bind(lot)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((account, amount)) = taken else {
            continue;
        };
        let treasury = account_for(&mut tx, Owner::Treasury).await?;
        let entries = [
            Entry {
                account,
                bucket: Bucket::Available,
                amount: -amount,
            },
            Entry {
                account: treasury,
                bucket: Bucket::Available,
                amount,
            },
        ];
        let memo = Memo {
            memo: Some(format!("lot {lot} expired")),
            ..Memo::default()
        };
        post(&mut tx, "expiry", &memo, &entries).await?;
        tx.commit().await?;
        expired += 1;
    }
    Ok(expired)
}

/// Balances of an account, in micro-credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Balance {
    pub available: i64,
    pub reserved: i64,
}

/// The balances of `account` (for the treasury, summed from its entries).
/// What `owner` may spend now, in micro-credits (0 before its first
/// credit): one read, for the header of every signed-in page.
pub async fn available_of(pool: &PgPool, owner: Owner) -> Result<i64, LedgerError> {
    let (kind, owner_id) = owner.parts();
    let available: Option<i64> = sqlx::query_scalar(
        "select available from credit_accounts where owner_kind = $1 and owner_id is not distinct from $2",
    )
    .bind(kind)
    .bind(owner_id)
    .fetch_optional(pool)
    .await?;
    Ok(available.unwrap_or(0))
}

pub async fn balance(pool: &PgPool, account: Uuid) -> Result<Balance, LedgerError> {
    sqlx::query_as(
        "select case when a.owner_kind = 'treasury'
                     then coalesce((select sum(amount) from ledger_entries where account_id = a.id and bucket = 'available'), 0)::bigint
                     else a.available end as available,
                a.reserved
         from credit_accounts a where a.id = $1",
    )
        .bind(account)
        .fetch_optional(pool)
        .await?
        .ok_or(LedgerError::UnknownAccount)
}

/// One ledger transaction as it touched one account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub transaction_id: Uuid,
    pub kind: String,
    pub memo: Option<String>,
    pub created_at: OffsetDateTime,
    /// Change of the available balance, in micro-credits.
    pub available_delta: i64,
    /// Change of the reserved balance, in micro-credits.
    pub reserved_delta: i64,
}

/// Which history rows to show.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub kind: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

/// An account's transactions, newest first, one page of them, and the total.
pub async fn history(
    pool: &PgPool,
    account: Uuid,
    filter: &HistoryFilter,
    page: i64,
    per_page: i64,
) -> Result<(Vec<HistoryRow>, i64), LedgerError> {
    let rows = sqlx::query_as(
        "select t.id as transaction_id, t.kind, t.memo, t.created_at,
                coalesce(sum(e.amount) filter (where e.bucket = 'available'), 0)::bigint as available_delta,
                coalesce(sum(e.amount) filter (where e.bucket = 'reserved'), 0)::bigint as reserved_delta
         from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account_id = $1
           and ($2::text is null or t.kind = $2)
           and ($3::timestamptz is null or t.created_at >= $3)
           and ($4::timestamptz is null or t.created_at < $4)
         group by t.id
         order by t.created_at desc, t.id desc
         limit $5 offset $6",
    )
    .bind(account)
    .bind(&filter.kind)
    .bind(filter.from)
    .bind(filter.to)
    .bind(per_page)
    .bind((page.max(1) - 1) * per_page)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(
        "select count(distinct t.id) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account_id = $1
           and ($2::text is null or t.kind = $2)
           and ($3::timestamptz is null or t.created_at >= $3)
           and ($4::timestamptz is null or t.created_at < $4)",
    )
    .bind(account)
    .bind(&filter.kind)
    .bind(filter.from)
    .bind(filter.to)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// One line of an account's statement: a day's requests (their holds,
/// charges and releases netted into what they cost), or one other
/// movement (a grant, an expiry, a refund …), with the balance after it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatementLine {
    /// `None` for a day of requests.
    pub transaction_id: Option<Uuid>,
    /// `requests`, or the transaction's kind.
    pub kind: String,
    pub memo: Option<String>,
    /// The day of requests (UTC), or the movement's time.
    pub day: Option<time::Date>,
    pub at: OffsetDateTime,
    /// Requests made that day.
    pub requests: i64,
    /// Micro-credits in (positive) or out, holds included.
    pub change: i64,
    /// Available plus held, after this line.
    pub balance: i64,
}

/// One page of `account`'s statement, newest first, and the number of
/// lines in all. A request's transactions (its hold, charge and release)
/// are counted into its day's line.
pub async fn statement(
    pool: &PgPool,
    account: Uuid,
    page: i64,
    per_page: i64,
) -> Result<(Vec<StatementLine>, i64), LedgerError> {
    let rows = sqlx::query_as(
        "with moves as (
             select t.id, t.kind, t.memo, t.created_at,
                    t.kind in ('reservation', 'settlement', 'release') as of_request,
                    (t.created_at at time zone 'UTC')::date as utc_day,
                    sum(e.amount)::bigint as change
             from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
             where e.account_id = $1
             group by t.id
         ), lines as (
             select case when of_request then null else min(id::text)::uuid end as transaction_id,
                    case when of_request then 'requests' else min(kind) end as kind,
                    min(memo) as memo,
                    case when of_request then utc_day end as day,
                    max(created_at) as at,
                    count(*) filter (where kind = 'reservation') as requests,
                    sum(change)::bigint as change
             from moves
             group by of_request, case when of_request then utc_day end,
                      case when of_request then null else id end
         )
         select transaction_id, kind, memo, day, at, requests, change,
                (sum(change) over (order by at, transaction_id nulls first
                                   rows between unbounded preceding and current row))::bigint as balance
         from lines
         order by at desc, transaction_id desc nulls last
         limit $2 offset $3",
    )
    .bind(account)
    .bind(per_page)
    .bind((page.max(1) - 1) * per_page)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(
        "select count(distinct case when t.kind in ('reservation', 'settlement', 'release')
                                    then 'day ' || (t.created_at at time zone 'UTC')::date::text
                                    else t.id::text end)
         from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account_id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// Where a read of the whole history stopped: the last row's time and
/// transaction id.
pub type HistoryCursor = (OffsetDateTime, Uuid);

impl HistoryRow {
    /// This row's place in the history, to read on after it.
    pub fn cursor(&self) -> HistoryCursor {
        (self.created_at, self.transaction_id)
    }
}

/// Up to `limit` rows of `account`'s whole history, newest first, after
/// `after` (keyset paging: an export reads each row once, in the caller's
/// transaction, however long the history).
pub async fn history_chunk(
    conn: &mut PgConnection,
    account: Uuid,
    after: Option<HistoryCursor>,
    limit: i64,
) -> Result<Vec<HistoryRow>, LedgerError> {
    let (at, id) = after.unzip();
    let rows = sqlx::query_as(
        "select t.id as transaction_id, t.kind, t.memo, t.created_at,
                coalesce(sum(e.amount) filter (where e.bucket = 'available'), 0)::bigint as available_delta,
                coalesce(sum(e.amount) filter (where e.bucket = 'reserved'), 0)::bigint as reserved_delta
         from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account_id = $1
           and ($2::timestamptz is null or (t.created_at, t.id) < ($2::timestamptz, $3::uuid))
         group by t.id
         order by t.created_at desc, t.id desc
         limit $4",
    )
    .bind(account)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// A manual correction by an admin: a positive amount adds never-expiring
/// credit from the treasury; a negative one takes credit back to it
/// (earliest-expiring first), never below zero.
pub async fn adjust(
    pool: &PgPool,
    account: Uuid,
    amount: Credits,
    memo: &Memo,
) -> Result<Uuid, LedgerError> {
    let mut tx = pool.begin().await?;
    let id = adjust_with(&mut tx, account, amount, memo).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`adjust`] inside the caller's transaction.
pub async fn adjust_with(
    conn: &mut PgConnection,
    account: Uuid,
    amount: Credits,
    memo: &Memo,
) -> Result<Uuid, LedgerError> {
    let micros = amount.micros();
    if let Some(key) = &memo.idempotency_key {
        if let Some(id) = existing(conn, key).await? {
            return Ok(id);
        }
    }
    if micros > 0 {
        let grant = Grant {
            account,
            amount,
            expires_at: None,
            memo: memo.clone(),
        };
        grant_in(conn, &grant, "adjustment").await
    } else if micros < 0 {
        let take = -micros;
        debit_available(conn, account, take).await?;
        sqlx::query("update credit_accounts set available = available + $2 where id = $1")
            .bind(account)
            .bind(take)
            .execute(&mut *conn)
            .await?;
        take_from_lots(conn, account, take).await?;
        let treasury = account_for(conn, Owner::Treasury).await?;
        let entries = [
            Entry {
                account,
                bucket: Bucket::Available,
                amount: -take,
            },
            Entry {
                account: treasury,
                bucket: Bucket::Available,
                amount: take,
            },
        ];
        post(conn, "adjustment", memo, &entries)
            .await?
            .ok_or(LedgerError::KeyReused)
    } else {
        Err(LedgerError::NonPositiveAmount)
    }
}

/// Credit that will expire, per expiry date (soonest first, at most 5).
pub async fn expiring(
    pool: &PgPool,
    account: Uuid,
) -> Result<Vec<(i64, OffsetDateTime)>, LedgerError> {
    Ok(sqlx::query_as(
        "select sum(remaining)::bigint, expires_at from credit_lots
         where account_id = $1 and remaining > 0 and expires_at > now()
         group by expires_at order by expires_at limit 5",
    )
    .bind(account)
    .fetch_all(pool)
    .await?)
}

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

/// Checks every invariant of the ledger; an empty list means all hold.
pub async fn verify(pool: &PgPool) -> Result<Vec<Violation>, LedgerError> {
    // Each check lists the ids that break it.
    let checks: [(&str, QueryScalar<'_, Postgres, String, PgArguments>); 8] = [
        ("transaction does not sum to zero",
         sqlx::query_scalar("select transaction_id::text from ledger_entries group by transaction_id having sum(amount) <> 0")),
        ("cached balance differs from its entries",
         sqlx::query_scalar("select a.id::text from credit_accounts a left join (
              select account_id,
                     coalesce(sum(amount) filter (where bucket = 'available'), 0) as available,
                     coalesce(sum(amount) filter (where bucket = 'reserved'), 0) as reserved
              from ledger_entries group by account_id) e on e.account_id = a.id
          where a.owner_kind <> 'treasury'
            and (a.available <> coalesce(e.available, 0) or a.reserved <> coalesce(e.reserved, 0))")),
        ("negative balance",
         sqlx::query_scalar("select id::text from credit_accounts where reserved < 0 or (owner_kind <> 'treasury' and available < 0)")),
        ("expired hold still open",
         sqlx::query_scalar("select id::text from credit_holds where status = 'open' and expires_at <= now() - interval '1 minute'")),
        ("reserved balance differs from open holds",
         sqlx::query_scalar("select a.id::text from credit_accounts a left join (
              select account_id, sum(amount - coalesce(posted, 0)) as held
              from credit_holds where status = 'open' group by account_id) h
              on h.account_id = a.id
          where a.reserved <> coalesce(h.held, 0)")),
        ("available balance differs from its lots",
         sqlx::query_scalar("select a.id::text from credit_accounts a left join (
              select account_id, sum(remaining) as remaining from credit_lots group by account_id) l on l.account_id = a.id
          where a.owner_kind not in ('treasury', 'uncollected') and a.available <> coalesce(l.remaining, 0)")),
        ("a member's budget period holds other than its open leases",
         sqlx::query_scalar("select b.team_id || ' ' || b.user_id || ' ' || b.period_start
          from member_budget_periods b left join (
              select budget_team, budget_user, budget_period, sum(amount - charged) as held
              from credit_holds where status = 'open' and budget_period is not null
              group by budget_team, budget_user, budget_period) h
              on (h.budget_team, h.budget_user, h.budget_period) = (b.team_id, b.user_id, b.period_start)
          where b.held <> coalesce(h.held, 0)")),
        ("a member's budget period spent other than its leases charged",
         sqlx::query_scalar("select b.team_id || ' ' || b.user_id || ' ' || b.period_start
          from member_budget_periods b left join (
              select h.budget_team, h.budget_user, h.budget_period,
                     sum(h.charged + coalesce(u.uncollected, 0)) as charged
              from credit_holds h left join (
                  select hold_id, sum(uncollected) as uncollected from usage_records
                  where uncollected > 0 group by hold_id) u on u.hold_id = h.id
              where h.budget_period is not null
              group by h.budget_team, h.budget_user, h.budget_period) h
              on (h.budget_team, h.budget_user, h.budget_period) = (b.team_id, b.user_id, b.period_start)
          where b.spent <> coalesce(h.charged, 0)")),
    ];
    let mut violations = Vec::new();
    for (what, query) in checks {
        let ids = query.fetch_all(pool).await?;
        violations.extend(ids.into_iter().map(|id| Violation(format!("{what}: {id}"))));
    }
    Ok(violations)
}

#[cfg(test)]
mod tests;
