//! The request path's reservations, made in memory from leases, and its
//! charges, posted in group commits: the public face of the leases
//! ([`super::leases`], pure bookkeeping) and the writers ([`super::writer`],
//! the database side).
//!
//! A lease is an open hold on an account (and on the API key spending it)
//! that this process takes once and then reserves from request by request,
//! under a mutex, with no database round trip. When a request's reservation
//! does not fit, the lease grows by a slice of the account's credit in one
//! conditional statement (`ledger_lease_grow`): the database still decides
//! what the account can pay, so no process, however many run, can reserve
//! more than the account has.
//!
//! Charges go through a few writer tasks, chosen by account; a caller hears
//! back only once its charge is durable. The ledger follows within
//! `POST_EVERY`: on its tick, a writer posts what each lease charged since
//! its last posting with `ledger_lease_post`, from the account's reserved
//! balance to the treasury, one settlement transaction per lease. Until then
//! the charged credit still counts as reserved, never as available. The
//! writers also return leases idle for a while (posting what is left) and
//! renew the rest. If the process dies, its leases expire and the sweeper
//! closes them: what was charged stands and is posted, the rest goes back to
//! the account.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::leases::{Spender, State};
use super::writer::{self, lock, shard_of, stopped, Op, Shard};
use super::{Closed, HoldStatus, LedgerError, UsageRecord};
use crate::domain::credits::Credits;

/// Queued operations per writer before callers wait for room.
const QUEUE: usize = 8192;

/// A handle on the leases and writers; cheap to clone.
#[derive(Clone, Debug)]
pub struct Batcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub state: Mutex<State>,
    pub writers: Vec<mpsc::Sender<Op>>,
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

/// What a metered call adds when it closes: its usage record, written with
/// its charge.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub usage: Option<UsageRecord>,
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
            tokio::spawn(writer::write(
                pool.clone(),
                Arc::downgrade(&inner),
                shard,
                rx,
            ));
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
        self.reserve_for(account, amount, ttl, Spender::Account)
            .await
    }

    /// [`Self::reserve`] for `spender`: with an API key, also held against
    /// its spend cap (`SpendCapReached` when it would pass it); on a team's
    /// pool, against the budget of the key's creator or of the member
    /// (`MemberBudgetExceeded`, or `NotMember` for someone not in the team).
    pub async fn reserve_for(
        &self,
        account: Uuid,
        amount: Credits,
        ttl: time::Duration,
        spender: Spender,
    ) -> Result<Reserved, LedgerError> {
        let amount = amount.micros();
        if amount <= 0 {
            return Err(LedgerError::NonPositiveAmount);
        }
        let ttl = Duration::try_from(ttl).unwrap_or(Duration::from_secs(600));
        let key = (account, spender);
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
        let charge = actual.micros();
        if charge < 0 {
            return Err(LedgerError::NonPositiveAmount);
        }
        self.close(account, hold, Some(key), charge, None, false)
            .await
    }

    /// [`Self::settle`] for a metered call: writes its usage record with the
    /// charge, and charges `actual` in full even past what is held (usage an
    /// upstream reported beyond the reservation): the rest comes from the
    /// lease's free credit, then from the account's available credit, and
    /// what the account does not have is posted as uncollected. The answer's
    /// `charged` is what the account paid.
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
        self.close(account, hold, Some(key), charge, context.usage, true)
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
        self.close(account, hold, None, 0, context.usage, false)
            .await
    }

    /// Releases `hold` in memory if it is still open and nothing is closing
    /// it: for a request abandoned mid-way, when its client went away.
    pub fn abandon(&self, hold: Uuid) {
        let mut state = self.state();
        if state.open.get(&hold).is_some_and(|o| !o.closing) {
            state.finish(hold, 0, HoldStatus::Released, None);
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
        usage: Option<UsageRecord>,
        overrun_allowed: bool,
    ) -> Result<ClosedWith, LedgerError> {
        let mut charge = charge;
        let mut overrun = 0;
        {
            let mut state = self.state();
            let Some(open) = state.open.get(&hold).filter(|o| !o.closing).copied() else {
                return state.unclosable(hold, key);
            };
            if charge > open.amount {
                if !overrun_allowed {
                    return Err(LedgerError::ChargeExceedsHold { held: open.amount });
                }
                // What the lease has free here covers what it can; the
                // writer collects the rest from the account.
                let past = charge - open.amount;
                let extended = state.extend(hold, past);
                charge = open.amount + extended;
                overrun = past - extended;
            }
            let Some(open) = state.open.get_mut(&hold) else {
                return Err(LedgerError::UnknownHold);
            };
            if charge == 0 && usage.is_none() {
                // Nothing to write: closed in memory.
                let status = if key.is_some() {
                    HoldStatus::Settled
                } else {
                    HoldStatus::Released
                };
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
            overrun,
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

/// What `/metrics` reads of the leases and writers, sampled when scraped
/// (nothing on the request path pays for it).
impl Batcher {
    /// The histogram of charges per group commit, recorded by the writers.
    pub const BATCH_SIZE_METRIC: &'static str = "ledger_batch_size";

    /// Leases this process holds open in the database.
    pub fn leases_open(&self) -> usize {
        self.state().accounts.values().map(|a| a.leases.len()).sum()
    }

    /// Reservations open on those leases (requests in flight).
    pub fn reservations_open(&self) -> usize {
        self.state().open.len()
    }

    /// Operations waiting in each writer's queue, by writer.
    pub fn queue_depths(&self) -> Vec<usize> {
        self.inner
            .writers
            .iter()
            .map(|writer| writer.max_capacity() - writer.capacity())
            .collect()
    }
}
