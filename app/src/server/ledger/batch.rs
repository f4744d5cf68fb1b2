//! The request path's reservations, made in memory from leases, and its
//! charges, posted in group commits.
//!
//! A lease is an open hold on an account (and on the API key spending it)
//! that this process takes once and then reserves from request by request,
//! under a mutex, with no database round trip. When a request's reservation
//! does not fit, the lease grows by a slice of the account's credit in one
//! conditional statement (`ledger_lease_grow`): the database still decides
//! what the account can pay, so no process, however many run, can reserve
//! more than the account has.
//!
//! Charges go through a few writer tasks, chosen by account. A writer takes
//! whatever is queued when it becomes free (no timer: under light load a
//! batch is one charge and waits for nothing) and records it set-based with
//! `ledger_lease_charge`: each lease's `charged`, the usage records and the
//! API keys' spending, in one durable commit. A caller hears back only once
//! its charge is durable.
//!
//! The ledger follows within `POST_EVERY`: on its tick, a writer posts what
//! each lease charged since its last posting with `ledger_lease_post`,
//! from the account's reserved balance to the treasury, one settlement
//! transaction per lease.
//! Until then the charged credit still counts as reserved, never as
//! available. The writers also return leases idle for a while (posting
//! what is left) and renew the rest. If the process dies, its leases
//! expire and the sweeper closes them: what was charged stands and is
//! posted, the rest goes back to the account.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{Closed, LedgerError};
use crate::domain::credits::Credits;

/// Most charges one batch posts.
const MAX_BATCH: usize = 256;
/// Queued operations per writer before callers wait for room.
const QUEUE: usize = 8192;
/// Attempts at a batch that lost a deadlock or serialization race.
const ATTEMPTS: usize = 3;
/// A lease grows by at least this many times the reservation that needs it.
const LEASE_SLICE: i64 = 32;
/// How long a lease outlives its process's last renewal.
const LEASE_TTL: time::Duration = time::Duration::minutes(2);
/// Renewed this often while in use.
const RENEW_EVERY: Duration = Duration::from_secs(30);
/// Returned to its account after this long without a reservation.
const IDLE: Duration = Duration::from_secs(5);
/// How often each writer looks after its leases.
const TICK: Duration = Duration::from_millis(500);
/// A lease's charges reach the ledger at most this long after they are
/// made; in between they still count as reserved.
const POST_EVERY: Duration = Duration::from_secs(2);
/// Closed reservations remembered, for idempotent retries.
const REMEMBERED: usize = 65_536;

/// A handle on the leases and writers; cheap to clone.
#[derive(Clone, Debug)]
pub struct Batcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    writers: Vec<mpsc::Sender<Op>>,
}

/// A reservation: its id, and the credit the account has left to reserve
/// just after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    pub hold: Uuid,
    pub available: Credits,
}

/// A closed reservation and the credit the account has left just after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedWith {
    pub closed: Closed,
    pub available: Credits,
}

/// What a proxied request adds when it closes: its usage record (a JSON
/// object of `usage_records` columns), written with its charge.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub usage: Option<Value>,
}

/// Leases are per account and API key (`None` for the account alone).
type LeaseKey = (Uuid, Option<Uuid>);

#[derive(Debug, Default)]
struct State {
    accounts: HashMap<Uuid, AccountLeases>,
    open: HashMap<Uuid, Open>,
    closed: HashMap<Uuid, Done>,
    closed_order: VecDeque<Uuid>,
}

#[derive(Debug, Default)]
struct AccountLeases {
    /// The account's available balance as the database last reported it.
    available: i64,
    leases: Vec<Lease>,
}

#[derive(Debug)]
struct Lease {
    id: Uuid,
    api_key: Option<Uuid>,
    /// Taken from the account, charged from it, and reserved from it by
    /// requests in flight (including those whose charge is being posted).
    amount: i64,
    charged: i64,
    reserved: i64,
    /// Charged since its last posting to the ledger.
    unposted: bool,
    posted: Instant,
    used: Instant,
    renewed: Instant,
}

impl Lease {
    fn free(&self) -> i64 {
        self.amount - self.charged - self.reserved
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    account: Uuid,
    lease: Uuid,
    amount: i64,
    expires: Instant,
    closing: bool,
}

#[derive(Debug, Clone)]
struct Done {
    closed: Closed,
    status: &'static str,
    key: Option<String>,
}

#[derive(Debug)]
enum Op {
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
        charge: i64,
        usage: Option<Value>,
        reply: oneshot::Sender<Result<ClosedWith, LedgerError>>,
    },
    /// Look after the leases; with `all`, return every unused one now.
    Tend {
        all: bool,
        reply: Option<oneshot::Sender<()>>,
    },
}

