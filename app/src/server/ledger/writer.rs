//! The ledger's writer tasks: each owns a share of the accounts and one
//! database connection, grows leases when a reservation does not fit,
//! records charges in group commits, and on its tick posts charges to the
//! ledger, returns idle leases and renews the others.
//!
//! A writer takes whatever is queued when it becomes free (no timer: under
//! light load a batch is one charge and waits for nothing) and records it
//! set-based with `ledger_lease_charge`: each lease's `charged`, the usage
//! records and the API keys' spending, in one durable commit. What to do is
//! decided by the in-memory [`State`]; this module carries it out.

use std::collections::{HashMap, HashSet};
use std::sync::{MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::batch::Inner;
use super::leases::{LeaseKey, Open, State};
use super::{Closed, ClosedWith, HoldStatus, LedgerError, Reserved, UsageRecord};
use crate::domain::credits::Credits;

/// Most charges one batch posts.
const MAX_BATCH: usize = 256;
/// Attempts at a batch that lost a deadlock or serialization race.
const ATTEMPTS: usize = 3;
/// A lease grows by at least this many times the reservation that needs it.
const LEASE_SLICE: i64 = 32;
/// How long a lease outlives its process's last renewal.
const LEASE_TTL: time::Duration = time::Duration::minutes(2);
/// How often each writer looks after its leases.
const TICK: Duration = Duration::from_millis(500);

/// What a writer is asked to do.
#[derive(Debug)]
pub(super) enum Op {
    Reserve {
        key: LeaseKey,
        amount: i64,
        ttl: Duration,
        reply: oneshot::Sender<Result<Reserved, LedgerError>>,
    },
    Charge {
        hold: Uuid,
        /// `None`: a release (nothing charged) that has a usage record.
        key: Option<String>,
        /// Charged from what the reservation holds.
        charge: i64,
        /// Usage past what it holds, to collect from the account.
        overrun: i64,
        usage: Option<UsageRecord>,
        reply: oneshot::Sender<Result<ClosedWith, LedgerError>>,
    },
    /// Look after the leases; with `all`, return every unused one now.
    Tend {
        all: bool,
        reply: Option<oneshot::Sender<()>>,
    },
}

/// One writer's part of the accounts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    fn owns(self, account: Uuid) -> bool {
        shard_of(account, self.count) == self.index
    }
}

/// The writer that owns `account`, of `count`.
pub(super) fn shard_of(account: Uuid, count: usize) -> usize {
    (account.as_u128() % count.max(1) as u128) as usize
}

/// The error of a request whose writer is gone (shutting down).
pub(super) fn stopped() -> LedgerError {
    LedgerError::Database("the ledger writer has stopped".to_owned())
}

/// The in-memory state; a poisoned lock is taken over (its data is
/// consistent between statements).
pub(super) fn lock(inner: &Inner) -> MutexGuard<'_, State> {
    inner.state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a query on the writer's connection (`|conn| query`), again when it
/// lost a deadlock or serialization race.
macro_rules! retrying {
    ($link:expr, |$conn:ident| $query:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let $conn = match $link.conn().await {
                Ok(conn) => conn,
                Err(error) => break Err(error),
            };
            match $query.await {
                Ok(value) => break Ok(value),
                Err(sqlx::Error::Database(db))
                    if attempt < ATTEMPTS
                        && matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
                {
                    tracing::warn!(attempt, "a ledger statement lost a lock race; retrying");
                }
                Err(error @ sqlx::Error::Database(_)) => break Err(LedgerError::from(error)),
                Err(error) => {
                    $link.conn = None;
                    break Err(LedgerError::from(error));
                }
            }
        }
    }};
}

