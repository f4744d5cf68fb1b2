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
    let name = format!("bench_ledger_{}", std::process::id());
    let mut admin = PgConnection::connect(&base).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let (server, _) = base.rsplit_once('/').unwrap_or((&base, ""));
    let result = run(&format!("{server}/{name}"), Duration::from_secs(seconds)).await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(url: &str, duration: Duration) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect(url)
        .await?;
    lab_portal::db::migrate(&pool).await?;
    let accounts = accounts(&pool, 1000).await?;
    eprintln!(
        "ledger pairs (reserve 1 credit, settle 0.5), {} s per run:",
        duration.as_secs()
    );
    let batcher = ledger::Batcher::start(pool.clone(), writers());
    for path in [Path::Direct, Path::Batched(&batcher)] {
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
    /// `ledger::reserve` and `ledger::settle`: one transaction each.
    Direct,
    /// The group-commit batcher the proxy uses.
    Batched(&'a ledger::Batcher),
}

impl Path<'_> {
    fn label(self) -> &'static str {
        match self {
            Self::Direct => "one transaction per operation",
            Self::Batched(_) => "group commit (ledger::Batcher)",
        }
    }
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
            Path::Direct => None,
            Path::Batched(batcher) => Some(batcher.clone()),
        };
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
                if let Some(batcher) = &batcher {
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
