//! Building the application: database, migrations, router and listener.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use app::server::state::AppState;
use app::{shell, App};
use axum::http::{
    Extensions, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Version,
};
use axum::serve::ListenerExt;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{
    file_and_error_handler_with_context, generate_route_list, AxumRouteListing, LeptosRoutes,
};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::config::Settings;
use crate::csrf;
use crate::db;
use crate::embedded_pg::EmbeddedPostgres;
use crate::routes;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The session cookie's name.
const SESSION_COOKIE: &str = "lab_session";

/// A bound, migrated, ready-to-serve portal.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
    batcher: app::server::ledger::Batcher,
    public_url: String,
    embedded: Option<EmbeddedPostgres>,
    /// `/metrics` on an address of its own, when configured.
    metrics: Option<crate::metrics::Separate>,
}

impl Application {
    /// Opens the database (`DATABASE_URL`, or the embedded one), migrates it
    /// and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let (pool, embedded) = open_database(settings).await?;
        let mut app = Self::build_with_pool(settings, pool).await?;
        app.embedded = embedded;
        Ok(app)
    }

    /// Like [`Application::build`], on a pool the caller already opened.
    pub async fn build_with_pool(settings: &Settings, pool: PgPool) -> anyhow::Result<Self> {
        db::migrate(&pool).await?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let bound = listener.local_addr()?;
        let public_url = settings.public_url_for(bound);
        let leptos_options = leptos_options(settings, bound);
        let tokenizers = std::sync::Arc::new(app::server::tokenizer::Tokenizers::new(
            settings.tokenizers_dir(),
        ));
        let assets = app::server::assets::Assets::load(&settings.site_root.join("pkg"));
        let state = AppState {
            assets: std::sync::Arc::new(assets),
            tokenizers: tokenizers.clone(),
            pool: pool.clone(),
            leptos_options,
            public_url: public_url.clone(),
            public_url_configured: settings.public_url.is_some(),
            trust_forwarded_for: settings.trust_forwarded_for,
            session_absolute_hours: settings.session_absolute_hours,
            session_idle_minutes: settings.session_idle_minutes,
            starter_grant: settings.starter_grant()?,
            datasets: settings.dataset_store()?,
            dataset_upload_limit: settings.dataset_upload_max_bytes,
        };
        {
            let store = state.datasets.clone();
            match tokio::task::spawn_blocking(move || store.clear_incoming()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(removed)) => tracing::info!(removed, "removed unfinished dataset uploads"),
                Ok(Err(error)) => tracing::warn!(%error, "removing unfinished dataset uploads"),
                Err(error) => tracing::warn!(%error, "removing unfinished dataset uploads"),
            }
        }
        if settings.seed_datasets {
            seed_empty_catalog(&state, &settings.seed_datasets_dir).await;
            seed_empty_gallery(&state, &settings.seed_agents_dir).await;
        }
        {
            // Files whose viewer table is missing or was cut short.
            let (pool, store) = (pool.clone(), state.datasets.clone());
            tokio::spawn(async move {
                match app::server::datasets::viewer::build_missing(&pool, &store).await {
                    Ok(0) => {}
                    Ok(built) => tracing::info!(built, "loaded dataset files into the viewer"),
                    Err(error) => tracing::error!(
                        error = format!("{error:#}"),
                        "loading dataset files into the viewer"
                    ),
                }
            });
        }
        app::server::password::warm_up();
        // Before the jobs start: their emails link to the portal, and their
        // webhook deliveries follow the private-target rule.
        app::server::services::notifications::set_origin(&public_url);
        app::server::services::webhooks::allow_private_targets(settings.webhooks_allow_private);
        crate::jobs::spawn(pool.clone());
        app::server::services::outbox::log_bodies(settings.smtp_url.is_none());
        crate::mailer::spawn(pool.clone(), settings.smtp_url.clone(), &settings.mail_from)?;
        let sessions = session_layer(&pool, settings, &public_url);
        let batcher = app::server::ledger::Batcher::start(pool.clone(), settings.ledger_writers);
        let metrics = crate::metrics::Metrics::start(settings, &pool, &batcher).await?;
        let meter = app::server::metering::Meter::new(pool.clone(), batcher.clone(), tokenizers);
        let proxy = crate::proxy::Proxy::new(meter)?;
        let mut router = router(state, sessions, proxy);
        if settings.simulator {
            crate::simulator::register(&pool, bound).await?;
            // Only the portal itself (and tools on this machine) may call
            // it: it is free, and some of its fault models never answer.
            router = router.nest(
                crate::simulator::PREFIX,
                crate::simulator::router(crate::simulator::Options::default())
                    .layer(axum::middleware::from_fn(crate::simulator::loopback_only)),
            );
        }
        let router = crate::metrics::around(metrics.as_ref(), router);
        let router = with_baseline_headers(router);
        Ok(Self {
            listener,
            router,
            pool,
            batcher,
            public_url,
            embedded: None,
            metrics: crate::metrics::Separate::of(metrics),
        })
    }

    /// The address the listener bound (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The origin people reach the portal at.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The address `/metrics` is served on apart from the portal, if any.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref()?.local_addr().ok()
    }

    /// Serves until `shutdown` completes, lets in-flight requests finish,
    /// then closes the pool and stops the embedded database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            pool,
            batcher,
            embedded,
            metrics,
            ..
        } = self;
        let metrics = metrics.map(|metrics| tokio::spawn(metrics.serve()));
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        // Streams are many small writes: without TCP_NODELAY, Nagle's
        // algorithm holds each one back until the previous is acknowledged,
        // and a delayed ACK turns that into ~40 ms per stream.
        let listener = listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "cannot set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // Unused leased credit goes back to its accounts now rather than
        // when the leases expire.
        batcher.return_leases().await;
        tracing::info!("stopped accepting requests; closing the database pool");
        pool.close().await;
        stop_embedded(embedded).await?;
        served.context("serving HTTP")
    }
}