pub(super) async fn write(
    pool: PgPool,
    inner: std::sync::Weak<Inner>,
    shard: Shard,
    mut rx: mpsc::Receiver<Op>,
) {
    let mut link = Link { pool, conn: None };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ops = Vec::with_capacity(MAX_BATCH);
    loop {
        let first = tokio::select! {
            op = rx.recv() => match op {
                Some(op) => op,
                None => return,
            },
            _ = tick.tick() => Op::Tend { all: false, reply: None },
        };
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if link.pool.is_closed() {
            // Shutting down: let the pool have its connection back.
            return;
        }
        ops.push(first);
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let mut charges = Vec::new();
        let mut rest = Vec::new();
        for op in ops.drain(..) {
            match op {
                Op::Charge { .. } => charges.push(op),
                other => rest.push(other),
            }
        }
        if !charges.is_empty() {
            charge(&mut link, &inner, charges).await;
        }
        for op in rest {
            match op {
                Op::Reserve {
                    key,
                    amount,
                    ttl,
                    reply,
                } => {
                    let _ = reply.send(grow_and_take(&mut link, &inner, key, amount, ttl).await);
                }
                Op::Tend { all, reply } => {
                    tend(&mut link, &inner, shard, all).await;
                    if let Some(reply) = reply {
                        let _ = reply.send(());
                    }
                }
                Op::Charge { .. } => {}
            }
        }
    }
}

