//! `/metrics` in Prometheus' text format: the recorder every `metrics::`
//! macro of the portal records into, the description of each metric, the
//! gauges sampled when scraped, the HTTP middleware counting requests, and
//! where `/metrics` is served.
//!
//! Nothing is recorded, and `/metrics` is not served, unless
//! `metrics_listen` (an address of its own) or `metrics_token` (`/metrics`
//! on the portal's address, for a Bearer token) is set. The recorder is
//! global to the process and installed once; every portal built in the
//! process (tests build many) records into it.
//!
//! The names recorded elsewhere are constants here ([`PROXY_UPSTREAM`], …),
//! except the ledger's batch size, which the app crate records
//! ([`Batcher::BATCH_SIZE_METRIC`]). Label values are bounded sets: a
//! route's pattern (never the path asked for), a method from a fixed list,
//! a configured model's id, a job's name.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use app::server::ledger::Batcher;
use app::server::metering::Model;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Label,
    SharedString, Unit,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::routes::Route;

/// Requests answered, by method, route and status.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Time to a request's response head, by method, route and status.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// `/v1` requests that reached the upstream, by model and outcome.
pub const PROXY_REQUESTS: &str = "proxy_requests_total";
/// Upstream time of a completed `/v1` answer, by model and provider.
pub const PROXY_UPSTREAM: &str = "proxy_upstream_duration_seconds";
/// A stream's first chunk, from the request's arrival, by model.
pub const PROXY_FIRST_TOKEN: &str = "proxy_time_to_first_token_seconds";
/// Rounds of each periodic job, by job and outcome.
pub const JOB_RUNS: &str = "jobs_runs_total";
const LEDGER_BATCH: &str = Batcher::BATCH_SIZE_METRIC;
const LEDGER_QUEUE: &str = "ledger_queue_depth";
const LEDGER_LEASES: &str = "ledger_leases_open";
const LEDGER_RESERVATIONS: &str = "ledger_reservations_open";
const DB_OPEN: &str = "db_pool_connections_open";
const DB_IDLE: &str = "db_pool_connections_idle";
const DB_IN_USE: &str = "db_pool_connections_in_use";
const DB_MAX: &str = "db_pool_connections_max";
const OUTBOX_BACKLOG: &str = "outbox_backlog";

/// Buckets of every `…_seconds` histogram: 1 ms (a page from memory) to
/// 30 s (a long completion), about ×2.5 apart.
const SECONDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets of the ledger's batch size: 1 to its most, 256 charges.
const BATCH_ROWS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// How often histograms are drained between scrapes, so their samples do
/// not pile up in memory when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(5);
/// The longest a scrape waits for the outbox count.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);
/// What Prometheus' text format is served as.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether the recorder is installed: without it the macros record
/// nothing, but would still build each series' key (its labels copied), so
/// the proxy's helpers skip them.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// The process's recorder, installed by the first caller (a portal's
/// start-up); later calls get the same handle.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| install_once().map_err(|error| format!("{error:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn install_once() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS)?
        .set_buckets_for_metric(Matcher::Full(LEDGER_BATCH.to_owned()), &BATCH_ROWS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    describe();
    RECORDING.store(true, Ordering::Relaxed);
    let upkeep = handle.clone();
    // A thread rather than a task: the recorder outlives any one runtime
    // (tests start a runtime per test).
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP);
            upkeep.run_upkeep();
        });
    if let Err(error) = spawned {
        // Scrapes drain the histograms too; only an unscraped portal grows.
        tracing::warn!(%error, "cannot start the metrics upkeep thread");
    }
    Ok(handle)
}