/// The database alone, migrated, for commands that serve nothing.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Opens (`DATABASE_URL`, or the embedded one) and migrates the database.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let (pool, embedded) = open_database(settings).await?;
        db::migrate(&pool).await?;
        Ok(Self { pool, embedded })
    }

    /// Closes the pool and stops the embedded database.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        stop_embedded(self.embedded).await
    }
}

async fn stop_embedded(embedded: Option<EmbeddedPostgres>) -> anyhow::Result<()> {
    if let Some(mut pg) = embedded {
        // Blocking process calls; the runtime is winding down anyway.
        tokio::task::spawn_blocking(move || pg.stop()).await??;
    }
    Ok(())
}

async fn open_database(settings: &Settings) -> anyhow::Result<(PgPool, Option<EmbeddedPostgres>)> {
    if let Some(url) = &settings.database_url {
        return Ok((
            db::connect(url, settings.database_max_connections).await?,
            None,
        ));
    }
    let data_dir = settings.data_dir.clone();
    let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&data_dir)).await??;
    db::ensure_embedded_database(&pg).await?;
    let url = SecretString::from(pg.database_url());
    let pool = db::connect(&url, settings.database_max_connections).await?;
    Ok((pool, Some(pg)))
}

fn leptos_options(settings: &Settings, bound: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("lab-portal")
        .site_root(settings.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(bound)
        .build()
}

/// Browser sessions, stored in PostgreSQL so servers stay stateless. The
/// record lives as long as a login may; idle logins end through
/// `logins.last_seen_at`.
fn session_layer(
    pool: &PgPool,
    settings: &Settings,
    public_url: &str,
) -> SessionManagerLayer<crate::session_store::HashedIds<PostgresStore>> {
    let store = PostgresStore::new(pool.clone());
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(std::time::Duration::from_secs(3600)),
    );
    SessionManagerLayer::new(crate::session_store::HashedIds(store))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(app::server::cookies::secure(public_url))
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(i64::from(
            settings.session_absolute_hours,
        ))))
}