impl State {
    fn lease(&mut self, (account, api_key): LeaseKey) -> Option<&mut Lease> {
        self.accounts
            .get_mut(&account)?
            .leases
            .iter_mut()
            .find(|l| l.api_key == api_key)
    }

    /// Applies `change` to each of the leases `ids` still held here.
    fn each_lease(&mut self, ids: &[Uuid], mut change: impl FnMut(&mut Lease)) {
        let ids: HashSet<&Uuid> = ids.iter().collect();
        self.accounts
            .values_mut()
            .flat_map(|a| a.leases.iter_mut())
            .filter(|l| ids.contains(&l.id))
            .for_each(&mut change);
    }

    /// What the account can still reserve: its balance in the database plus
    /// what its leases here have free.
    fn available(&self, account: Uuid) -> i64 {
        self.accounts.get(&account).map_or(0, |a| {
            a.available + a.leases.iter().map(Lease::free).sum::<i64>()
        })
    }

    /// Reserves from the lease in memory, if it has room.
    fn take(&mut self, key: LeaseKey, amount: i64, ttl: Duration) -> Option<Reserved> {
        let lease = self.lease(key)?;
        if lease.free() < amount {
            return None;
        }
        lease.reserved += amount;
        lease.used = Instant::now();
        let open = Open {
            account: key.0,
            lease: lease.id,
            amount,
            expires: Instant::now() + ttl,
            closing: false,
        };
        let hold = Uuid::now_v7();
        self.open.insert(hold, open);
        Some(Reserved {
            hold,
            available: Credits::from_micros(self.available(key.0)),
        })
    }

    /// Ends a reservation: off its lease's reserved credit, onto its charged
    /// credit, and remembered for retries.
    fn finish(
        &mut self,
        hold: Uuid,
        charged: i64,
        status: &'static str,
        key: Option<String>,
    ) -> Option<Closed> {
        let open = self.open.remove(&hold)?;
        if let Some(lease) = self
            .accounts
            .get_mut(&open.account)
            .and_then(|a| a.leases.iter_mut().find(|l| l.id == open.lease))
        {
            lease.reserved -= open.amount;
            lease.charged += charged;
        }
        let closed = Closed {
            account: open.account,
            held: Credits::from_micros(open.amount),
            charged: Credits::from_micros(charged),
        };
        self.closed.insert(
            hold,
            Done {
                closed,
                status,
                key,
            },
        );
        self.closed_order.push_back(hold);
        while self.closed_order.len() > REMEMBERED {
            if let Some(old) = self.closed_order.pop_front() {
                self.closed.remove(&old);
            }
        }
        Some(closed)
    }

    /// Why `hold` cannot be closed now, or the first outcome of an
    /// idempotent retry of a settlement.
    fn unclosable(&self, hold: Uuid, key: Option<&str>) -> Result<ClosedWith, LedgerError> {
        match self.closed.get(&hold) {
            Some(done)
                if done.status == "settled" && key.is_some() && done.key.as_deref() == key =>
            {
                Ok(ClosedWith {
                    closed: done.closed,
                    available: Credits::from_micros(self.available(done.closed.account)),
                })
            }
            Some(done) => Err(LedgerError::HoldClosed(done.status.to_owned())),
            None if self.open.contains_key(&hold) => {
                Err(LedgerError::HoldClosed("being closed".to_owned()))
            }
            None => Err(LedgerError::UnknownHold),
        }
    }
}

impl Batcher {
    /// Starts `writers` writer tasks on the current tokio runtime.
    pub fn start(pool: PgPool, writers: usize) -> Self {
        let mut senders = Vec::new();
        let mut receivers = Vec::new();
        for _ in 0..writers.max(1) {
            let (tx, rx) = mpsc::channel(QUEUE);
            senders.push(tx);
            receivers.push(rx);
        }
        let inner = Arc::new(Inner {
            state: Mutex::new(State::default()),
            writers: senders,
        });
        let count = receivers.len();
        for (index, rx) in receivers.into_iter().enumerate() {
            let shard = Shard { index, count };
            tokio::spawn(write(pool.clone(), Arc::downgrade(&inner), shard, rx));
        }
        Self { inner }
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
        let amount = amount.micros();
        if amount <= 0 {
            return Err(LedgerError::NonPositiveAmount);
        }
        let ttl = Duration::try_from(ttl).unwrap_or(Duration::from_secs(600));
        let key = (account, api_key);
        if let Some(reserved) = self.state().take(key, amount, ttl) {
            return Ok(reserved);
        }
        let (reply, answer) = oneshot::channel();
        self.send(
            account,
            Op::Reserve {
                key,
                amount,
                ttl,
                reply,
            },
        )
        .await?;
        answer.await.map_err(|_| stopped())?
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

    /// [`Self::settle`] for a proxied request: writes its usage record with
    /// the charge.
    pub async fn settle_with(
        &self,
        account: Uuid,
        hold: Uuid,
        actual: Credits,
        key: &str,
        context: Context,
    ) -> Result<ClosedWith, LedgerError> {
        let charge = actual.micros();
        if charge < 0 {
            return Err(LedgerError::NonPositiveAmount);
        }
        self.close(account, hold, Some(key), charge, context.usage)
            .await
    }

    /// Releases a reservation without charging.
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
        self.close(account, hold, None, 0, context.usage).await
    }