/// The `# HELP` of every metric, with its unit.
fn describe() {
    describe_counter!(HTTP_REQUESTS, Unit::Count, "HTTP requests answered, by method, route (the matched pattern, `unmatched` when none) and status.");
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response head, by method, route and status."
    );
    describe_counter!(
        PROXY_REQUESTS,
        Unit::Count,
        "/v1 requests sent upstream, by model and outcome (ok, error, timeout, client_gone)."
    );
    describe_histogram!(PROXY_UPSTREAM, Unit::Seconds, "Time from sending a /v1 request upstream to its complete answer (a stream's end), by model and provider.");
    describe_histogram!(
        PROXY_FIRST_TOKEN,
        Unit::Seconds,
        "Time from a streamed /v1 request's arrival to its first chunk sent on, by model."
    );
    describe_histogram!(
        LEDGER_BATCH,
        Unit::Count,
        "Charges written in one ledger group commit."
    );
    describe_gauge!(
        LEDGER_QUEUE,
        Unit::Count,
        "Operations waiting for each ledger writer, by writer."
    );
    describe_gauge!(
        LEDGER_LEASES,
        Unit::Count,
        "Ledger leases this process holds open."
    );
    describe_gauge!(
        LEDGER_RESERVATIONS,
        Unit::Count,
        "Reservations open on those leases (metered requests in flight)."
    );
    describe_gauge!(
        DB_OPEN,
        Unit::Count,
        "Database connections open in the pool."
    );
    describe_gauge!(
        DB_IDLE,
        Unit::Count,
        "Open database connections idle in the pool."
    );
    describe_gauge!(DB_IN_USE, Unit::Count, "Open database connections in use.");
    describe_gauge!(DB_MAX, Unit::Count, "The most connections the pool opens.");
    describe_gauge!(
        OUTBOX_BACKLOG,
        Unit::Count,
        "Unsent emails: pending (still tried) or abandoned (past the attempts allowed)."
    );
    describe_counter!(
        JOB_RUNS,
        Unit::Count,
        "Rounds of each periodic job, by job and outcome (ok, error)."
    );
}

/// `/metrics` as configured, from start-up until served.
pub struct Metrics {
    scrape: Scrape,
    on_portal: bool,
    separate: Option<TcpListener>,
}

impl Metrics {
    /// Installs the recorder and binds `metrics_listen` when either setting
    /// asks for metrics; `None` when neither does.
    pub async fn start(
        settings: &Settings,
        pool: &PgPool,
        batcher: &Batcher,
    ) -> anyhow::Result<Option<Self>> {
        if settings.metrics_listen.is_none() && settings.metrics_token.is_none() {
            return Ok(None);
        }
        let token = match &settings.metrics_token {
            Some(token) if token.expose_secret().trim().is_empty() => {
                bail!("metrics_token is set but empty: give it a secret, or unset it")
            }
            Some(token) => Some(digest(token.expose_secret())),
            None => None,
        };
        let separate = match settings.metrics_listen {
            Some(address) => Some(
                TcpListener::bind(address)
                    .await
                    .with_context(|| format!("listening for /metrics on {address}"))?,
            ),
            None => None,
        };
        if let Some(bound) = separate.as_ref().and_then(|l| l.local_addr().ok()) {
            tracing::info!(%bound, "serving /metrics on an address of its own");
        }
        let scrape = Scrape {
            inner: Arc::new(Inner {
                handle: install()?,
                pool: pool.clone(),
                batcher: batcher.clone(),
                token,
            }),
        };
        Ok(Some(Self {
            on_portal: scrape.inner.token.is_some(),
            scrape,
            separate,
        }))
    }
}

/// `router` with every request counted and timed, and with `/metrics` when
/// it is served on the portal's address; as it is without metrics.
pub fn around(metrics: Option<&Metrics>, router: Router) -> Router {
    let Some(metrics) = metrics else {
        return router;
    };
    let router = if metrics.on_portal {
        router.merge(scrape_router(metrics.scrape.clone()))
    } else {
        router
    };
    router.layer(axum::middleware::from_fn(track))
}

/// `/metrics` on an address of its own, serving nothing else.
pub struct Separate {
    listener: TcpListener,
    router: Router,
}