/// Two repairs to what the server-function framework answers:
///
/// - Errors raised before our code runs (a missing or malformed argument)
///   leave its blanket 500. The body is our own [`app::error::AppError`], so
///   the status is restored from it: a bad request is the caller's 4xx, not
///   a server fault.
/// - A failed form post without JavaScript is sent back to the page it came
///   from with the error in the query. When that page already carried an
///   earlier error, the framework appends the new one after it and the page
///   shows the old one; only the newest is kept.
async fn server_fn_response(response: axum::response::Response) -> axum::response::Response {
    const MAX_ERROR_BODY: usize = 64 * 1024;
    if !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    if parts.status.is_redirection() {
        let newest = parts
            .headers
            .get(axum::http::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(newest_error_only)
            .and_then(|location| HeaderValue::from_str(&location).ok());
        if let Some(location) = newest {
            parts.headers.insert(axum::http::header::LOCATION, location);
        }
        return axum::response::Response::from_parts(parts, body);
    }
    if parts.status != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return axum::response::Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR).into_response();
    };
    if let Some(status) = serde_json::from_slice::<app::error::AppError>(&bytes)
        .ok()
        .and_then(|error| axum::http::StatusCode::from_u16(error.status()).ok())
    {
        parts.status = status;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// `location` with only its last `__path` and `__err` query pairs, or `None`
/// when it has at most one of each already.
fn newest_error_only(location: &str) -> Option<String> {
    let (base, query) = location.split_once('?')?;
    let pairs: Vec<&str> = query.split('&').collect();
    let is = |pair: &str, key: &str| pair.split('=').next() == Some(key);
    let last = |key: &str| pairs.iter().rposition(|pair| is(pair, key));
    let (path, err) = (last("__path"), last("__err"));
    let count = |key: &str| pairs.iter().filter(|pair| is(pair, key)).count();
    if count("__path") <= 1 && count("__err") <= 1 {
        return None;
    }
    let kept: Vec<&str> = pairs
        .iter()
        .enumerate()
        .filter(|&(i, pair)| {
            (!is(pair, "__path") || Some(i) == path) && (!is(pair, "__err") || Some(i) == err)
        })
        .map(|(_, pair)| *pair)
        .collect();
    Some(format!("{base}?{}", kept.join("&")))
}

/// The pages of the app, as [`router`] mounts them.
fn app_routes() -> Vec<AxumRouteListing> {
    generate_route_list(App)
}

/// Every page route of the app: method and path (axum's syntax), exactly
/// as [`router`] mounts them.
pub fn page_routes() -> Vec<(Method, String)> {
    app_routes()
        .iter()
        .flat_map(|listing| {
            listing
                .methods()
                .map(|method| (http_method(method), listing.path().to_owned()))
        })
        .collect()
}

fn http_method(method: leptos_router::Method) -> Method {
    match method {
        leptos_router::Method::Get => Method::GET,
        leptos_router::Method::Post => Method::POST,
        leptos_router::Method::Put => Method::PUT,
        leptos_router::Method::Delete => Method::DELETE,
        leptos_router::Method::Patch => Method::PATCH,
    }
}

/// Every server function the router serves: method and path, from the
/// server-function registry the router mounts them from.
pub fn server_fn_routes() -> Vec<(Method, String)> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method, path.to_owned()))
        .collect()
}

/// The complete HTTP surface of the portal. The inference proxy under
/// `/v1` sits outside the page layers (sessions, CSRF, compression): it is
/// authenticated by API key, sets its own request id, and streams.
///
/// Every route comes from a list the role matrix test
/// (`server/tests/api/roles.rs`) reads too: the pages from the app's router
/// ([`page_routes`]), server functions from their registry
/// ([`server_fn_routes`]), plain routes from the tables in
/// [`crate::routes`], [`crate::proxy::routes`] and
/// [`crate::simulator::routes`]. Add routes there, never here. `/metrics`,
/// when served on this address, is added around it at start-up
/// ([`crate::metrics::around`], from [`crate::metrics::routes`]).
pub fn router(
    state: AppState,
    sessions: SessionManagerLayer<crate::session_store::HashedIds<PostgresStore>>,
    proxy: crate::proxy::Proxy,
) -> Router {
    let pages = app_routes();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let page_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id,
        )
    });
    // Outermost first: every response carries the request id, and the log
    // span of a request carries it too.
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Not a ranged download: its bytes and ETag are the file's own.
        .layer(
            CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
                    !headers.contains_key(axum::http::header::ACCEPT_RANGES)
                },
            )),
        );
    // Inner layers see requests last: the session is loaded, then the caller
    // resolved from it, and cross-site posts are refused before any of that.
    let portal = routes::add(Router::new(), routes::portal())
        // The playground's replies are metered by the proxy's meter.
        .layer(axum::Extension(proxy.clone()))
        .leptos_routes_with_context(&state, pages, context.clone(), page_shell)
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(axum::middleware::map_response(server_fn_response))
        .layer(header("cache-control", "no-cache"))
        .layer(from_fn_with_state(
            state.clone(),
            crate::kept_form_middleware::keep,
        ))
        .layer(axum::middleware::from_fn(crate::access::check))
        .layer(from_fn_with_state(
            state.clone(),
            app::server::auth::resolve_caller,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(private_to_the_caller))
        .layer(from_fn_with_state(state.clone(), csrf::protect))
        .layer(from_fn_with_state(state.clone(), csrf::known_host));
    let site = routes::add(Router::new(), routes::probes())
        .nest_service("/pkg", bundle(&state))
        .merge(portal)
        .layer(layers)
        .with_state(state);
    Router::new()
        .nest(crate::proxy::PREFIX, crate::proxy::router(proxy))
        .merge(site)
}