    /// Releases `hold` in memory if it is still open and nothing is closing
    /// it: for a request abandoned mid-way, when its client went away.
    pub fn abandon(&self, hold: Uuid) {
        let mut state = self.state();
        if state.open.get(&hold).is_some_and(|o| !o.closing) {
            state.finish(hold, 0, "released", None);
        }
    }

    /// Returns every lease with nothing reserved to its account now, and
    /// waits until that is done (at shutdown, and in tests that read the
    /// balances in the database).
    pub async fn return_leases(&self) {
        let mut done = Vec::new();
        for writer in &self.inner.writers {
            let (reply, answer) = oneshot::channel();
            let op = Op::Tend {
                all: true,
                reply: Some(reply),
            };
            if writer.send(op).await.is_ok() {
                done.push(answer);
            }
        }
        for answer in done {
            let _ = answer.await;
        }
    }

    async fn close(
        &self,
        account: Uuid,
        hold: Uuid,
        key: Option<&str>,
        charge: i64,
        usage: Option<Value>,
    ) -> Result<ClosedWith, LedgerError> {
        {
            let mut state = self.state();
            let Some(open) = state.open.get_mut(&hold).filter(|o| !o.closing) else {
                return state.unclosable(hold, key);
            };
            if charge > open.amount {
                return Err(LedgerError::ChargeExceedsHold { held: open.amount });
            }
            if charge == 0 && usage.is_none() {
                // Nothing to write: closed in memory.
                let status = if key.is_some() { "settled" } else { "released" };
                let closed = state.finish(hold, 0, status, key.map(str::to_owned));
                return closed
                    .ok_or(LedgerError::UnknownHold)
                    .map(|closed| ClosedWith {
                        closed,
                        available: Credits::from_micros(state.available(account)),
                    });
            }
            open.closing = true;
        }
        let (reply, answer) = oneshot::channel();
        let op = Op::Charge {
            hold,
            key: key.map(str::to_owned),
            charge,
            usage,
            reply,
        };
        self.send(account, op).await?;
        answer.await.map_err(|_| stopped())?
    }

    async fn send(&self, account: Uuid, op: Op) -> Result<(), LedgerError> {
        let writers = &self.inner.writers;
        writers[shard_of(account, writers.len())]
            .send(op)
            .await
            .map_err(|_| stopped())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner)
    }
}

/// One writer's part of the accounts.
#[derive(Debug, Clone, Copy)]
struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    fn owns(self, account: Uuid) -> bool {
        shard_of(account, self.count) == self.index
    }
}

fn shard_of(account: Uuid, count: usize) -> usize {
    (account.as_u128() % count.max(1) as u128) as usize
}

fn stopped() -> LedgerError {
    LedgerError::Database("the ledger writer has stopped".to_owned())
}

fn lock(inner: &Inner) -> MutexGuard<'_, State> {
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

