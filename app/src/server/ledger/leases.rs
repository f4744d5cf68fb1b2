//! The bookkeeping of leases and the reservations made from them, in
//! memory: a pure state machine with no I/O, so every rule is unit-tested
//! here and the writer ([`super::writer`]) only carries its decisions to the
//! database.
//!
//! A lease is a slice of an account's credit (optionally bound to one API
//! key) that this process holds in the database. A reservation takes from a
//! lease's free credit; closing it moves its charge to the lease's
//! `charged` and frees the rest. Closed reservations are remembered for a
//! while so that a retried settlement answers as the first one did.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{Closed, ClosedWith, HoldStatus, LedgerError, Reserved};
use crate::domain::credits::Credits;

/// Closed reservations remembered, for idempotent retries.
const REMEMBERED: usize = 65_536;
/// Returned to its account after this long without a reservation.
pub(super) const IDLE: Duration = Duration::from_secs(5);
/// Renewed this often while in use.
pub(super) const RENEW_EVERY: Duration = Duration::from_secs(30);
/// A lease's charges reach the ledger at most this long after they are
/// made; in between they still count as reserved.
pub(super) const POST_EVERY: Duration = Duration::from_secs(2);

/// Who a lease serves besides its account: requests made with an API key
/// (its spend cap, and on a team's pool its creator's budget), a member
/// spending a team's pool without a key (the playground: their budget), or
/// the account alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Spender {
    Account,
    Key(Uuid),
    Member(Uuid),
}

impl Spender {
    /// The API key, if requests are made with one.
    pub fn key(self) -> Option<Uuid> {
        match self {
            Self::Key(key) => Some(key),
            Self::Account | Self::Member(_) => None,
        }
    }

    /// The member spending without a key, if any.
    pub fn member(self) -> Option<Uuid> {
        match self {
            Self::Member(user) => Some(user),
            Self::Account | Self::Key(_) => None,
        }
    }
}

/// Leases are per account and spender.
pub(super) type LeaseKey = (Uuid, Spender);

/// Every lease and open reservation of this process.
#[derive(Debug, Default)]
pub(super) struct State {
    pub accounts: HashMap<Uuid, AccountLeases>,
    pub open: HashMap<Uuid, Open>,
    closed: HashMap<Uuid, Done>,
    closed_order: VecDeque<Uuid>,
}

#[derive(Debug, Default)]
pub(super) struct AccountLeases {
    /// The account's available balance as the database last reported it.
    pub available: i64,
    pub leases: Vec<Lease>,
}

#[derive(Debug)]
pub(super) struct Lease {
    pub id: Uuid,
    pub spender: Spender,
    /// Taken from the account, charged from it, and reserved from it by
    /// requests in flight (including those whose charge is being posted).
    pub amount: i64,
    pub charged: i64,
    pub reserved: i64,
    /// Charged since its last posting to the ledger.
    pub unposted: bool,
    pub posted: Instant,
    pub used: Instant,
    pub renewed: Instant,
    /// When the budget period it was taken in ends (a member's budget in
    /// an organization): from then on it takes no new reservations, and
    /// is returned once those in flight are done.
    pub until: Option<Instant>,
    /// Past its period: no new reservations, returned when unused.
    pub retired: bool,
}

impl Lease {
    fn new(id: Uuid, spender: Spender, amount: i64, now: Instant) -> Self {
        Self {
            id,
            spender,
            amount,
            charged: 0,
            reserved: 0,
            unposted: false,
            posted: now,
            used: now,
            renewed: now,
            until: None,
            retired: false,
        }
    }

    /// What is neither charged nor reserved.
    pub fn free(&self) -> i64 {
        self.amount - self.charged - self.reserved
    }
}

/// An open reservation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Open {
    pub account: Uuid,
    pub lease: Uuid,
    pub amount: i64,
    pub expires: Instant,
    /// A charge or release of it is on its way to the database.
    pub closing: bool,
}

#[derive(Debug, Clone)]
struct Done {
    closed: Closed,
    status: HoldStatus,
    key: Option<String>,
}

/// What a writer's tick does for its accounts.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Tending {
    /// Leases to close (idle, nothing reserved); closing posts their charges.
    pub returned: Vec<Uuid>,
    /// Leases whose charges are due to be posted.
    pub unposted: Vec<Uuid>,
    /// Leases due for renewal.
    pub renew: Vec<Uuid>,
}

impl State {
    /// The lease of `key` that takes reservations, if this process holds
    /// one. A lease whose budget period has ended is retired here.
    pub fn lease(&mut self, (account, spender): LeaseKey) -> Option<&mut Lease> {
        let now = Instant::now();
        let lease = self
            .accounts
            .get_mut(&account)?
            .leases
            .iter_mut()
            .find(|l| l.spender == spender && !l.retired)?;
        if lease.until.is_some_and(|until| until <= now) {
            lease.retired = true;
            return None;
        }
        Some(lease)
    }