impl Separate {
    /// Takes the listener of `metrics`, if it has one.
    pub fn of(metrics: Option<Metrics>) -> Option<Self> {
        let metrics = metrics?;
        Some(Self {
            listener: metrics.separate?,
            router: scrape_router(metrics.scrape),
        })
    }

    /// The address it bound (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until dropped (its task aborted).
    pub async fn serve(self) {
        if let Err(error) = axum::serve(self.listener, self.router).await {
            tracing::error!(%error, "serving /metrics");
        }
    }
}

/// What a scrape needs; cheap to clone.
#[derive(Clone)]
pub struct Scrape {
    inner: Arc<Inner>,
}

struct Inner {
    handle: PrometheusHandle,
    pool: PgPool,
    batcher: Batcher,
    /// The SHA-256 of the token callers must send, if one is set.
    token: Option<[u8; 32]>,
}

/// Where `/metrics` is mounted.
pub const PATH: &str = "/metrics";

/// The route table of `/metrics` (read by the role matrix test too).
pub fn routes() -> Vec<Route<Scrape>> {
    vec![Route::get(PATH, scrape)]
}

fn scrape_router(scrape: Scrape) -> Router {
    crate::routes::add(Router::new(), routes()).with_state(scrape)
}

/// `GET /metrics`: the gauges sampled now, then every metric rendered.
async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if !scrape.admits(&headers) {
        let mut refused = StatusCode::UNAUTHORIZED.into_response();
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return refused;
    }
    scrape.sample().await;
    let body = scrape.inner.handle.render();
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], body).into_response()
}

impl Scrape {
    /// Whether the caller sent the token, when one is set. Digests are
    /// compared, in constant time, so neither the token's bytes nor its
    /// length can be learned from how long a refusal takes.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.inner.token else {
            return true;
        };
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| digest(token.trim()));
        sent.is_some_and(|sent| bool::from(sent.ct_eq(expected)))
    }

    /// Sets the gauges read from the pool, the ledger and the outbox.
    async fn sample(&self) {
        let Inner { pool, batcher, .. } = &*self.inner;
        let idle = pool.num_idle() as f64;
        gauge!(DB_OPEN).set(pool.size());
        gauge!(DB_IDLE).set(idle);
        gauge!(DB_IN_USE).set((f64::from(pool.size()) - idle).max(0.0));
        gauge!(DB_MAX).set(pool.options().get_max_connections());
        gauge!(LEDGER_LEASES).set(batcher.leases_open() as f64);
        gauge!(LEDGER_RESERVATIONS).set(batcher.reservations_open() as f64);
        for (writer, depth) in batcher.queue_depths().into_iter().enumerate() {
            gauge!(LEDGER_QUEUE, "writer" => writer.to_string()).set(depth as f64);
        }
        match tokio::time::timeout(SAMPLE_TIMEOUT, outbox_backlog(pool)).await {
            Ok(Ok((pending, abandoned))) => {
                gauge!(OUTBOX_BACKLOG, "state" => "pending").set(pending as f64);
                gauge!(OUTBOX_BACKLOG, "state" => "abandoned").set(abandoned as f64);
            }
            // The last values stay; the rest of the scrape is still good.
            Ok(Err(error)) => tracing::warn!(%error, "metrics: counting the outbox"),
            Err(_) => tracing::warn!("metrics: counting the outbox took over 2 s"),
        }
    }
}

/// Unsent emails still tried, and those past their attempts (the mailer's
/// rule, `outbox::MAX_ATTEMPTS`); read from the index of unsent rows.
async fn outbox_backlog(pool: &PgPool) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select count(*) filter (where attempts < $1), count(*) filter (where attempts >= $1)
         from outbox where sent_at is null",
    )
    .bind(app::server::services::outbox::MAX_ATTEMPTS)
    .fetch_one(pool)
    .await
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The middleware counting and timing every request by its route's
/// pattern: the path asked for would make a series per URL.
async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_label(&request);
    let response = next.run(request).await;
    record_request(method, route, response.status(), started);
    response
}

