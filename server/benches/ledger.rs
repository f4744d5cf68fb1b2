//! Ledger throughput: reservation + settlement pairs per second, on one hot
//! account and spread over 1,000 accounts, at 1 and 32 concurrent workers.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p lab-portal --bench ledger`
//! (a scratch database is created and dropped; `LEDGER_BENCH_SECONDS` sets
//! the duration of each run, default 8).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::credits::Credits;
use app::server::ledger::{self, Grant, Memo, Owner};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("set DATABASE_URL"))?;
    let seconds: u64 = std::env::var("LEDGER_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    // A fixed name, as identifiers cannot be bound: one run at a time, and
    // a run that died is cleaned up by the next.
    let mut admin = PgConnection::connect(&base).await?;
    sqlx::query("drop database if exists bench_ledger with (force)")
        .execute(&mut admin)
        .await?;
    sqlx::query("create database bench_ledger")
        .execute(&mut admin)
        .await?;
    let (server, _) = base.rsplit_once('/').unwrap_or((&base, ""));
    let result = run(
        &format!("{server}/bench_ledger"),
        Duration::from_secs(seconds),
    )
    .await;
    sqlx::query("drop database bench_ledger with (force)")
        .execute(&mut admin)
        .await?;
    result
}

async fn run(url: &str, duration: Duration) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .test_before_acquire(false)
        .connect(url)
        .await?;
    lab_portal::db::migrate(&pool).await?;
    let accounts = accounts(&pool, 1000).await?;
    eprintln!(
        "ledger pairs (reserve 1 credit, settle 0.5), {} s per run:",
        duration.as_secs()
    );
    naive_tables(&pool, &accounts).await?;
    let batcher = ledger::Batcher::start(pool.clone(), writers());
    for path in [Path::Naive, Path::Direct, Path::Leased(&batcher)] {
        eprintln!("  {}:", path.label());
        for workers in [1usize, 32] {
            for (label, spread) in [
                ("one hot account", 1usize),
                ("1,000 accounts", accounts.len()),
            ] {
                let rate =
                    pairs_per_second(&pool, path, &accounts[..spread], workers, duration).await?;
                eprintln!("    {label:>16}, {workers:>2} workers: {rate:>8.0} pairs/s");
            }
        }
    }
    batcher.return_leases().await;
    let violations = ledger::verify(&pool).await?;
    eprintln!(
        "ledger verify after the runs: {} violation(s)",
        violations.len()
    );
    Ok(())
}

/// `LEDGER_BENCH_WRITERS`: the batcher's writer tasks (default 4).
fn writers() -> usize {
    std::env::var("LEDGER_BENCH_WRITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
}

#[derive(Clone, Copy)]
enum Path<'a> {
    /// The naive design the issue measures as the baseline, run here at the
    /// same time on the same machine: a conditional balance update plus a
    /// hold insert in one durable transaction, then a settling update in a
    /// second (on bare tables of its own, no ledger entries or lots).
    Naive,
    /// `ledger::reserve` and `ledger::settle`: one transaction each.
    Direct,
    /// Leases and group-committed charges, as the proxy uses them.
    Leased(&'a ledger::Batcher),
}

impl Path<'_> {
    fn label(self) -> &'static str {
        match self {
            Self::Naive => "naive baseline (two durable transactions)",
            Self::Direct => "one transaction per operation",
            Self::Leased(_) => "leases + group-committed charges (ledger::Batcher)",
        }
    }
}

/// The naive design's tables, beside the ledger's.
async fn naive_tables(pool: &PgPool, accounts: &[Uuid]) -> anyhow::Result<()> {
    sqlx::query(
        "create table naive_accounts (id uuid primary key, available bigint not null check (available >= 0),
                                      reserved bigint not null default 0)",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "create table naive_holds (id uuid primary key, account_id uuid not null references naive_accounts (id),
                                   amount bigint not null, created_at timestamptz not null default now())",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "insert into naive_accounts (id, available) select unnest($1::uuid[]), 10000000000000",
    )
    .bind(accounts)
    .execute(pool)
    .await?;
    Ok(())
}

async fn naive_pair(pool: &PgPool, account: Uuid, amount: i64, charge: i64) -> anyhow::Result<()> {
    let hold = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    let reserved = sqlx::query(
        "update naive_accounts set available = available - $2, reserved = reserved + $2
         where id = $1 and available >= $2",
    )
    .bind(account)
    .bind(amount)
    .execute(&mut *tx)
    .await?;
    anyhow::ensure!(reserved.rows_affected() == 1, "naive account ran out");
    sqlx::query("insert into naive_holds (id, account_id, amount) values ($1, $2, $3)")
        .bind(hold)
        .bind(account)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    sqlx::query(
        "update naive_accounts set reserved = reserved - $2, available = available + $2 - $3 where id = $1",
    )
    .bind(account)
    .bind(amount)
    .bind(charge)
    .execute(pool)
    .await?;
    Ok(())
}

async fn accounts(pool: &PgPool, n: usize) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let mut conn = pool.acquire().await?;
        let account = ledger::account_for(&mut conn, Owner::User(Uuid::now_v7())).await?;
        let grant = Grant {
            account,
            amount: Credits::from_credits(10_000_000).unwrap_or(Credits::ZERO),
            expires_at: None,
            memo: Memo::default(),
        };
        ledger::grant(pool, &grant).await?;
        ids.push(account);
    }
    Ok(ids)
}

async fn pairs_per_second(
    pool: &PgPool,
    path: Path<'_>,
    accounts: &[Uuid],
    workers: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (pool, done, accounts) = (pool.clone(), done.clone(), accounts.to_vec());
        let batcher = match path {
            Path::Naive | Path::Direct => None,
            Path::Leased(batcher) => Some(batcher.clone()),
        };
        let naive = matches!(path, Path::Naive);
        tasks.push(tokio::spawn(async move {
            let mut i = worker;
            let (amount, charge) = (
                Credits::from_micros(1_000_000),
                Credits::from_micros(500_000),
            );
            let ttl = time::Duration::minutes(5);
            while start.elapsed() < duration {
                let account = accounts[i % accounts.len()];
                i += workers;
                if naive {
                    naive_pair(&pool, account, amount.micros(), charge.micros()).await?;
                } else if let Some(batcher) = &batcher {
                    let hold = batcher.reserve(account, amount, ttl).await?.hold;
                    batcher
                        .settle(account, hold, charge, &hold.to_string())
                        .await?;
                } else {
                    let hold = ledger::reserve(&pool, account, amount, ttl).await?;
                    ledger::settle(&pool, hold, charge, &hold.to_string()).await?;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}