    /// Takes no more reservations on the lease `id` (its budget period
    /// ended, as the database says); it is returned once unused.
    pub fn retire(&mut self, id: Uuid) {
        self.each_lease(&[id], |lease| lease.retired = true);
    }

    /// Applies `change` to each of the leases `ids` still held here.
    pub fn each_lease(&mut self, ids: &[Uuid], mut change: impl FnMut(&mut Lease)) {
        let ids: HashSet<&Uuid> = ids.iter().collect();
        self.accounts
            .values_mut()
            .flat_map(|a| a.leases.iter_mut())
            .filter(|l| ids.contains(&l.id))
            .for_each(&mut change);
    }

    /// What the account can still reserve: its balance in the database plus
    /// what its leases here have free.
    pub fn available(&self, account: Uuid) -> i64 {
        self.accounts.get(&account).map_or(0, |a| {
            a.available + a.leases.iter().map(Lease::free).sum::<i64>()
        })
    }

    /// Reserves from the lease in memory, if it has room.
    pub fn take(&mut self, key: LeaseKey, amount: i64, ttl: Duration) -> Option<Reserved> {
        let now = Instant::now();
        let lease = self.lease(key)?;
        if lease.free() < amount {
            return None;
        }
        lease.reserved += amount;
        lease.used = now;
        let open = Open {
            account: key.0,
            lease: lease.id,
            amount,
            expires: now + ttl,
            closing: false,
        };
        let hold = Uuid::now_v7();
        self.open.insert(hold, open);
        Some(Reserved {
            hold,
            available: Credits::from_micros(self.available(key.0)),
        })
    }

    /// Adds up to `want` of its lease's free credit to the open reservation
    /// `hold` (for usage past what it held); returns how much.
    pub fn extend(&mut self, hold: Uuid, want: i64) -> i64 {
        let Some(open) = self.open.get(&hold).copied() else {
            return 0;
        };
        let Some(lease) = self
            .accounts
            .get_mut(&open.account)
            .and_then(|a| a.leases.iter_mut().find(|l| l.id == open.lease))
        else {
            return 0;
        };
        let added = want.min(lease.free()).max(0);
        lease.reserved += added;
        if let Some(open) = self.open.get_mut(&hold) {
            open.amount += added;
        }
        added
    }

    /// Records that the database took `collected` more of the account's
    /// credit into the lease of the open reservation `hold`, for it to
    /// charge (usage past what it held).
    pub fn collected(&mut self, hold: Uuid, collected: i64) {
        let Some(open) = self.open.get_mut(&hold) else {
            return;
        };
        open.amount += collected;
        let open = *open;
        if let Some(lease) = self
            .accounts
            .get_mut(&open.account)
            .and_then(|a| a.leases.iter_mut().find(|l| l.id == open.lease))
        {
            lease.amount += collected;
            lease.reserved += collected;
        }
    }

    /// Records what the database answered to growing the lease `lease` of
    /// `key` by `taken` (a new lease when this process has none by that
    /// id), with the account's balance after it.
    /// `until` is when its budget period ends, if it is under a budget.
    pub fn grew(
        &mut self,
        key: LeaseKey,
        lease: Uuid,
        taken: i64,
        available: i64,
        until: Option<Instant>,
    ) {
        let account = self.accounts.entry(key.0).or_default();
        account.available = available;
        match account.leases.iter_mut().find(|l| l.id == lease) {
            Some(existing) => existing.amount += taken,
            None => {
                let mut new = Lease::new(lease, key.1, taken, Instant::now());
                new.until = until;
                account.leases.push(new);
            }
        }
    }