/// Records one request (`method` as [`method_label`] gives it) to `route`
/// (its pattern), answered with `status`, that arrived at `started`.
pub fn record_request(
    method: &'static str,
    route: SharedString,
    status: StatusCode,
    started: Instant,
) {
    let labels = vec![
        Label::from_static_parts("method", method),
        Label::new("route", route),
        Label::new("status", status.as_str().to_owned()),
    ];
    counter!(HTTP_REQUESTS, labels.clone()).increment(1);
    histogram!(HTTP_DURATION, labels).record(started.elapsed());
}

/// The request's method, when it is a standard one: any other word a client
/// sends would be a new series.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route's pattern (`/orgs/{slug}`, `/api/<endpoint>`); the browser
/// bundle, nested under `/pkg` as a service, has none of its own.
fn route_label(request: &Request) -> SharedString {
    if let Some(matched) = request.extensions().get::<MatchedPath>() {
        return SharedString::from_owned(matched.as_str().to_owned());
    }
    if request.uri().path().starts_with("/pkg/") {
        return SharedString::const_str("/pkg/{file}");
    }
    SharedString::const_str("unmatched")
}

/// How a `/v1` request that reached the upstream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A complete answer (a stream to its end).
    Ok,
    /// The upstream failed, refused or cut the answer short.
    Error,
    /// The upstream did not answer in the model's time.
    Timeout,
    /// The client left mid-stream.
    ClientGone,
}

impl Outcome {
    /// The outcome of a request that failed with `status`.
    pub fn of_failure(status: StatusCode) -> Self {
        if status == StatusCode::GATEWAY_TIMEOUT {
            Self::Timeout
        } else {
            Self::Error
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::ClientGone => "client_gone",
        }
    }
}

/// Records a `/v1` request sent upstream at `sent` that ended with
/// `outcome`; a complete answer's time is recorded too. The model's id is
/// the one string copied (it is shared by both series).
pub fn upstream_done(model: &Model, sent: Instant, outcome: Outcome) {
    if !RECORDING.load(Ordering::Relaxed) {
        return;
    }
    let id = SharedString::from(Arc::<str>::from(model.public_id.as_str()));
    counter!(PROXY_REQUESTS, "model" => id.clone(), "outcome" => outcome.label()).increment(1);
    if outcome == Outcome::Ok {
        histogram!(PROXY_UPSTREAM, "model" => id, "provider" => model.provider.clone())
            .record(sent.elapsed());
    }
}

/// Records a stream's first chunk, `started` being the request's arrival.
pub fn first_token(model: &Model, started: Instant) {
    if !RECORDING.load(Ordering::Relaxed) {
        return;
    }
    histogram!(PROXY_FIRST_TOKEN, "model" => model.public_id.clone()).record(started.elapsed());
}

/// Records one round of the periodic job `job`.
pub fn job_ran(job: &'static str, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    counter!(JOB_RUNS, "job" => job, "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standard_methods_are_labels_of_their_own() {
        assert_eq!(method_label(&Method::POST), "POST");
        let odd = Method::from_bytes(b"BREW").expect("a method");
        assert_eq!(method_label(&odd), "other");
    }

    #[test]
    fn a_request_no_route_matched_is_unmatched_whatever_its_path() {
        let request = Request::builder()
            .uri("/no/such/page/12345")
            .body(axum::body::Body::empty())
            .expect("a request");
        assert_eq!(&*route_label(&request), "unmatched");
        let bundle = Request::builder()
            .uri("/pkg/lab-portal-1a2b.wasm")
            .body(axum::body::Body::empty())
            .expect("a request");
        assert_eq!(&*route_label(&bundle), "/pkg/{file}");
    }

    #[test]
    fn timeouts_are_told_from_other_failures() {
        assert_eq!(
            Outcome::of_failure(StatusCode::GATEWAY_TIMEOUT),
            Outcome::Timeout
        );
        assert_eq!(Outcome::of_failure(StatusCode::BAD_GATEWAY), Outcome::Error);
    }
}