/// Reserves `amount` on the lease `key`, growing it (or taking a new one)
/// when it has no room. Only this account's writer grows its leases.
async fn grow_and_take(
    link: &mut Link,
    inner: &Inner,
    key: LeaseKey,
    amount: i64,
    ttl: Duration,
) -> Result<Reserved, LedgerError> {
    // Requests may take what a grow adds before this one does; try again.
    // A refusal first returns the account's other unused leases, whose
    // credit (or room in a member's budget) may be what it lacked.
    let mut siblings_returned = false;
    for _ in 0..4 {
        let (lease, need) = {
            let mut state = lock(inner);
            if let Some(reserved) = state.take(key, amount, ttl) {
                return Ok(reserved);
            }
            match state.lease(key) {
                Some(lease) => (lease.id, amount - lease.free().max(0)),
                None => (Uuid::now_v7(), amount),
            }
        };
        let want = need.max(amount.saturating_mul(LEASE_SLICE));
        let grown: Grown = retrying!(link, |conn| {
            sqlx::query_as(
                "select taken, available, refused, resets_at, period
                 from ledger_lease_grow($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(key.0)
            .bind(key.1.key())
            .bind(key.1.member())
            .bind(lease)
            .bind(need)
            .bind(want)
            .bind(LEASE_TTL)
            .bind(Uuid::now_v7())
            .fetch_one(conn)
        })?;
        let siblings = {
            let mut state = lock(inner);
            state.accounts.entry(key.0).or_default().available = grown.available;
            let lacking = matches!(grown.refused.as_deref(), Some("credits" | "member_budget"));
            if lacking && !siblings_returned {
                siblings_returned = true;
                state.unused_siblings(key)
            } else {
                Vec::new()
            }
        };
        if !siblings.is_empty() {
            give_back(link, inner, &siblings).await;
            continue;
        }
        let mut state = lock(inner);
        match grown.refused.as_deref() {
            Some("key_cap") => return Err(LedgerError::SpendCapReached),
            Some("member_budget") => {
                return Err(LedgerError::MemberBudgetExceeded {
                    period: grown.period.unwrap_or_default(),
                    resets_at: grown.resets_at,
                })
            }
            Some("not_member") => return Err(LedgerError::NotMember),
            Some("ended") => return Err(LedgerError::EnrollmentEnded),
            // Taken in a budget period that has ended: the next try takes
            // a new lease in the current one.
            Some("period_ended") => state.retire(lease),
            Some(_) => return Err(LedgerError::InsufficientCredits),
            None => {
                // The database's clock decides the period; this process's
                // may differ a little, so a lease serves at least a moment.
                let until = grown.resets_at.map(|at| {
                    let left = at - time::OffsetDateTime::now_utc();
                    std::time::Instant::now()
                        + std::time::Duration::try_from(left)
                            .unwrap_or_default()
                            .max(std::time::Duration::from_secs(1))
                });
                state.grew(key, lease, grown.taken, grown.available, until);
            }
        }
    }
    lock(inner)
        .take(key, amount, ttl)
        .ok_or(LedgerError::InsufficientCredits)
}

/// What `ledger_lease_grow` answers.
#[derive(sqlx::FromRow)]
struct Grown {
    taken: i64,
    available: i64,
    refused: Option<String>,
    resets_at: Option<time::OffsetDateTime>,
    period: Option<String>,
}

/// One charge on its way to the database.
struct Waiting {
    hold: Uuid,
    open: Open,
    key: Option<String>,
    charge: i64,
    overrun: i64,
    reply: oneshot::Sender<Result<ClosedWith, LedgerError>>,
}

/// Usage past a reservation, as `ledger_lease_charge` reads it.
#[derive(serde::Serialize)]
struct Overrun {
    lease: Uuid,
    request: Uuid,
    amount: i64,
}

/// A lease `ledger_lease_charge` charged: its account's balance after, and
/// what its overruns collected from the account.
#[derive(sqlx::FromRow)]
struct ChargedLease {
    lease: Uuid,
    account_id: Uuid,
    available: Option<i64>,
    collected: i64,
}

/// Posts a batch of charges (and usage records) in one durable commit.
async fn charge(link: &mut Link, inner: &Inner, ops: Vec<Op>) {
    let mut leases: Vec<Uuid> = Vec::new();
    let mut totals: Vec<i64> = Vec::new();
    let mut records = Vec::new();
    let mut overruns = Vec::new();
    let mut waiting = Vec::new();
    {
        let state = lock(inner);
        for op in ops {
            let Op::Charge {
                hold,
                key,
                charge,
                overrun,
                usage,
                reply,
            } = op
            else {
                continue;
            };
            let Some(open) = state.open.get(&hold).copied() else {
                let _ = reply.send(Err(LedgerError::UnknownHold));
                continue;
            };
            match leases.iter().position(|l| *l == open.lease) {
                Some(i) => totals[i] += charge,
                None => {
                    leases.push(open.lease);
                    totals.push(charge);
                }
            }
            if overrun > 0 {
                overruns.push(Overrun {
                    lease: open.lease,
                    request: usage.as_ref().map_or(hold, |record| record.id),
                    amount: overrun,
                });
            }
            if let Some(mut record) = usage {
                record.hold_id = Some(open.lease);
                // The whole price: what the reservation held, and past it.
                record.credits = charge.saturating_add(overrun);
                records.push(record);
            }
            waiting.push(Waiting {
                hold,
                open,
                key,
                charge,
                overrun,
                reply,
            });
        }
    }
    // How well group commit groups: charges per durable commit.
    metrics::histogram!(super::Batcher::BATCH_SIZE_METRIC).record(waiting.len() as f64);
    let records = sqlx::types::Json(records);
    let overruns = sqlx::types::Json(overruns);
    let posted: Result<Vec<ChargedLease>, LedgerError> = retrying!(link, |conn| {
        sqlx::query_as(
                "select lease, account_id, available, collected from ledger_lease_charge($1, $2, $3, $4)",
            )
            .bind(&leases)
            .bind(&totals)
            .bind(&records)
            .bind(&overruns)
            .fetch_all(conn)
    });
    let mut state = lock(inner);
    let posted = match posted {
        Ok(rows) => rows,
        Err(error) => {
            for w in waiting {
                if let Some(open) = state.open.get_mut(&w.hold) {
                    open.closing = false;
                }
                let _ = w.reply.send(Err(error.clone()));
            }
            return;
        }
    };
    let charged: HashSet<&Uuid> = leases
        .iter()
        .zip(&totals)
        .filter(|(_, total)| **total > 0)
        .map(|(lease, _)| lease)
        .collect();
    // What each lease's overruns collected, handed out in order as the
    // database took it.
    let mut collected: HashMap<Uuid, i64> = HashMap::new();
    for row in &posted {
        collected.insert(row.lease, row.collected);
        let Some(here) = state.accounts.get_mut(&row.account_id) else {
            continue;
        };
        if let Some(available) = row.available {
            here.available = available;
        }
        if let Some(lease) = here.leases.iter_mut().find(|l| l.id == row.lease) {
            lease.unposted |= charged.contains(&lease.id) || row.collected > 0;
        }
    }
    for w in waiting {
        let Some(left) = collected.get_mut(&w.open.lease) else {
            // The lease expired under us: nothing was posted.
            tracing::error!(hold = %w.hold, lease = %w.open.lease, "a charge found its lease closed");
            if let Some(open) = state.open.get_mut(&w.hold) {
                open.closing = false;
            }
            let _ = w
                .reply
                .send(Err(LedgerError::HoldClosed(HoldStatus::Expired)));
            continue;
        };
        let got = w.overrun.min(*left);
        *left -= got;
        if got > 0 {
            state.collected(w.hold, got);
        }
        if w.overrun > got {
            tracing::warn!(hold = %w.hold, uncollected = w.overrun - got, "usage past the account's credit, posted as uncollected");
        }
        let status = if w.key.is_some() {
            HoldStatus::Settled
        } else {
            HoldStatus::Released
        };
        let charge = w.charge + got;
        state.finish(w.hold, charge, status, w.key);
        let _ = w.reply.send(Ok(ClosedWith {
            closed: Closed {
                account: w.open.account,
                held: Credits::from_micros(w.open.amount + got),
                charged: Credits::from_micros(charge),
            },
            available: Credits::from_micros(state.available(w.open.account)),
        }));
    }
}

/// Frees reservations past their time, returns idle leases (all unused ones
/// with `all`), posts the others' new charges to the ledger and renews them,
/// for the accounts of this writer.
async fn tend(link: &mut Link, inner: &Inner, shard: Shard, all: bool) {
    let now = Instant::now();
    let tending = lock(inner).tend(|account| shard.owns(account), all, now);
    let (returned, unposted, renew) = (tending.returned, tending.unposted, tending.renew);
    give_back(link, inner, &returned).await;
    if !unposted.is_empty() {
        post(link, inner, &unposted).await;
    }
    if !renew.is_empty() {
        let renewed: Result<Vec<Uuid>, LedgerError> = retrying!(link, |conn| {
            sqlx::query_scalar("select ledger_lease_renew($1, $2)")
                .bind(&renew)
                .bind(LEASE_TTL)
                .fetch_all(conn)
        });
        match renewed {
            Ok(renewed) => lock(inner).each_lease(&renewed, |lease| lease.renewed = now),
            Err(error) => tracing::error!(%error, "renewing leases"),
        }
    }
}

/// Closes `leases` (forgotten in memory already): their charges are
/// posted, the rest goes back to their accounts.
async fn give_back(link: &mut Link, inner: &Inner, leases: &[Uuid]) {
    for &lease in leases {
        let closed: Result<Option<(Uuid, i64)>, LedgerError> = retrying!(link, |conn| {
            sqlx::query_as(
                "select account_id, available from ledger_lease_close($1, 'released', false, $2, $3)",
            )
            .bind(lease)
            .bind(Uuid::now_v7())
            .bind(Uuid::now_v7())
            .fetch_optional(conn)
        });
        match closed {
            Ok(Some((account, available))) => {
                if let Some(leases) = lock(inner).accounts.get_mut(&account) {
                    leases.available = available;
                }
            }
            Ok(None) => tracing::warn!(%lease, "a returned lease was already closed"),
            Err(error) => tracing::error!(%lease, %error, "returning a lease"),
        }
    }
}

/// Posts what `leases` charged since their last posting to the ledger. The
/// charges are durable already; one not posted now is posted next time.
async fn post(link: &mut Link, inner: &Inner, leases: &[Uuid]) {
    let txs: Vec<Uuid> = leases.iter().map(|_| Uuid::now_v7()).collect();
    let posted: Result<Vec<Uuid>, LedgerError> = retrying!(link, |conn| {
        sqlx::query_scalar("select ledger_lease_post($1, $2)")
            .bind(leases)
            .bind(&txs)
            .fetch_all(conn)
    });
    match posted {
        Ok(_) => {
            // The database posts whatever is unposted, so every lease asked
            // about is up to date (charges come only from this writer).
            let now = Instant::now();
            lock(inner).each_lease(leases, |lease| {
                lease.unposted = false;
                lease.posted = now;
            });
        }
        Err(error) => tracing::error!(%error, "posting lease charges"),
    }
}

/// A writer's own connection, taken from the pool once and kept: a charge
/// is one round trip, with no pool checkout or return around it. Dropped
/// after an error that is not the database's answer, and taken again.
struct Link {
    pool: PgPool,
    conn: Option<PoolConnection<Postgres>>,
}

impl Link {
    async fn conn(&mut self) -> Result<&mut PgConnection, LedgerError> {
        if self.conn.is_none() {
            self.conn = Some(self.pool.acquire().await?);
        }
        self.conn.as_deref_mut().ok_or_else(stopped)
    }
}