/// Loads the starter catalog into a portal that has no datasets; a
/// failure is logged, and the portal serves on with an empty catalog.
async fn seed_empty_catalog(state: &AppState, dir: &std::path::Path) {
    use app::server::services::datasets;
    match datasets::count_all(&state.pool).await {
        Ok(0) => {}
        Ok(_) => return,
        Err(error) => {
            tracing::error!(%error, "counting datasets");
            return;
        }
    }
    match app::server::datasets::seed::load(&state.pool, &state.datasets, dir).await {
        Ok(added) => {
            tracing::info!(added, dir = %dir.display(), "loaded the starter dataset catalog")
        }
        Err(error) => tracing::error!(
            error = format!("{error:#}"),
            "loading the starter dataset catalog"
        ),
    }
}

/// Loads the starter agents into a portal that has no agents (after the
/// starter catalog, whose datasets they link); a failure is logged, and
/// the portal serves on with an empty gallery.
async fn seed_empty_gallery(state: &AppState, dir: &std::path::Path) {
    use app::server::services::agents;
    match agents::count_all(&state.pool).await {
        Ok(0) => {}
        Ok(_) => return,
        Err(error) => {
            tracing::error!(%error, "counting agents");
            return;
        }
    }
    match agents::seed(&state.pool, dir).await {
        Ok(added) => tracing::info!(added, dir = %dir.display(), "loaded the starter agents"),
        Err(error) => tracing::error!(error = format!("{error:#}"), "loading the starter agents"),
    }
}

/// The headers every response carries, the proxy's and the simulator's
/// included: added around the whole router, once every route is on it.
pub fn with_baseline_headers(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(header("x-content-type-options", "nosniff"))
            .layer(header("x-frame-options", "DENY"))
            .layer(header("referrer-policy", "strict-origin-when-cross-origin")),
    )
}

/// What is answered to a caller with a session (a signed-in one), or sets
/// a cookie, is theirs alone: `private, no-store`, so neither a shared
/// cache nor the browser's history keeps a copy. Others keep the
/// `no-cache` of pages; a stricter `no-store` a handler set stays.
/// Outside the session layer, to see the session's own cookie being set.
async fn private_to_the_caller(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let has_session = app::server::cookies::find(request.headers(), SESSION_COOKIE).is_some();
    let mut response = next.run(request).await;
    let stored_nowhere = response
        .headers()
        .get(axum::http::header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("no-store"));
    let personal = has_session
        || response
            .headers()
            .contains_key(axum::http::header::SET_COOKIE);
    if personal && !stored_nowhere {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}

/// The browser bundle under `/pkg`, outside sessions and CSRF: brotli or
/// gzip files written at build are sent as they are, and fingerprinted
/// names (see [`crate::assets`]) are cached for a year. Pages and server
/// functions are `no-cache` (see [`router`]).
fn bundle(state: &AppState) -> axum::routing::MethodRouter {
    let dir = std::path::Path::new(state.leptos_options.site_root.as_ref()).join("pkg");
    let cache = if state.assets.fingerprinted {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    };
    let files = tower_http::services::ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip();
    axum::routing::get_service(files).layer(axum::middleware::map_response(
        move |mut response: axum::response::Response| {
            let cache = cache.clone();
            async move {
                if response.status().is_success() || response.status().is_redirection() {
                    response
                        .headers_mut()
                        .insert(axum::http::header::CACHE_CONTROL, cache);
                }
                response
            }
        },
    ))
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

#[cfg(test)]
mod tests {
    use super::newest_error_only;

    #[test]
    fn only_the_newest_form_error_stays_in_the_address() {
        assert_eq!(
            newest_error_only("http://x/sign-in?next=%2Fkeys&__path=%2Fapi%2Fa&__err=b2xk&__path=%2Fapi%2Fa&__err=bmV3"),
            Some("http://x/sign-in?next=%2Fkeys&__path=%2Fapi%2Fa&__err=bmV3".to_owned())
        );
        assert_eq!(
            newest_error_only("http://x/sign-in?__path=%2Fapi%2Fa&__err=bmV3"),
            None
        );
        assert_eq!(newest_error_only("http://x/sign-in"), None);
    }
}