    /// Ends a reservation: off its lease's reserved credit, onto its charged
    /// credit, and remembered for retries.
    pub fn finish(
        &mut self,
        hold: Uuid,
        charged: i64,
        status: HoldStatus,
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
    pub fn unclosable(&self, hold: Uuid, key: Option<&str>) -> Result<ClosedWith, LedgerError> {
        match self.closed.get(&hold) {
            Some(done)
                if done.status == HoldStatus::Settled
                    && key.is_some()
                    && done.key.as_deref() == key =>
            {
                Ok(ClosedWith {
                    closed: done.closed,
                    available: Credits::from_micros(self.available(done.closed.account)),
                })
            }
            Some(done) => Err(LedgerError::HoldClosed(done.status)),
            None if self.open.contains_key(&hold) => Err(LedgerError::HoldClosing),
            None => Err(LedgerError::UnknownHold),
        }
    }

    /// Forgets and names the other leases of `key`'s account that have free
    /// credit and nothing in flight, to be returned: a refused grow (the
    /// balance, or a budget, taken up by them) tries again without them.
    pub fn unused_siblings(&mut self, key: LeaseKey) -> Vec<Uuid> {
        let Some(account) = self.accounts.get_mut(&key.0) else {
            return Vec::new();
        };
        let mut unused = Vec::new();
        account.leases.retain(|lease| {
            let sibling = lease.spender != key.1 || lease.retired;
            if sibling && lease.reserved == 0 && lease.free() > 0 {
                unused.push(lease.id);
                return false;
            }
            true
        });
        unused
    }

    /// Frees the reservations of `owns`'s accounts past their time and
    /// decides which leases to return (idle, or every unused one with
    /// `all`), post and renew. Returned leases are forgotten here at once.
    pub fn tend(&mut self, owns: impl Fn(Uuid) -> bool, all: bool, now: Instant) -> Tending {
        let expired: Vec<Uuid> = self
            .open
            .iter()
            .filter(|(_, o)| o.expires <= now && !o.closing && owns(o.account))
            .map(|(hold, _)| *hold)
            .collect();
        for hold in expired {
            self.finish(hold, 0, HoldStatus::Expired, None);
        }
        let mut tending = Tending::default();
        for (_, account) in self.accounts.iter_mut().filter(|(id, _)| owns(**id)) {
            account.leases.retain(|lease| {
                let idle =
                    lease.reserved == 0 && (all || lease.retired || now - lease.used >= IDLE);
                if idle {
                    tending.returned.push(lease.id);
                    return false;
                }
                if lease.unposted && now - lease.posted >= POST_EVERY {
                    tending.unposted.push(lease.id);
                }
                if now - lease.renewed >= RENEW_EVERY {
                    tending.renew.push(lease.id);
                }
                true
            });
        }
        self.accounts
            .retain(|id, a| !owns(*id) || !a.leases.is_empty());
        tending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn with_lease(amount: i64) -> (State, LeaseKey, Uuid) {
        let mut state = State::default();
        let key = (Uuid::now_v7(), Spender::Key(Uuid::now_v7()));
        let lease = Uuid::now_v7();
        state.grew(key, lease, amount, 500, None);
        (state, key, lease)
    }

    #[test]
    fn reservations_come_from_the_lease_until_it_is_used_up() {
        let (mut state, key, _) = with_lease(100);
        let first = state.take(key, 60, TTL).expect("fits");
        assert_eq!(first.available.micros(), 500 + 40);
        assert!(state.take(key, 41, TTL).is_none(), "only 40 left");
        assert!(
            state.take((key.0, Spender::Account), 1, TTL).is_none(),
            "another key's lease"
        );
        state.take(key, 40, TTL).expect("exactly what is left");
        assert_eq!(state.available(key.0), 500);
    }

    #[test]
    fn a_refused_grow_returns_the_accounts_other_unused_leases_first() {
        let account = Uuid::now_v7();
        let (mine, idle, busy) = (
            (account, Spender::Member(Uuid::now_v7())),
            (account, Spender::Key(Uuid::now_v7())),
            (account, Spender::Key(Uuid::now_v7())),
        );
        let mut state = State::default();
        let (idle_lease, busy_lease) = (Uuid::now_v7(), Uuid::now_v7());
        state.grew(mine, Uuid::now_v7(), 10, 0, None);
        state.grew(idle, idle_lease, 10, 0, None);
        state.grew(busy, busy_lease, 10, 0, None);
        state.take(busy, 5, TTL).expect("in flight");
        assert_eq!(state.unused_siblings(mine), vec![idle_lease]);
        assert!(state.lease(idle).is_none(), "forgotten, to be returned");
        assert!(state.lease(busy).is_some(), "a reservation is in flight");
        assert!(state.lease(mine).is_some(), "its own lease stays");
        assert!(state.unused_siblings(mine).is_empty());
    }

    #[test]
    fn a_lease_past_its_budget_period_takes_nothing_more_and_is_returned_when_unused() {
        let mut state = State::default();
        let key = (Uuid::now_v7(), Spender::Key(Uuid::now_v7()));
        let lease = Uuid::now_v7();
        let now = Instant::now();
        state.grew(key, lease, 100, 0, Some(now + Duration::from_millis(50)));
        let hold = state.take(key, 10, TTL).expect("within its period").hold;
        std::thread::sleep(Duration::from_millis(60));
        assert!(state.take(key, 10, TTL).is_none(), "its period is over");
        assert!(state.lease(key).is_none(), "retired");
        // A new lease for the same key serves the new period.
        let next = Uuid::now_v7();
        state.grew(key, next, 50, 0, None);
        assert_eq!(state.lease(key).map(|l| l.id), Some(next));
        // The retired one is returned once its reservation is done, however
        // recently it was used.
        let tending = state.tend(|_| true, false, Instant::now());
        assert!(tending.returned.is_empty(), "a reservation is in flight");
        state.finish(hold, 10, HoldStatus::Settled, None);
        let tending = state.tend(|_| true, false, Instant::now());
        assert_eq!(tending.returned, vec![lease]);
        // The database says a lease's period ended: retired at once.
        state.retire(next);
        assert!(state.lease(key).is_none());
    }

    #[test]
    fn a_settled_reservation_moves_its_charge_and_frees_the_rest() {
        let (mut state, key, _) = with_lease(100);
        let hold = state.take(key, 60, TTL).expect("fits").hold;
        let closed = state
            .finish(hold, 25, HoldStatus::Settled, Some("k".to_owned()))
            .expect("open");
        assert_eq!(closed.charged.micros(), 25);
        assert_eq!(closed.held.micros(), 60);
        let lease = state.lease(key).expect("lease");
        assert_eq!((lease.charged, lease.reserved, lease.free()), (25, 0, 75));
        // A retry with the same key answers as the first time; others are refused.
        assert_eq!(
            state.unclosable(hold, Some("k")).map(|c| c.closed),
            Ok(closed)
        );
        assert_eq!(
            state.unclosable(hold, Some("other")),
            Err(LedgerError::HoldClosed(HoldStatus::Settled))
        );
        assert_eq!(
            state.unclosable(Uuid::now_v7(), None),
            Err(LedgerError::UnknownHold)
        );
    }

    #[test]
    fn usage_past_a_reservation_takes_the_lease_free_credit_then_what_the_database_collected() {
        let (mut state, key, _) = with_lease(100);
        let first = state.take(key, 30, TTL).expect("fits").hold;
        let second = state.take(key, 50, TTL).expect("fits").hold;
        // 20 are free: an overrun of 35 gets them, the other 15 come from the database.
        assert_eq!(state.extend(first, 35), 20);
        assert_eq!(state.extend(first, 1), 0, "nothing free is left");
        state.collected(first, 15);
        let closed = state
            .finish(first, 65, HoldStatus::Settled, Some("a".to_owned()))
            .expect("open");
        assert_eq!((closed.held.micros(), closed.charged.micros()), (65, 65));
        let lease = state.lease(key).expect("lease");
        assert_eq!(
            (lease.amount, lease.charged, lease.reserved, lease.free()),
            (115, 65, 50, 0)
        );
        state.finish(second, 10, HoldStatus::Settled, Some("b".to_owned()));
        assert_eq!(state.lease(key).expect("lease").free(), 40);
    }

    #[test]
    fn a_hold_being_closed_cannot_be_closed_twice() {
        let (mut state, key, _) = with_lease(100);
        let hold = state.take(key, 10, TTL).expect("fits").hold;
        if let Some(open) = state.open.get_mut(&hold) {
            open.closing = true;
        }
        assert_eq!(state.unclosable(hold, None), Err(LedgerError::HoldClosing));
    }

    #[test]
    fn tending_expires_old_reservations_and_returns_idle_leases() {
        let (mut state, key, lease) = with_lease(100);
        let hold = state.take(key, 10, Duration::ZERO).expect("fits").hold;
        let now = Instant::now() + IDLE;
        let tending = state.tend(|_| true, false, now);
        assert_eq!(tending.returned, vec![lease]);
        assert_eq!(
            state.unclosable(hold, None),
            Err(LedgerError::HoldClosed(HoldStatus::Expired))
        );
        assert!(state.accounts.is_empty(), "the returned lease is forgotten");
    }

    #[test]
    fn tending_posts_and_renews_leases_in_use_and_skips_other_shards() {
        let (mut state, key, lease) = with_lease(100);
        let hold = state.take(key, 10, TTL).expect("fits").hold;
        state.finish(hold, 5, HoldStatus::Settled, Some("a".to_owned()));
        state.each_lease(&[lease], |l| l.unposted = true);
        state.take(key, 10, TTL).expect("still in use");
        assert_eq!(
            state.tend(|_| false, true, Instant::now()),
            Tending::default()
        );
        let later = Instant::now() + RENEW_EVERY;
        let tending = state.tend(|_| true, false, later);
        assert_eq!(
            tending.returned,
            Vec::<Uuid>::new(),
            "a reservation is open"
        );
        assert_eq!(tending.unposted, vec![lease]);
        assert_eq!(tending.renew, vec![lease]);
    }
}
