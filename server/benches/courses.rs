//! Courses at scale: a join storm (1,000 students joining one course at
//! once, each with their allocation moved to their own account) and the
//! course console's student list over 1,000 students and 1,000,000 usage
//! records.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p lab-portal --bench courses`
//! (a scratch database is created and dropped). `COURSES_BENCH_STUDENTS`
//! (1,000), `COURSES_BENCH_RECORDS` (1,000,000) and
//! `COURSES_BENCH_READS` (200) change the sizes.
//!
//! This times the service and the database (what `join_course` and
//! `get_cohort` run), not HTTP: the portal's own request overhead is
//! measured by `bench/pages.sh`.

use std::time::{Duration, Instant};

use app::domain::cohorts::{CohortForm, CohortStatus};
use app::domain::credit_grant::ParsedGrant;
use app::domain::credits::Credits;
use app::domain::role::PlatformRole;
use app::server::auth::Caller;
use app::server::services::cohorts::{self, Joined, NewInstitution};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("set DATABASE_URL"))?;
    let mut admin = PgConnection::connect(&base).await?;
    sqlx::query("drop database if exists bench_courses with (force)")
        .execute(&mut admin)
        .await?;
    sqlx::query("create database bench_courses")
        .execute(&mut admin)
        .await?;
    let (server, _) = base.rsplit_once('/').unwrap_or((&base, ""));
    let result = run(&format!("{server}/bench_courses")).await;
    sqlx::query("drop database bench_courses with (force)")
        .execute(&mut admin)
        .await?;
    result
}

fn caller(id: Uuid, email: String) -> Caller {
    Caller {
        user_id: id,
        login_id: Uuid::now_v7(),
        display_name: email.clone(),
        email,
        role: PlatformRole::Developer,
        email_verified: true,
    }
}

async fn run(url: &str) -> anyhow::Result<()> {
    let students = env("COURSES_BENCH_STUDENTS", 1_000);
    let records = env("COURSES_BENCH_RECORDS", 1_000_000);
    let reads = env("COURSES_BENCH_READS", 200);
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .connect(url)
        .await?;
    lab_portal::db::migrate(&pool).await?;

    // An institution with a coordinator and ample credit, one open course
    // with a seat for everyone, funded for all of them.
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
         select gen_random_uuid(), 'student' || n || '@uni.test', 'x', 'Student ' || n, 'academic', 'SG', now()
         from generate_series(0, $1 - 1) n",
    )
    .bind(i64::try_from(students)?)
    .execute(&pool)
    .await?;
    let staff_id = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
         values ($1, 'prof@uni.test', 'x', 'Prof', 'academic', 'SG', now())",
    )
    .bind(staff_id)
    .execute(&pool)
    .await?;
    let staff = caller(staff_id, "prof@uni.test".to_owned());
    let institution = cohorts::create_institution(
        &pool,
        &staff,
        &NewInstitution {
            name: "Bench University".to_owned(),
            slug: "bench-uni".to_owned(),
            country: "SG".to_owned(),
            website: None,
            time_zone: "Asia/Singapore".to_owned(),
            domains: vec!["uni.test".to_owned()],
        },
        None,
        None,
    )
    .await?;
    cohorts::grant_institution(
        &pool,
        &staff,
        &institution,
        &ParsedGrant {
            amount: credits(1_000_000)?,
            expires_at: None,
            reason: "bench".to_owned(),
        },
        "bench-grant",
        None,
    )
    .await?;
    cohorts::set_staff(&pool, &staff, &institution, &staff.email, "admin", None).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let course = cohorts::create_cohort(
        &pool,
        &staff,
        &institution,
        &CohortForm {
            name: "Bench course".to_owned(),
            course_code: "BENCH101".to_owned(),
            term_start: today,
            term_end: today + time::Duration::days(120),
            allocation: credits(10)?,
            max_students: i32::try_from(students)?,
            require_institution_email: true,
        },
        None,
    )
    .await?;
    cohorts::set_status(&pool, &staff, &course, CohortStatus::Open, None).await?;
    cohorts::fund(
        &pool,
        &staff,
        &course,
        credits(10 * i64::try_from(students)?)?,
        "bench-fund",
        None,
    )
    .await?;

    // The join storm: every student at once.
    let people: Vec<(Uuid, String)> =
        sqlx::query_as("select id, email from users where email like 'student%' order by email")
            .fetch_all(&pool)
            .await?;
    let started = Instant::now();
    let tasks: Vec<_> = people
        .into_iter()
        .map(|(id, email)| {
            let (pool, course) = (pool.clone(), course.clone());
            tokio::spawn(async move {
                let began = Instant::now();
                let joined = cohorts::join(&pool, &caller(id, email), &course, None).await;
                (joined, began.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut failures = 0;
    for task in tasks {
        let (joined, took) = task.await?;
        match joined {
            Ok(Joined::Now) => latencies.push(took),
            other => {
                failures += 1;
                eprintln!("  a join did not allocate: {other:?}");
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    eprintln!(
        "join storm: {students} students joined one course in {:.2} s ({:.0} joins/s), {failures} failures; each join p50 {:.0} ms, p99 {:.0} ms (32 connections)",
        elapsed.as_secs_f64(),
        students as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 50).as_secs_f64() * 1e3,
        percentile(&latencies, 99).as_secs_f64() * 1e3,
    );

    // A million usage records spread over the students' enrollment accounts.
    let started = Instant::now();
    sqlx::query(
        "insert into usage_records (id, user_id, account_id, model, endpoint, input_tokens, output_tokens,
                                    credits, latency_ms, status, created_at)
         select gen_random_uuid(), s.user_id, s.account, 'bench-model', 'chat', 100, 50, 10, 200, 200,
                now() - (n % 720) * interval '1 hour'
         from generate_series(0, $1 - 1) n
         join (select row_number() over (order by e.id) - 1 as i, e.user_id, a.id as account
               from enrollments e
               join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
               where e.cohort_id = $2) s on s.i = n % $3",
    )
    .bind(i64::try_from(records)?)
    .bind(course.id)
    .bind(i64::try_from(students)?)
    .execute(&pool)
    .await?;
    sqlx::query("vacuum analyze usage_records")
        .execute(&pool)
        .await?;
    eprintln!(
        "{records} usage records written in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // The course console's student list, read again and again.
    let mut timings = Vec::with_capacity(reads);
    for _ in 0..reads {
        let began = Instant::now();
        let list = cohorts::students(&pool, course.id).await?;
        timings.push(began.elapsed());
        anyhow::ensure!(list.len() == students, "every student listed");
    }
    timings.sort();
    eprintln!(
        "course console's students over {students} students and {records} records: p50 {:.1} ms, p99 {:.1} ms ({reads} reads, one at a time)",
        percentile(&timings, 50).as_secs_f64() * 1e3,
        percentile(&timings, 99).as_secs_f64() * 1e3,
    );
    let violations = app::server::ledger::verify(&pool).await?;
    eprintln!("ledger verify: {} violation(s)", violations.len());
    Ok(())
}

fn credits(n: i64) -> anyhow::Result<Credits> {
    Credits::from_credits(n).ok_or_else(|| anyhow::anyhow!("{n} credits is too much"))
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}
