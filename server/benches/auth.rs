//! Sign-in cost: argon2id per hash, and sign-in latency under 20 concurrent
//! sign-ins through the real HTTP stack.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p lab-portal --bench auth`
//! (a scratch database is created and dropped).

use std::time::{Duration, Instant};

use app::domain::password::Password;
use lab_portal::config::Settings;
use lab_portal::startup::Application;
use sqlx::{Connection, PgConnection, PgPool};

const PASSWORD: &str = "correct horse battery staple";
const CONCURRENCY: usize = 20;
const ROUNDS: usize = 10;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("DATABASE_URL").map_err(|_| {
        anyhow::anyhow!("set DATABASE_URL to a PostgreSQL that may create databases")
    })?;
    let hash_times = time_hashes(20).await?;
    report("argon2id hash (m=19 MiB, t=2, p=1)", &hash_times);

    // A fixed name, as identifiers cannot be bound: one run at a time, and
    // a run that died is cleaned up by the next.
    let mut admin = PgConnection::connect(&base).await?;
    sqlx::query("drop database if exists bench_auth with (force)")
        .execute(&mut admin)
        .await?;
    sqlx::query("create database bench_auth")
        .execute(&mut admin)
        .await?;
    let url = replace_database(&base, "bench_auth");
    let result = sign_in_latency(&url).await;
    sqlx::query("drop database bench_auth with (force)")
        .execute(&mut admin)
        .await?;
    let latencies = result?;
    report(
        &format!(
            "sign-in, {CONCURRENCY} concurrent ({} requests)",
            latencies.len()
        ),
        &latencies,
    );
    Ok(())
}

async fn time_hashes(n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let password = Password::parse(PASSWORD.to_owned(), &[]).map_err(anyhow::Error::msg)?;
        let start = Instant::now();
        app::server::password::hash(password).await?;
        times.push(start.elapsed());
    }
    Ok(times)
}

async fn sign_in_latency(url: &str) -> anyhow::Result<Vec<Duration>> {
    let pool = PgPool::connect(url).await?;
    let settings: Settings = figment::Figment::new()
        .merge(figment::providers::Serialized::default(
            "listen",
            "127.0.0.1:0",
        ))
        .merge(figment::providers::Serialized::default("log", "warn"))
        .extract()?;
    let app = Application::build_with_pool(&settings, pool.clone()).await?;
    let address = format!("http://{}", app.local_addr()?);
    tokio::spawn(app.run_until(std::future::pending()));

    let hash = app::server::password::hash(
        Password::parse(PASSWORD.to_owned(), &[]).map_err(anyhow::Error::msg)?,
    )
    .await?;
    for i in 0..CONCURRENCY {
        sqlx::query(
            "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
             values (gen_random_uuid(), $1, $2, 'Bench', 'developer', 'DE', now())",
        )
        .bind(format!("bench{i}@example.org"))
        .bind(&hash)
        .execute(&pool)
        .await?;
    }
    let mut latencies = Vec::new();
    for _ in 0..ROUNDS {
        let mut tasks = Vec::new();
        for i in 0..CONCURRENCY {
            let address = address.clone();
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()?;
                let email = format!("bench{i}@example.org");
                let start = Instant::now();
                let response = client
                    .post(format!("{address}/api/sign_in"))
                    .header("origin", &address)
                    .form(&[("email", email.as_str()), ("password", PASSWORD)])
                    .send()
                    .await?;
                let elapsed = start.elapsed();
                anyhow::ensure!(
                    response.status().is_success(),
                    "sign-in failed: {}",
                    response.status()
                );
                Ok::<_, anyhow::Error>(elapsed)
            }));
        }
        for task in tasks {
            latencies.push(task.await??);
        }
    }
    Ok(latencies)
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    format!("{base}/{name}")
}

fn report(what: &str, samples: &[Duration]) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    // The sample at `percent` of the way through, rounded to the nearest.
    let pick = |percent: usize| sorted[((sorted.len() - 1) * percent + 50) / 100];
    let mean = sorted.iter().sum::<Duration>() / u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    eprintln!(
        "{what}: n={} mean={:.1} ms p50={:.1} ms p95={:.1} ms max={:.1} ms",
        sorted.len(),
        mean.as_secs_f64() * 1e3,
        pick(50).as_secs_f64() * 1e3,
        pick(95).as_secs_f64() * 1e3,
        sorted[sorted.len() - 1].as_secs_f64() * 1e3,
    );
}
