//! Ledger operations against real PostgreSQL, their failure modes, a race
//! and a randomized sequence checked against a model.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;

fn c(credits: i64) -> Credits {
    Credits::from_credits(credits).expect("small amount")
}

async fn user_account(pool: &PgPool) -> Uuid {
    let mut conn = pool.acquire().await.expect("conn");
    account_for(&mut conn, Owner::User(Uuid::now_v7()))
        .await
        .expect("account")
}

async fn give(
    pool: &PgPool,
    account: Uuid,
    credits: i64,
    expires_at: Option<OffsetDateTime>,
) -> Uuid {
    let grant_request = Grant {
        account,
        amount: c(credits),
        expires_at,
        memo: Memo {
            idempotency_key: Some(Uuid::now_v7().to_string()),
            ..Memo::default()
        },
    };
    grant(pool, &grant_request).await.expect("grant")
}

/// A user (a row of `users`, for what refers to one) whose account holds
/// `credits`.
async fn user_with_credits(pool: &PgPool, email: &str, credits: i64) -> (Uuid, Uuid) {
    let user = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country)
         values ($1, $2, 'x', 'Ledger tester', 'developer', 'NL')",
    )
    .bind(user)
    .bind(email)
    .execute(pool)
    .await
    .expect("user");
    let mut conn = pool.acquire().await.expect("conn");
    let account = account_for(&mut conn, Owner::User(user))
        .await
        .expect("account");
    drop(conn);
    give(pool, account, credits, None).await;
    (user, account)
}

