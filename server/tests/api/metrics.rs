//! `/metrics` read as Prometheus reads it: served only when configured,
//! behind its token on the portal's address, and counting what the portal
//! did (requests by route, the proxy's upstream times, the ledger, the
//! pool, the outbox, the jobs).
//!
//! The recorder is one per process and other tests may record into it at
//! the same time, so counts are compared before and after, as at least
//! what this test did.

use std::time::Duration;

use app::domain::credits::Credits;
use app::server::ledger::{self, Grant, Memo, Owner};
use prometheus_parse::{LineInfo, Sample, Scrape, Value};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{spawn_app, spawn_app_with_metrics, TestApp};

const TOKEN: &str = "scrape-token-for-tests";

/// `/metrics` at `url`, with `token`: checked line by line against the text
/// format, then parsed.
async fn scrape(url: &str, token: Option<&str>) -> Scrape {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("a scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("a content type")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.expect("the exposition");
    for line in text.lines() {
        assert!(
            !matches!(LineInfo::parse(line), LineInfo::Ignored),
            "not Prometheus text: {line:?}"
        );
    }
    Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("Prometheus text")
}

/// The samples of `metric` carrying every label of `labels`.
fn samples<'a>(
    scrape: &'a Scrape,
    metric: &'a str,
    labels: &'a [(&str, &str)],
) -> impl Iterator<Item = &'a Sample> {
    scrape.samples.iter().filter(move |sample| {
        sample.metric == metric
            && labels
                .iter()
                .all(|(name, value)| sample.labels.get(name) == Some(*value))
    })
}

/// The sum of a counter's, gauge's or histogram part's (`…_count`) values
/// over the series carrying `labels`; 0 when there is none.
fn total(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    samples(scrape, metric, labels)
        .map(|sample| match sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            Value::Histogram(_) | Value::Summary(_) => 0.0,
        })
        .sum()
}

/// How much `metric` over `labels` grew between two scrapes.
fn grew(before: &Scrape, after: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    total(after, metric, labels) - total(before, metric, labels)
}

/// A user with 100 credits and an API key for it.
async fn api_key(app: &TestApp) -> String {
    let user = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
         values ($1, $2, 'unused', 'Metrics Tester', 'developer', 'DE', now())",
    )
    .bind(user)
    .bind(format!("{user}@example.com"))
    .execute(&app.pool)
    .await
    .expect("user");
    let mut conn = app.pool.acquire().await.expect("conn");
    let account = ledger::account_for(&mut conn, Owner::User(user))
        .await
        .expect("account");
    drop(conn);
    let grant = Grant {
        account,
        amount: Credits::from_credits(100).expect("small"),
        expires_at: None,
        memo: Memo::default(),
    };
    ledger::grant(&app.pool, &grant).await.expect("grant");
    let id = Uuid::now_v7();
    let public_id = id.simple().to_string()[20..32].to_owned();
    let key = format!("lp_{public_id}_{}", Uuid::new_v4().simple());
    sqlx::query(
        "insert into api_keys (id, user_id, account_id, name, public_id, secret_hash)
         values ($1, $2, $3, 'metrics', $4, $5)",
    )
    .bind(id)
    .bind(user)
    .bind(account)
    .bind(&public_id)
    .bind(Sha256::digest(key.as_bytes()).to_vec())
    .execute(&app.pool)
    .await
    .expect("key");
    key
}

/// One chat completion from the simulator, streamed or not; its whole body.
async fn chat(app: &TestApp, key: &str, stream: bool) -> String {
    let body = json!({
        "model": "simulator-chat",
        "messages": [{"role": "user", "content": "Say hello"}],
        "max_tokens": 8,
        "stream": stream,
    });
    let response = app
        .client
        .post(format!("{}/v1/chat/completions", app.address))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("a /v1 call");
    assert_eq!(response.status(), 200);
    response.text().await.expect("the answer")
}

#[sqlx::test(migrations = false)]
async fn metrics_are_not_served_unless_configured(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
}

#[sqlx::test(migrations = false)]
async fn metrics_on_the_portals_address_need_the_token(pool: PgPool) {
    let (app, separate) = spawn_app_with_metrics(pool, Some(TOKEN), false).await;
    assert!(separate.is_none());
    let url = format!("{}/metrics", app.address);
    for token in [None, Some("wrong"), Some("")] {
        let mut request = app.client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 401, "with {token:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
    }
    scrape(&url, Some(TOKEN)).await;
}