async fn write(
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
    for _ in 0..3 {
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
        let (taken, available, refused): (i64, i64, Option<String>) = retrying!(link, |conn| {
            sqlx::query_as(
                "select taken, available, refused from ledger_lease_grow($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(key.0)
            .bind(key.1)
            .bind(lease)
            .bind(need)
            .bind(want)
            .bind(LEASE_TTL)
            .bind(Uuid::now_v7())
            .fetch_one(conn)
        })?;
        let mut state = lock(inner);
        let account = state.accounts.entry(key.0).or_default();
        account.available = available;
        match refused.as_deref() {
            Some("key_cap") => return Err(LedgerError::SpendCapReached),
            Some(_) => return Err(LedgerError::InsufficientCredits),
            None => {}
        }
        let now = Instant::now();
        match account.leases.iter_mut().find(|l| l.id == lease) {
            Some(existing) => existing.amount += taken,
            None => account.leases.push(Lease {
                id: lease,
                api_key: key.1,
                amount: taken,
                charged: 0,
                reserved: 0,
                unposted: false,
                posted: now,
                used: now,
                renewed: now,
            }),
        }
    }
    lock(inner)
        .take(key, amount, ttl)
        .ok_or(LedgerError::InsufficientCredits)
}

/// Posts a batch of charges (and usage records) in one durable commit.
async fn charge(link: &mut Link, inner: &Inner, ops: Vec<Op>) {
    let mut leases: Vec<Uuid> = Vec::new();
    let mut totals: Vec<i64> = Vec::new();
    let mut records = Vec::new();
    let mut waiting = Vec::new();
    {
        let state = lock(inner);
        for op in ops {
            let Op::Charge {
                hold,
                key,
                charge,
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
            if let Some(Value::Object(mut record)) = usage {
                record.insert("hold_id".to_owned(), Value::from(open.lease.to_string()));
                record.insert("credits".to_owned(), Value::from(charge));
                records.push(Value::Object(record));
            }
            waiting.push((hold, open, key, charge, reply));
        }
    }
    let records = Value::Array(records);
    let posted: Result<Vec<(Uuid, Uuid, Option<i64>)>, LedgerError> = retrying!(link, |conn| {
        sqlx::query_as("select lease, account_id, available from ledger_lease_charge($1, $2, $3)")
            .bind(&leases)
            .bind(&totals)
            .bind(&records)
            .fetch_all(conn)
    });
    let mut state = lock(inner);
    let posted = match posted {
        Ok(rows) => rows,
        Err(error) => {
            for (hold, _, _, _, reply) in waiting {
                if let Some(open) = state.open.get_mut(&hold) {
                    open.closing = false;
                }
                let _ = reply.send(Err(error.clone()));
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
    for (lease, account, available) in &posted {
        let Some(here) = state.accounts.get_mut(account) else {
            continue;
        };
        if let Some(available) = available {
            here.available = *available;
        }
        if let Some(lease) = here.leases.iter_mut().find(|l| l.id == *lease) {
            lease.unposted |= charged.contains(&lease.id);
        }
    }
    for (hold, open, key, charge, reply) in waiting {
        if !posted.iter().any(|(lease, _, _)| *lease == open.lease) {
            // The lease expired under us: nothing was posted.
            tracing::error!(%hold, lease = %open.lease, "a charge found its lease closed");
            if let Some(open) = state.open.get_mut(&hold) {
                open.closing = false;
            }
            let _ = reply.send(Err(LedgerError::HoldClosed("expired".to_owned())));
            continue;
        }
        let status = if key.is_some() { "settled" } else { "released" };
        state.finish(hold, charge, status, key);
        let _ = reply.send(Ok(ClosedWith {
            closed: Closed {
                account: open.account,
                held: Credits::from_micros(open.amount),
                charged: Credits::from_micros(charge),
            },
            available: Credits::from_micros(state.available(open.account)),
        }));
    }
}

/// Frees reservations past their time, returns idle leases (all unused ones
/// with `all`), posts the others' new charges to the ledger and renews them,
/// for the accounts of this writer.
async fn tend(link: &mut Link, inner: &Inner, shard: Shard, all: bool) {
    let now = Instant::now();
    let (returned, unposted, renew) = {
        let mut state = lock(inner);
        let expired: Vec<Uuid> = state
            .open
            .iter()
            .filter(|(_, o)| o.expires <= now && !o.closing && shard.owns(o.account))
            .map(|(hold, _)| *hold)
            .collect();
        for hold in expired {
            state.finish(hold, 0, "expired", None);
        }
        let mut returned = Vec::new();
        let mut unposted = Vec::new();
        let mut renew = Vec::new();
        for (_, account) in state.accounts.iter_mut().filter(|(id, _)| shard.owns(**id)) {
            account.leases.retain(|lease| {
                let idle = lease.reserved == 0 && (all || now - lease.used >= IDLE);
                if idle {
                    // Closing it posts its charges too.
                    returned.push(lease.id);
                    return false;
                }
                if lease.unposted && now - lease.posted >= POST_EVERY {
                    unposted.push(lease.id);
                }
                if now - lease.renewed >= RENEW_EVERY {
                    renew.push(lease.id);
                }
                true
            });
        }
        state
            .accounts
            .retain(|id, a| !shard.owns(*id) || !a.leases.is_empty());
        (returned, unposted, renew)
    };
    for lease in returned {
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