async fn assert_verified(pool: &PgPool) {
    let violations = verify(pool).await.expect("verify");
    assert!(violations.is_empty(), "{violations:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_grant_credits_the_account_once_per_idempotency_key(pool: PgPool) {
    let account = user_account(&pool).await;
    let request = Grant {
        account,
        amount: c(100),
        expires_at: None,
        memo: Memo {
            idempotency_key: Some("grant-1".into()),
            ..Memo::default()
        },
    };
    let first = grant(&pool, &request).await.expect("grant");
    let retry = grant(&pool, &request).await.expect("retry");
    assert_eq!(first, retry);
    assert_eq!(
        balance(&pool, account).await.expect("balance"),
        Balance {
            available: c(100).micros(),
            reserved: 0
        }
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn non_positive_amounts_are_refused(pool: PgPool) {
    let account = user_account(&pool).await;
    let request = Grant {
        account,
        amount: Credits::ZERO,
        expires_at: None,
        memo: Memo::default(),
    };
    assert_eq!(
        grant(&pool, &request).await,
        Err(LedgerError::NonPositiveAmount)
    );
    assert_eq!(
        reserve(
            &pool,
            account,
            Credits::from_micros(-1),
            Duration::minutes(1)
        )
        .await,
        Err(LedgerError::NonPositiveAmount)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reservation_beyond_the_balance_is_refused_and_moves_nothing(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    assert_eq!(
        reserve(&pool, account, c(11), Duration::minutes(1)).await,
        Err(LedgerError::InsufficientCredits)
    );
    assert_eq!(
        balance(&pool, account).await.expect("balance").available,
        c(10).micros()
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn settling_charges_the_actual_amount_and_releases_the_rest(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    let hold = reserve(&pool, account, c(4), Duration::minutes(1))
        .await
        .expect("hold");
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: c(6).micros(),
            reserved: c(4).micros()
        }
    );
    let closed = settle(&pool, hold, Credits::from_micros(1_500_000), "settle-1")
        .await
        .expect("settle");
    assert_eq!(closed.charged, Credits::from_micros(1_500_000));
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: 8_500_000,
            reserved: 0
        }
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_retried_settlement_returns_the_first_outcome_and_a_second_one_is_refused(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    let hold = reserve(&pool, account, c(4), Duration::minutes(1))
        .await
        .expect("hold");
    let first = settle(&pool, hold, c(2), "key-a").await.expect("settle");
    let retry = settle(&pool, hold, c(2), "key-a").await.expect("retry");
    assert_eq!(first, retry);
    assert_eq!(
        settle(&pool, hold, c(1), "key-b").await,
        Err(LedgerError::HoldClosed(HoldStatus::Settled))
    );
    assert_eq!(
        release(&pool, hold).await,
        Err(LedgerError::HoldClosed(HoldStatus::Settled))
    );
    assert_eq!(
        balance(&pool, account).await.expect("b").available,
        c(8).micros()
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn charging_more_than_held_or_an_unknown_hold_is_refused(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    let hold = reserve(&pool, account, c(4), Duration::minutes(1))
        .await
        .expect("hold");
    assert_eq!(
        settle(&pool, hold, c(5), "k").await,
        Err(LedgerError::ChargeExceedsHold {
            held: c(4).micros()
        })
    );
    assert_eq!(
        settle(&pool, Uuid::now_v7(), c(1), "k2").await,
        Err(LedgerError::UnknownHold)
    );
    let released = release(&pool, hold).await.expect("release");
    assert_eq!(released.charged, Credits::ZERO);
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: c(10).micros(),
            reserved: 0
        }
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn spending_takes_the_earliest_expiring_credit_first(pool: PgPool) {
    let account = user_account(&pool).await;
    let now = OffsetDateTime::now_utc();
    give(&pool, account, 5, None).await;
    give(&pool, account, 5, Some(now + Duration::days(10))).await;
    give(&pool, account, 5, Some(now + Duration::days(1))).await;
    let hold = reserve(&pool, account, c(7), Duration::minutes(1))
        .await
        .expect("hold");
    settle(&pool, hold, c(7), "k").await.expect("settle");
    let lots: Vec<(Option<OffsetDateTime>, i64)> =
        sqlx::query_as("select expires_at, remaining from credit_lots where account_id = $1 order by expires_at nulls last")
            .bind(account)
            .fetch_all(&pool)
            .await
            .expect("lots");
    let remaining: Vec<i64> = lots.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        remaining,
        vec![0, c(3).micros(), c(5).micros()],
        "1-day lot first, then the 10-day lot, never-expiring last"
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_partial_charge_returns_credit_to_the_latest_expiring_lot(pool: PgPool) {
    let account = user_account(&pool).await;
    let now = OffsetDateTime::now_utc();
    give(&pool, account, 5, Some(now + Duration::days(1))).await;
    give(&pool, account, 5, Some(now + Duration::days(9))).await;
    let hold = reserve(&pool, account, c(8), Duration::minutes(1))
        .await
        .expect("hold");
    settle(&pool, hold, c(2), "k").await.expect("settle");
    let remaining: Vec<i64> = sqlx::query_scalar(
        "select remaining from credit_lots where account_id = $1 order by expires_at",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .expect("lots");
    assert_eq!(
        remaining,
        vec![c(3).micros(), c(5).micros()],
        "the 2 charged came from the earliest lot"
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn expired_grants_go_back_to_the_treasury(pool: PgPool) {
    let account = user_account(&pool).await;
    give(
        &pool,
        account,
        5,
        Some(OffsetDateTime::now_utc() + Duration::hours(1)),
    )
    .await;
    give(&pool, account, 3, None).await;
    sqlx::query("update credit_lots set expires_at = now() - interval '1 second' where expires_at is not null")
        .execute(&pool)
        .await
        .expect("age");
    assert_eq!(expire_lots(&pool).await.expect("expire"), 1);
    assert_eq!(expire_lots(&pool).await.expect("expire again"), 0);
    assert_eq!(
        balance(&pool, account).await.expect("b").available,
        c(3).micros()
    );
    let kinds: Vec<String> =
        sqlx::query_scalar("select kind from ledger_transactions order by created_at")
            .fetch_all(&pool)
            .await
            .expect("tx");
    assert_eq!(kinds, vec!["grant", "grant", "expiry"]);
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sweeper_releases_holds_past_their_ttl_only(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    let stale = reserve(&pool, account, c(3), Duration::seconds(1))
        .await
        .expect("hold");
    let live = reserve(&pool, account, c(2), Duration::minutes(5))
        .await
        .expect("hold");
    sqlx::query("update credit_holds set expires_at = now() - interval '1 second' where id = $1")
        .bind(stale)
        .execute(&pool)
        .await
        .expect("age");
    assert_eq!(sweep_expired_holds(&pool).await.expect("sweep"), 1);
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: c(8).micros(),
            reserved: c(2).micros()
        }
    );
    assert_eq!(
        settle(&pool, stale, c(1), "late").await,
        Err(LedgerError::HoldClosed(HoldStatus::Expired))
    );
    settle(&pool, live, c(2), "k")
        .await
        .expect("live hold settles");
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn transfers_move_credit_with_its_expiry_and_never_overdraw(pool: PgPool) {
    let pool_account = user_account(&pool).await;
    let member = user_account(&pool).await;
    let expiry = OffsetDateTime::now_utc().replace_nanosecond(0).expect("ns") + Duration::days(30);
    give(&pool, pool_account, 10, Some(expiry)).await;
    let memo = Memo {
        idempotency_key: Some("t-1".into()),
        ..Memo::default()
    };
    let first = transfer(
        &pool,
        pool_account,
        member,
        c(4),
        TransferKind::Transfer,
        &memo,
    )
    .await
    .expect("transfer");
    let retry = transfer(
        &pool,
        pool_account,
        member,
        c(4),
        TransferKind::Transfer,
        &memo,
    )
    .await
    .expect("retry");
    assert_eq!(first, retry);
    assert_eq!(
        balance(&pool, member).await.expect("b").available,
        c(4).micros()
    );
    assert_eq!(
        balance(&pool, pool_account).await.expect("b").available,
        c(6).micros()
    );
    let member_expiry: Option<OffsetDateTime> =
        sqlx::query_scalar("select expires_at from credit_lots where account_id = $1")
            .bind(member)
            .fetch_one(&pool)
            .await
            .expect("lot");
    assert_eq!(member_expiry, Some(expiry));
    let too_much = transfer(
        &pool,
        pool_account,
        member,
        c(7),
        TransferKind::Allocation,
        &Memo::default(),
    )
    .await;
    assert_eq!(too_much, Err(LedgerError::InsufficientCredits));
    assert_eq!(
        transfer(
            &pool,
            member,
            member,
            c(1),
            TransferKind::Transfer,
            &Memo::default()
        )
        .await,
        Err(LedgerError::SameAccount)
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_refuses_unbalanced_or_edited_ledger_rows(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 1, None).await;
    let unbalanced = async {
        let mut tx = pool.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query("insert into ledger_transactions (id, kind) values ($1, 'adjustment')")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("insert into ledger_entries (transaction_id, account_id, bucket, amount) values ($1, $2, 'available', 5)")
            .bind(id)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    };
    assert!(
        unbalanced.await.is_err(),
        "a transaction that does not sum to zero cannot commit"
    );
    assert!(sqlx::query("update ledger_entries set amount = amount * 2")
        .execute(&pool)
        .await
        .is_err());
    assert!(sqlx::query("delete from ledger_transactions")
        .execute(&pool)
        .await
        .is_err());
    assert!(
        sqlx::query("update credit_accounts set available = -1 where id = $1")
            .bind(account)
            .execute(&pool)
            .await
            .is_err()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_hundred_concurrent_reservations_against_fifty_affordable_succeed_exactly_fifty_times(
    pool: PgPool,
) {
    let account = user_account(&pool).await;
    give(&pool, account, 50, None).await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { reserve(&pool, account, c(1), Duration::minutes(5)).await })
        })
        .collect();
    let mut holds = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(hold) => holds.push(hold),
            Err(LedgerError::InsufficientCredits) => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((holds.len(), refused), (50, 150));
    for (i, hold) in holds.into_iter().enumerate() {
        settle(&pool, hold, c(1), &format!("race-{i}"))
            .await
            .expect("settle");
    }
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: 0,
            reserved: 0
        }
    );
    assert_verified(&pool).await;
}

/// A model of what each account should hold.
#[derive(Default)]
struct Model {
    available: HashMap<Uuid, i64>,
    holds: Vec<(Uuid, Uuid, i64)>,
}

#[sqlx::test(migrations = "../migrations")]
async fn random_sequences_of_operations_keep_every_invariant(pool: PgPool) {
    let mut accounts = Vec::new();
    for _ in 0..4 {
        accounts.push(user_account(&pool).await);
    }
    for seed in 0..6_u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut model = Model::default();
        for account in &accounts {
            model.available.insert(
                *account,
                balance(&pool, *account).await.expect("b").available,
            );
        }
        for step in 0..40 {
            let account = accounts[rng.gen_range(0..accounts.len())];
            let amount = rng.gen_range(1..=5_000_000_i64);
            match rng.gen_range(0..6) {
                0 => {
                    let expires = rng
                        .gen_bool(0.5)
                        .then(|| OffsetDateTime::now_utc() + Duration::days(rng.gen_range(1..30)));
                    let request = Grant {
                        account,
                        amount: Credits::from_micros(amount),
                        expires_at: expires,
                        memo: Memo {
                            idempotency_key: Some(format!("{seed}-{step}")),
                            ..Memo::default()
                        },
                    };
                    grant(&pool, &request).await.expect("grant");
                    *model.available.entry(account).or_default() += amount;
                }
                1 => {
                    let to = accounts[rng.gen_range(0..accounts.len())];
                    let result = transfer(
                        &pool,
                        account,
                        to,
                        Credits::from_micros(amount),
                        TransferKind::Transfer,
                        &Memo::default(),
                    )
                    .await;
                    let can = model.available[&account] >= amount;
                    match result {
                        Ok(_) => {
                            assert!(can && to != account, "seed {seed} step {step}");
                            *model.available.entry(account).or_default() -= amount;
                            *model.available.entry(to).or_default() += amount;
                        }
                        Err(LedgerError::SameAccount) => assert_eq!(to, account),
                        Err(LedgerError::InsufficientCredits) => {
                            assert!(!can, "seed {seed} step {step}")
                        }
                        Err(e) => panic!("seed {seed} step {step}: {e:?}"),
                    }
                }
                2 | 3 => {
                    let can = model.available[&account] >= amount;
                    match reserve(
                        &pool,
                        account,
                        Credits::from_micros(amount),
                        Duration::minutes(5),
                    )
                    .await
                    {
                        Ok(hold) => {
                            assert!(can, "seed {seed} step {step}");
                            *model.available.entry(account).or_default() -= amount;
                            model.holds.push((hold, account, amount));
                        }
                        Err(LedgerError::InsufficientCredits) => {
                            assert!(!can, "seed {seed} step {step}")
                        }
                        Err(e) => panic!("seed {seed} step {step}: {e:?}"),
                    }
                }
                4 if !model.holds.is_empty() => {
                    let (hold, owner, held) =
                        model.holds.swap_remove(rng.gen_range(0..model.holds.len()));
                    let charge = rng.gen_range(0..=held);
                    settle(
                        &pool,
                        hold,
                        Credits::from_micros(charge),
                        &format!("s-{seed}-{step}"),
                    )
                    .await
                    .expect("settle");
                    *model.available.entry(owner).or_default() += held - charge;
                }
                _ if !model.holds.is_empty() => {
                    let (hold, owner, held) =
                        model.holds.swap_remove(rng.gen_range(0..model.holds.len()));
                    release(&pool, hold).await.expect("release");
                    *model.available.entry(owner).or_default() += held;
                }
                _ => {}
            }
            assert_verified(&pool).await;
            for account in &accounts {
                let actual = balance(&pool, *account).await.expect("b").available;
                assert_eq!(actual, model.available[account], "seed {seed} step {step}");
            }
        }
        for (hold, owner, held) in model.holds.drain(..) {
            release(&pool, hold).await.expect("release");
            *model.available.entry(owner).or_default() += held;
        }
    }
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn adjustments_add_or_remove_credit_but_never_below_zero(pool: PgPool) {
    let account = user_account(&pool).await;
    let soon = OffsetDateTime::now_utc() + Duration::days(2);
    give(&pool, account, 5, Some(soon)).await;
    adjust(
        &pool,
        account,
        c(3),
        &Memo {
            memo: Some("goodwill".into()),
            ..Memo::default()
        },
    )
    .await
    .expect("add");
    adjust(
        &pool,
        account,
        c(-6),
        &Memo {
            memo: Some("correction".into()),
            ..Memo::default()
        },
    )
    .await
    .expect("remove");
    assert_eq!(
        balance(&pool, account).await.expect("b").available,
        c(2).micros()
    );
    let expiring = expiring(&pool, account).await.expect("expiring");
    assert!(
        expiring.is_empty(),
        "the expiring lot was taken first: {expiring:?}"
    );
    assert_eq!(
        adjust(&pool, account, c(-3), &Memo::default()).await,
        Err(LedgerError::InsufficientCredits)
    );
    assert_eq!(
        adjust(&pool, account, Credits::ZERO, &Memo::default()).await,
        Err(LedgerError::NonPositiveAmount)
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn history_lists_an_accounts_movements_newest_first_with_filters(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    let hold = reserve(&pool, account, c(4), Duration::minutes(1))
        .await
        .expect("hold");
    settle(&pool, hold, c(1), "k").await.expect("settle");
    let (rows, total) = history(&pool, account, &HistoryFilter::default(), 1, 10)
        .await
        .expect("history");
    assert_eq!(total, 3);
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, vec!["settlement", "reservation", "grant"]);
    assert_eq!(
        (rows[0].available_delta, rows[0].reserved_delta),
        (c(3).micros(), -c(4).micros())
    );
    assert_eq!(
        (rows[1].available_delta, rows[1].reserved_delta),
        (-c(4).micros(), c(4).micros())
    );
    let grants = HistoryFilter {
        kind: Some("grant".into()),
        ..HistoryFilter::default()
    };
    let (rows, total) = history(&pool, account, &grants, 1, 10)
        .await
        .expect("history");
    assert_eq!((rows.len(), total), (1, 1));
    let (page2, _) = history(&pool, account, &HistoryFilter::default(), 2, 2)
        .await
        .expect("page 2");
    assert_eq!(page2.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_batcher_serves_two_hundred_concurrent_reservations_against_fifty_affordable_exactly_fifty_times(
    pool: PgPool,
) {
    let account = user_account(&pool).await;
    let bystander = user_account(&pool).await;
    give(&pool, account, 50, None).await;
    give(&pool, bystander, 10, None).await;
    let batcher = Batcher::start(pool.clone(), 2);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let batcher = batcher.clone();
            // Interleave another account so that batches mix accounts.
            let target = if i % 20 == 0 { bystander } else { account };
            tokio::spawn(async move {
                (
                    target,
                    batcher.reserve(target, c(1), Duration::minutes(5)).await,
                )
            })
        })
        .collect();
    let mut holds = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            (target, Ok(reserved)) => holds.push((target, reserved.hold)),
            (_, Err(LedgerError::InsufficientCredits)) => refused += 1,
            (_, Err(other)) => panic!("unexpected {other:?}"),
        }
    }
    // 10 reservations on the bystander (all affordable), 50 of 190 on the account.
    assert_eq!((holds.len(), refused), (60, 140));
    let settles: Vec<_> = holds
        .into_iter()
        .map(|(target, hold)| {
            let batcher = batcher.clone();
            tokio::spawn(async move {
                batcher
                    .settle(target, hold, c(1), &format!("race-{hold}"))
                    .await
            })
        })
        .collect();
    for task in settles {
        let settled = task.await.expect("task").expect("settle");
        assert_eq!(settled.closed.charged, c(1));
    }
    batcher.return_leases().await;
    for target in [account, bystander] {
        assert_eq!(
            balance(&pool, target).await.expect("b"),
            Balance {
                available: 0,
                reserved: 0
            }
        );
    }
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_batcher_keeps_the_single_operation_rules(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 10, None).await;
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = Duration::minutes(5);

    let first = batcher.reserve(account, c(4), ttl).await.expect("reserve");
    assert_eq!(first.available, c(6));
    assert_eq!(
        batcher.reserve(account, c(7), ttl).await,
        Err(LedgerError::InsufficientCredits)
    );
    assert_eq!(
        batcher.reserve(account, Credits::ZERO, ttl).await,
        Err(LedgerError::NonPositiveAmount)
    );

    // More than held is refused and leaves the hold open.
    assert_eq!(
        batcher.settle(account, first.hold, c(5), "k1").await,
        Err(LedgerError::ChargeExceedsHold {
            held: c(4).micros()
        })
    );
    let settled = batcher
        .settle(account, first.hold, c(3), "k1")
        .await
        .expect("settle");
    assert_eq!((settled.closed.charged, settled.available), (c(3), c(7)));
    // A retry with the same key returns the first outcome and moves nothing.
    let retried = batcher
        .settle(account, first.hold, c(3), "k1")
        .await
        .expect("retry");
    assert_eq!((retried.closed.charged, retried.available), (c(3), c(7)));
    assert_eq!(
        batcher.settle(account, first.hold, c(3), "other").await,
        Err(LedgerError::HoldClosed(HoldStatus::Settled))
    );
    assert_eq!(
        batcher.release(account, Uuid::now_v7()).await,
        Err(LedgerError::UnknownHold)
    );

    let second = batcher.reserve(account, c(2), ttl).await.expect("reserve");
    let released = batcher
        .release(account, second.hold)
        .await
        .expect("release");
    assert_eq!(
        (released.closed.charged, released.available),
        (Credits::ZERO, c(7))
    );
    // Still leased until returned: 7 available in memory, reserved in the database.
    batcher.return_leases().await;
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: c(7).micros(),
            reserved: 0
        }
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lease_left_by_a_dead_process_keeps_its_charges_and_returns_the_rest(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 100, None).await;
    let ttl = Duration::minutes(5);
    {
        let batcher = Batcher::start(pool.clone(), 1);
        let first = batcher.reserve(account, c(2), ttl).await.expect("reserve");
        let second = batcher.reserve(account, c(3), ttl).await.expect("reserve");
        // A third reservation still in flight when the process dies.
        batcher.reserve(account, c(1), ttl).await.expect("reserve");
        batcher
            .settle(account, first.hold, c(1), "a")
            .await
            .expect("settle");
        batcher
            .settle(account, second.hold, c(3), "b")
            .await
            .expect("settle");
        // The process dies here: nothing is returned.
    }
    // The lease took a slice of the account's credit, and the charges are
    // recorded durably against it; what of them reached the ledger before
    // the process died left the reserved balance.
    let (leased, charged, posted): (i64, i64, i64) = sqlx::query_as(
        "select amount, charged, posted from credit_holds where account_id = $1 and lease and status = 'open'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .expect("one open lease");
    assert_eq!(charged, c(4).micros());
    assert!(leased >= c(6).micros(), "leased {leased}");
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: c(100).micros() - leased,
            reserved: leased - posted,
        }
    );
    assert_verified(&pool).await;

    // Not swept while it may still be in use.
    assert_eq!(sweep_expired_holds(&pool).await.expect("sweep"), 0);
    sqlx::query("update credit_holds set expires_at = now() - interval '1 second' where lease")
        .execute(&pool)
        .await
        .expect("age the lease");
    assert_eq!(sweep_expired_holds(&pool).await.expect("sweep"), 1);
    // Charged 4, everything else back: nothing served is forgotten, nothing
    // unserved is charged.
    assert_eq!(
        balance(&pool, account).await.expect("b"),
        Balance {
            available: c(96).micros(),
            reserved: 0
        }
    );
    let status: String = sqlx::query_scalar("select status from credit_holds where lease")
        .fetch_one(&pool)
        .await
        .expect("lease");
    assert_eq!(status, "expired");
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_idle_lease_goes_back_to_its_account_by_itself(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 100, None).await;
    let batcher = Batcher::start(pool.clone(), 2);
    let held = batcher
        .reserve(account, c(1), Duration::minutes(5))
        .await
        .expect("reserve");
    assert_eq!(held.available, c(99));
    let (_, reserved) = balance_pair(&pool, account).await;
    assert!(reserved > c(1).micros(), "a slice is leased: {reserved}");
    batcher
        .settle(account, held.hold, c(1), "k")
        .await
        .expect("settle");
    // Returned within a few seconds of the last reservation, without asking.
    let mut waited = 0;
    while balance_pair(&pool, account).await.1 != 0 {
        assert!(waited < 100, "the idle lease was never returned");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(balance_pair(&pool, account).await, (c(99).micros(), 0));
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_busy_lease_posts_its_charges_to_the_ledger_within_moments(pool: PgPool) {
    let account = user_account(&pool).await;
    give(&pool, account, 100, None).await;
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = Duration::minutes(5);
    // A request in flight keeps the lease open (not idle) throughout.
    let in_flight = batcher.reserve(account, c(1), ttl).await.expect("reserve");
    let lease_of = |pool: PgPool| async move {
        let row: (i64, i64, i64) = sqlx::query_as(
            "select amount, charged, posted from credit_holds where lease and status = 'open'",
        )
        .fetch_one(&pool)
        .await
        .expect("one open lease");
        row
    };
    let settled_to_treasury = |pool: PgPool| async move {
        let total: Option<i64> = sqlx::query_scalar(
            "select sum(e.amount)::bigint from ledger_entries e
             join ledger_transactions t on t.id = e.transaction_id
             where t.kind = 'settlement' and e.account_id = $1 and e.bucket = 'reserved'",
        )
        .bind(account)
        .fetch_one(&pool)
        .await
        .expect("settlements");
        -total.unwrap_or(0)
    };
    for (round, charge) in [(1, 2), (2, 3)] {
        let held = batcher.reserve(account, c(3), ttl).await.expect("reserve");
        batcher
            .settle(account, held.hold, c(charge), &format!("k{round}"))
            .await
            .expect("settle");
        // Durable on the lease as soon as the settlement returns.
        let charged = if round == 1 { c(2) } else { c(5) };
        assert_eq!(lease_of(pool.clone()).await.1, charged.micros());
        // In the ledger a moment later, while the lease stays open.
        let mut waited = 0;
        while lease_of(pool.clone()).await.2 != charged.micros() {
            assert!(waited < 50, "round {round}: the charges were never posted");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }
        assert_eq!(settled_to_treasury(pool.clone()).await, charged.micros());
        let (leased, _, posted) = lease_of(pool.clone()).await;
        assert_eq!(balance_pair(&pool, account).await.1, leased - posted);
        assert_verified(&pool).await;
    }
    // Returning the lease posts nothing twice.
    batcher
        .release(account, in_flight.hold)
        .await
        .expect("release");
    batcher.return_leases().await;
    assert_eq!(balance_pair(&pool, account).await, (c(95).micros(), 0));
    assert_eq!(settled_to_treasury(pool.clone()).await, c(5).micros());
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lease_for_an_api_key_never_passes_its_spend_cap(pool: PgPool) {
    let (user, account) = user_with_credits(&pool, "capped@lab.test", 100).await;
    let key = Uuid::now_v7();
    sqlx::query(
        "insert into api_keys (id, user_id, account_id, name, public_id, secret_hash, spend_cap)
         values ($1, $2, $3, 'capped', 'abcdefghijkl', decode(repeat('00', 32), 'hex'), $4)",
    )
    .bind(key)
    .bind(user)
    .bind(account)
    .bind(c(5).micros())
    .execute(&pool)
    .await
    .expect("key");
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = Duration::minutes(5);
    let mut holds = Vec::new();
    for _ in 0..5 {
        holds.push(
            batcher
                .reserve_for(account, c(1), ttl, Spender::Key(key))
                .await
                .expect("within the cap"),
        );
    }
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(key))
            .await,
        Err(LedgerError::SpendCapReached)
    );
    // The account itself, without the key, can still spend.
    batcher.reserve(account, c(1), ttl).await.expect("account");
    for (i, held) in holds.iter().enumerate() {
        batcher
            .settle(account, held.hold, c(1), &format!("cap-{i}"))
            .await
            .expect("settle");
    }
    let (spent, key_held): (i64, i64) =
        sqlx::query_as("select spent, held from api_keys where id = $1")
            .bind(key)
            .fetch_one(&pool)
            .await
            .expect("key");
    assert_eq!((spent, key_held), (c(5).micros(), 0));
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(key))
            .await,
        Err(LedgerError::SpendCapReached)
    );
    assert_verified(&pool).await;
}

async fn balance_pair(pool: &PgPool, account: Uuid) -> (i64, i64) {
    let b = balance(pool, account).await.expect("balance");
    (b.available, b.reserved)
}

#[sqlx::test(migrations = "../migrations")]
async fn every_usage_record_field_is_a_column_of_usage_records(pool: PgPool) {
    let record = UsageRecord {
        id: Uuid::now_v7(),
        key_id: None,
        user_id: Uuid::now_v7(),
        model: "m".to_owned(),
        endpoint: "chat",
        streamed: false,
        input_tokens: 1,
        output_tokens: 2,
        latency_ms: 3,
        status: 200,
        counted_by: None,
        credits: 4,
        hold_id: None,
        agent_id: None,
        conversation_id: None,
    };
    let fields: Vec<String> = match serde_json::to_value(&record).expect("json") {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("a record is an object, not {other}"),
    };
    let columns: Vec<String> = sqlx::query_scalar(
        "select column_name::text from information_schema.columns
         where table_schema = current_schema() and table_name = 'usage_records'",
    )
    .fetch_all(&pool)
    .await
    .expect("columns");
    // A misspelt field would be silently dropped by `jsonb_populate_recordset`.
    let unknown: Vec<&String> = fields.iter().filter(|f| !columns.contains(f)).collect();
    assert!(
        unknown.is_empty(),
        "not columns of usage_records: {unknown:?}"
    );
    // Every column is either sent or filled in by `ledger_lease_charge`.
    let filled_by_sql = ["account_id", "created_at", "uncollected"];
    let missing: Vec<&String> = columns
        .iter()
        .filter(|c| !fields.contains(c) && !filled_by_sql.contains(&c.as_str()))
        .collect();
    assert!(missing.is_empty(), "columns no record fills: {missing:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn usage_past_a_reservation_is_collected_from_the_account_and_the_rest_is_uncollected(
    pool: PgPool,
) {
    let (user, account) = user_with_credits(&pool, "overrun@lab.test", 10).await;
    let m = Credits::from_micros;
    let record = |id: Uuid| UsageRecord {
        id,
        key_id: None,
        user_id: user,
        model: "m".to_owned(),
        endpoint: "chat",
        streamed: false,
        input_tokens: 1,
        output_tokens: 1,
        latency_ms: 1,
        status: 200,
        counted_by: None,
        credits: 0,
        hold_id: None,
        agent_id: None,
        conversation_id: None,
    };
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = Duration::minutes(5);
    // The first reservation takes a lease of 32 times itself (3.2 credits);
    // the second uses up what the lease has free.
    let first = batcher
        .reserve(account, m(100_000), ttl)
        .await
        .expect("fits");
    let second = batcher
        .reserve(account, m(3_100_000), ttl)
        .await
        .expect("fits the lease");
    assert_eq!(second.available, m(6_800_000));
    // 4.9 credits past the first's hold come from the account's 6.8.
    let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
    let settled = batcher
        .settle_with(
            account,
            first.hold,
            m(5_000_000),
            "one",
            Context {
                usage: Some(record(one)),
            },
        )
        .await
        .expect("settle");
    assert_eq!(
        (settled.closed.charged, settled.available),
        (m(5_000_000), m(1_900_000))
    );
    // 2.9 past the second's: the account has 1.9 left, 1 is uncollected.
    let settled = batcher
        .settle_with(
            account,
            second.hold,
            m(6_000_000),
            "two",
            Context {
                usage: Some(record(two)),
            },
        )
        .await
        .expect("settle");
    assert_eq!(
        (settled.closed.charged, settled.available),
        (m(5_000_000), Credits::ZERO)
    );
    batcher.return_leases().await;
    assert_eq!(
        balance(&pool, account).await.expect("balance"),
        Balance {
            available: 0,
            reserved: 0
        }
    );
    let records: Vec<(i64, i64)> = sqlx::query_as(
        "select credits, uncollected from usage_records where user_id = $1 order by id",
    )
    .bind(user)
    .fetch_all(&pool)
    .await
    .expect("records");
    assert_eq!(records, vec![(5_000_000, 0), (6_000_000, 1_000_000)]);
    let uncollected: i64 = sqlx::query_scalar(
        "select available from credit_accounts where owner_kind = 'uncollected'",
    )
    .fetch_one(&pool)
    .await
    .expect("uncollected");
    assert_eq!(uncollected, 1_000_000);
    // Everything the account had was settled, and the uncollected part is
    // a transaction of its own.
    let settled: i64 = sqlx::query_scalar(
        "select (-sum(e.amount))::bigint from ledger_entries e
         join ledger_transactions t on t.id = e.transaction_id
         where t.kind = 'settlement' and e.account_id = $1 and e.bucket = 'reserved'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .expect("settlements");
    assert_eq!(settled, c(10).micros());
    let kinds: Vec<String> = sqlx::query_scalar(
        "select t.kind from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
         join credit_accounts a on a.id = e.account_id where a.owner_kind = 'uncollected'",
    )
    .fetch_all(&pool)
    .await
    .expect("kinds");
    assert_eq!(kinds, vec!["uncollected".to_owned()]);
    assert_verified(&pool).await;
}

/// An organization (a team and its pool account) holding `credits`.
async fn organization_with_credits(
    pool: &PgPool,
    slug: &str,
    zone: &str,
    credits: i64,
) -> (Uuid, Uuid) {
    let team = Uuid::now_v7();
    sqlx::query("insert into teams (id, kind, slug, name, time_zone) values ($1, 'organization', $2, $2, $3)")
        .bind(team)
        .bind(slug)
        .bind(zone)
        .execute(pool)
        .await
        .expect("team");
    let mut conn = pool.acquire().await.expect("conn");
    let account = account_for(&mut conn, Owner::Organization(team))
        .await
        .expect("account");
    drop(conn);
    give(pool, account, credits, None).await;
    (team, account)
}

/// A member of `team` with a budget of `budget` credits per `period`, and
/// a key of theirs billed to the team's `account`.
async fn member_with_key(
    pool: &PgPool,
    team: Uuid,
    account: Uuid,
    email: &str,
    budget: Option<(i64, &str)>,
) -> (Uuid, Uuid) {
    let user = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country)
         values ($1, $2, 'x', 'Member', 'business', 'SG')",
    )
    .bind(user)
    .bind(email)
    .execute(pool)
    .await
    .expect("user");
    sqlx::query(
        "insert into team_members (team_id, user_id, role, budget_amount, budget_period)
         values ($1, $2, 'member', $3, $4)",
    )
    .bind(team)
    .bind(user)
    .bind(budget.map(|(credits, _)| c(credits).micros()))
    .bind(budget.map(|(_, period)| period))
    .execute(pool)
    .await
    .expect("member");
    let key = Uuid::now_v7();
    sqlx::query(
        "insert into api_keys (id, user_id, account_id, team_id, name, public_id, secret_hash)
         values ($1, $2, $3, $4, 'org key', $5, decode(repeat('00', 32), 'hex'))",
    )
    .bind(key)
    .bind(user)
    .bind(account)
    .bind(team)
    .bind(key.simple().to_string()[20..].to_owned())
    .execute(pool)
    .await
    .expect("key");
    (user, key)
}

#[sqlx::test(migrations = "../migrations")]
async fn three_hundred_concurrent_reservations_from_ten_members_never_pass_a_budget(pool: PgPool) {
    // A pool of 1,000 credits; ten members with 10 credits a month each,
    // thirty requests of 1 credit from each at once: exactly ten each.
    let (team, account) = organization_with_credits(&pool, "acme", "Asia/Singapore", 1_000).await;
    let mut keys = Vec::new();
    for i in 0..10 {
        let (user, key) = member_with_key(
            &pool,
            team,
            account,
            &format!("m{i}@acme.test"),
            Some((10, "month")),
        )
        .await;
        keys.push((user, key));
    }
    let batcher = Batcher::start(pool.clone(), 2);
    let ttl = Duration::minutes(5);
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let batcher = batcher.clone();
            let (user, key) = keys[i % 10];
            tokio::spawn(async move {
                (
                    user,
                    batcher
                        .reserve_for(account, c(1), ttl, Spender::Key(key))
                        .await,
                )
            })
        })
        .collect();
    let mut held: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            (user, Ok(reserved)) => held.entry(user).or_default().push(reserved.hold),
            (_, Err(LedgerError::MemberBudgetExceeded { period, resets_at })) => {
                assert_eq!(period, "month");
                let resets_at = resets_at.expect("a monthly budget resets");
                let local = resets_at.to_offset(time::macros::offset!(+8));
                assert_eq!(
                    (local.day(), local.hour(), local.minute()),
                    (1, 0, 0),
                    "{resets_at}"
                );
                refused += 1;
            }
            (_, Err(other)) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(refused, 200);
    assert_eq!(held.len(), 10);
    assert!(held.values().all(|holds| holds.len() == 10));
    for (i, hold) in held.values().flatten().enumerate() {
        batcher
            .settle(account, *hold, c(1), &format!("budget-{i}"))
            .await
            .expect("settle");
    }
    batcher.return_leases().await;
    let periods: Vec<(i64, i64)> =
        sqlx::query_as("select spent, held from member_budget_periods where team_id = $1")
            .bind(team)
            .fetch_all(&pool)
            .await
            .expect("periods");
    assert_eq!(periods, vec![(c(10).micros(), 0); 10]);
    assert_eq!(balance_pair(&pool, account).await, (c(900).micros(), 0));
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_budget_starts_again_at_the_calendar_month_in_the_organizations_time_zone(pool: PgPool) {
    let (team, account) = organization_with_credits(&pool, "globex", "Asia/Singapore", 100).await;
    let (user, key) =
        member_with_key(&pool, team, account, "ann@globex.test", Some((5, "month"))).await;
    // The clock frozen at 23:30 on 31 January in Singapore (15:30 UTC).
    let frozen = |at: &str| {
        let options = (*pool.connect_options()).clone().options([("lab.now", at)]);
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect_lazy_with(options)
    };
    let january = frozen("2026-01-31T15:30:00Z");
    let batcher = Batcher::start(january.clone(), 1);
    let ttl = Duration::minutes(5);
    let mut holds = Vec::new();
    for _ in 0..5 {
        holds.push(
            batcher
                .reserve_for(account, c(1), ttl, Spender::Key(key))
                .await
                .expect("within budget"),
        );
    }
    let Err(LedgerError::MemberBudgetExceeded { period, resets_at }) = batcher
        .reserve_for(account, c(1), ttl, Spender::Key(key))
        .await
    else {
        panic!("the sixth credit is over budget");
    };
    assert_eq!(period, "month");
    assert_eq!(
        resets_at,
        Some(time::macros::datetime!(2026-01-31 16:00 UTC))
    );
    for (i, held) in holds.iter().enumerate() {
        batcher
            .settle(account, held.hold, c(1), &format!("jan-{i}"))
            .await
            .expect("settle");
    }
    batcher.return_leases().await;

    // Half an hour later it is February in Singapore: a fresh budget.
    let february = frozen("2026-01-31T16:00:00Z");
    let batcher = Batcher::start(february.clone(), 1);
    let held = batcher
        .reserve_for(account, c(5), ttl, Spender::Key(key))
        .await
        .expect("a new month");
    batcher
        .settle(account, held.hold, c(5), "feb")
        .await
        .expect("settle");
    assert!(matches!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(key))
            .await,
        Err(LedgerError::MemberBudgetExceeded { .. })
    ));
    batcher.return_leases().await;
    // January's spending stays on record beside February's.
    let periods: Vec<(OffsetDateTime, i64)> = sqlx::query_as(
        "select period_start, spent from member_budget_periods where user_id = $1 order by period_start",
    )
    .bind(user)
    .fetch_all(&pool)
    .await
    .expect("periods");
    assert_eq!(
        periods,
        vec![
            (time::macros::datetime!(2025-12-31 16:00 UTC), c(5).micros()),
            (time::macros::datetime!(2026-01-31 16:00 UTC), c(5).micros()),
        ]
    );

    // A lease taken in one period grows no more in the next.
    let mut conn = pool.acquire().await.expect("conn");
    let lease = Uuid::now_v7();
    sqlx::query("select set_config('lab.now', '2026-03-31 15:59:00+00', false)")
        .execute(&mut *conn)
        .await
        .expect("clock");
    let (taken, refused): (i64, Option<String>) = sqlx::query_as(
        "select taken, refused from ledger_lease_grow($1, $2, null, $3, 1, 1, '5 minutes', gen_random_uuid())",
    )
    .bind(account)
    .bind(key)
    .bind(lease)
    .fetch_one(&mut *conn)
    .await
    .expect("grow");
    assert_eq!((taken, refused), (1, None));
    sqlx::query("select set_config('lab.now', '2026-03-31 16:00:00+00', false)")
        .execute(&mut *conn)
        .await
        .expect("clock");
    let (taken, refused): (i64, Option<String>) = sqlx::query_as(
        "select taken, refused from ledger_lease_grow($1, $2, null, $3, 1, 1, '5 minutes', gen_random_uuid())",
    )
    .bind(account)
    .bind(key)
    .bind(lease)
    .fetch_one(&mut *conn)
    .await
    .expect("grow");
    assert_eq!((taken, refused.as_deref()), (0, Some("period_ended")));
    sqlx::query(
        "select ledger_lease_close($1, 'released', false, gen_random_uuid(), gen_random_uuid())",
    )
    .bind(lease)
    .execute(&mut *conn)
    .await
    .expect("close");
    drop(conn);
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_of_someone_no_longer_a_member_spends_nothing(pool: PgPool) {
    let (team, account) = organization_with_credits(&pool, "initech", "UTC", 100).await;
    let (user, key) = member_with_key(&pool, team, account, "bob@initech.test", None).await;
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = Duration::minutes(5);
    let held = batcher
        .reserve_for(account, c(1), ttl, Spender::Key(key))
        .await
        .expect("a member");
    batcher
        .settle(account, held.hold, c(1), "member")
        .await
        .expect("settle");
    batcher.return_leases().await;
    sqlx::query("delete from team_members where team_id = $1 and user_id = $2")
        .bind(team)
        .bind(user)
        .execute(&pool)
        .await
        .expect("removed");
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(key))
            .await,
        Err(LedgerError::NotMember)
    );
    // Without a key, only a member spends an organization's pool.
    assert_eq!(
        batcher.reserve(account, c(1), ttl).await,
        Err(LedgerError::NotMember)
    );
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Member(user))
            .await,
        Err(LedgerError::NotMember)
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_member_spending_the_pool_without_a_key_is_held_to_their_budget_with_their_keys(
    pool: PgPool,
) {
    // Ann has 5 credits a day, spent by her key and by her playground
    // (no key) together; Bob, with no budget, is not held by hers.
    let (team, account) = organization_with_credits(&pool, "hooli", "Europe/Berlin", 100).await;
    let (ann, ann_key) =
        member_with_key(&pool, team, account, "ann@hooli.test", Some((5, "day"))).await;
    let (bob, _) = member_with_key(&pool, team, account, "bob@hooli.test", None).await;
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = Duration::minutes(5);
    let by_key = batcher
        .reserve_for(account, c(3), ttl, Spender::Key(ann_key))
        .await
        .expect("within her budget");
    batcher
        .settle(account, by_key.hold, c(3), "by-key")
        .await
        .expect("settle");
    // Her key's lease took all her day's room; idle now, it is returned
    // for her playground's lease to take the rest.
    let by_playground = batcher
        .reserve_for(account, c(2), ttl, Spender::Member(ann))
        .await
        .expect("the rest of her budget");
    let Err(LedgerError::MemberBudgetExceeded { period, resets_at }) = batcher
        .reserve_for(account, c(1), ttl, Spender::Member(ann))
        .await
    else {
        panic!("her budget is used up by her key and her playground together");
    };
    assert_eq!(period, "day");
    assert!(resets_at.is_some());
    assert!(matches!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(ann_key))
            .await,
        Err(LedgerError::MemberBudgetExceeded { .. })
    ));
    let bobs = batcher
        .reserve_for(account, c(10), ttl, Spender::Member(bob))
        .await
        .expect("Bob has no budget");
    for (i, hold) in [by_playground.hold, bobs.hold].into_iter().enumerate() {
        batcher
            .settle(account, hold, c(1), &format!("member-{i}"))
            .await
            .expect("settle");
    }
    batcher.return_leases().await;
    let spent: i64 = sqlx::query_scalar(
        "select spent from member_budget_periods where team_id = $1 and user_id = $2",
    )
    .bind(team)
    .bind(ann)
    .fetch_one(&pool)
    .await
    .expect("Ann's period");
    assert_eq!(spent, c(4).micros(), "3 by her key, 1 by her playground");
    assert_eq!(balance_pair(&pool, account).await, (c(95).micros(), 0));
    // Someone outside the team gets nothing from it.
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Member(Uuid::now_v7()))
            .await,
        Err(LedgerError::NotMember)
    );
    assert_verified(&pool).await;
}