#[sqlx::test(migrations = false)]
async fn metrics_count_requests_by_route_and_what_the_proxy_ledger_and_jobs_did(pool: PgPool) {
    let (app, _) = spawn_app_with_metrics(pool, Some(TOKEN), false).await;
    let url = format!("{}/metrics", app.address);
    let key = api_key(&app).await;
    sqlx::query(
        "insert into outbox (id, recipient, subject, body_text) values ($1, 'a@example.com', 'Hi', 'Hello')",
    )
    .bind(Uuid::now_v7())
    .execute(&app.pool)
    .await
    .expect("an unsent email");
    let before = scrape(&url, Some(TOKEN)).await;

    for _ in 0..3 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(app.post_form("/api/current_user", &[]).await.status(), 200);
    assert_eq!(app.get("/no/such/page/12345").await.status(), 404);
    let answer: Json = serde_json::from_str(&chat(&app, &key, false).await).expect("json");
    assert!(answer["choices"].is_array(), "{answer}");
    assert!(chat(&app, &key, true).await.ends_with("data: [DONE]\n\n"));

    let after = scrape(&url, Some(TOKEN)).await;
    let requests = |route: &'static str, method: &'static str, status: &'static str| {
        let labels = [("route", route), ("method", method), ("status", status)];
        grew(&before, &after, "http_requests_total", &labels)
    };
    assert!(requests("/healthz", "GET", "200") >= 3.0);
    assert!(requests("/", "GET", "200") >= 1.0);
    assert!(requests("/api/current_user", "POST", "200") >= 1.0);
    assert!(requests("/v1/chat/completions", "POST", "200") >= 2.0);
    assert!(requests("unmatched", "GET", "404") >= 1.0);
    assert!(
        after
            .samples
            .iter()
            .all(|s| s.labels.get("route").is_none_or(|r| !r.contains("12345"))),
        "a path asked for became a label"
    );
    // The scrape before this one was a request too.
    assert!(requests("/metrics", "GET", "200") >= 1.0);

    // Latency histograms: the buckets set at start-up, 1 ms to 30 s.
    let healthz = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    let histogram = samples(&after, "http_request_duration_seconds", &healthz)
        .next()
        .expect("a latency histogram for /healthz");
    let Value::Histogram(buckets) = &histogram.value else {
        panic!("not a histogram: {histogram:?}");
    };
    let bounds: Vec<f64> = buckets.iter().map(|b| b.less_than).collect();
    assert!(bounds.contains(&0.001) && bounds.contains(&30.0) && bounds.contains(&f64::INFINITY));
    assert!(
        grew(
            &before,
            &after,
            "http_request_duration_seconds_count",
            &healthz
        ) >= 3.0
    );

    // The proxy: both calls reached the upstream and ended well; the
    // stream's first chunk was timed.
    let model = [("model", "simulator-chat")];
    let ok = [("model", "simulator-chat"), ("outcome", "ok")];
    assert!(grew(&before, &after, "proxy_requests_total", &ok) >= 2.0);
    let upstream = [("model", "simulator-chat"), ("provider", "simulator")];
    assert!(
        grew(
            &before,
            &after,
            "proxy_upstream_duration_seconds_count",
            &upstream
        ) >= 2.0
    );
    assert!(
        grew(
            &before,
            &after,
            "proxy_time_to_first_token_seconds_count",
            &model
        ) >= 1.0
    );

    // The ledger: each call's charge went through a group commit.
    assert!(grew(&before, &after, "ledger_batch_size_count", &[]) >= 1.0);
    assert!(grew(&before, &after, "ledger_batch_size_sum", &[]) >= 2.0);
    assert!(samples(&after, "ledger_queue_depth", &[("writer", "0")])
        .next()
        .is_some());
    assert!(samples(&after, "ledger_leases_open", &[]).next().is_some());
    assert_eq!(total(&after, "ledger_reservations_open", &[]), 0.0);

    // Sampled when scraped: this portal's pool and outbox.
    let max = f64::from(app.pool.options().get_max_connections());
    assert_eq!(total(&after, "db_pool_connections_max", &[]), max);
    assert!(total(&after, "db_pool_connections_open", &[]) >= 1.0);
    assert_eq!(
        total(&after, "db_pool_connections_open", &[]),
        total(&after, "db_pool_connections_idle", &[])
            + total(&after, "db_pool_connections_in_use", &[])
    );
    assert_eq!(
        total(&after, "outbox_backlog", &[("state", "pending")]),
        1.0
    );
    assert_eq!(
        total(&after, "outbox_backlog", &[("state", "abandoned")]),
        0.0
    );

    // Every metric is described.
    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "proxy_requests_total",
        "proxy_upstream_duration_seconds",
        "proxy_time_to_first_token_seconds",
        "ledger_batch_size",
        "ledger_queue_depth",
        "db_pool_connections_open",
        "outbox_backlog",
    ] {
        assert!(after.docs.contains_key(name), "no # HELP for {name}");
    }

    // The jobs' first round runs at start-up.
    let ledger_job = [("job", "ledger"), ("outcome", "ok")];
    let mut jobs = after;
    for _ in 0..100 {
        if total(&jobs, "jobs_runs_total", &ledger_job) >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        jobs = scrape(&url, Some(TOKEN)).await;
    }
    assert!(total(&jobs, "jobs_runs_total", &ledger_job) >= 1.0);
}

#[sqlx::test(migrations = false)]
async fn metrics_on_an_address_of_their_own_are_served_there_only(pool: PgPool) {
    let (app, separate) = spawn_app_with_metrics(pool, None, true).await;
    let separate = separate.expect("a metrics address");
    let on_portal = app.get("/metrics").await;
    assert_eq!(on_portal.status(), 404);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let scraped = scrape(&format!("{separate}/metrics"), None).await;
    let healthz = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    assert!(total(&scraped, "http_requests_total", &healthz) >= 1.0);
    // Nothing else is served there.
    let other = reqwest::get(format!("{separate}/healthz"))
        .await
        .expect("request");
    assert_eq!(other.status(), 404);
}
