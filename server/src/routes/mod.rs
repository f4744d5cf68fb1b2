//! Plain axum routes that live beside the Leptos pages, and the route
//! tables every plain axum surface is built from.
//!
//! axum cannot list the routes of a router, so each plain surface (the
//! probes, the portal's downloads, the `/v1` proxy, the simulator) keeps its
//! routes in one table, a `Vec<Route<_>>`, and its router is built from it
//! with [`add`]. The role matrix test (`server/tests/api/roles.rs`) reads the
//! same tables: a route added to a table without an access class there
//! fails that test.

pub mod agent_file;
pub mod conversation_export;
pub mod course_usage_csv;
pub mod credits_csv;
pub mod datasets;
pub mod datasets_api;
pub mod health;
pub mod org_usage_csv;
pub mod support_attachment;

use app::server::state::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use axum::Router;

/// One route of a plain axum surface: its method, its path (relative to
/// where its table is mounted) and its handler.
pub struct Route<S> {
    /// The HTTP method it answers.
    pub method: Method,
    /// Its path, in axum's syntax, relative to where its table is mounted.
    pub path: &'static str,
    handler: MethodRouter<S>,
}

impl<S: Clone + Send + Sync + 'static> Route<S> {
    /// `GET path`, answered by `handler`.
    pub fn get<H, T>(path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        Self {
            method: Method::GET,
            path,
            handler: axum::routing::get(handler),
        }
    }

    /// `POST path`, answered by `handler`.
    pub fn post<H, T>(path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        Self {
            method: Method::POST,
            path,
            handler: axum::routing::post(handler),
        }
    }
}

/// `router` with every route of `table`.
pub fn add<S: Clone + Send + Sync + 'static>(router: Router<S>, table: Vec<Route<S>>) -> Router<S> {
    table.into_iter().fold(router, |router, route| {
        router.route(route.path, route.handler)
    })
}

/// The probes, served outside the page layers (no session, no CSRF check):
/// `GET /healthz` and `GET /readyz`.
pub fn probes() -> Vec<Route<AppState>> {
    vec![
        Route::get("/healthz", health::healthz),
        Route::get("/readyz", health::readyz),
    ]
}

/// Plain routes served beside the pages, inside the page layers (the
/// caller is resolved from the session): the downloads, the datasets'
/// Croissant descriptions, the datasets API for scripts, the playground's
/// replies and conversation exports.
pub fn portal() -> Vec<Route<AppState>> {
    vec![
        Route::get("/credits/history.csv", credits_csv::export),
        Route::get("/orgs/{slug}/usage.csv", org_usage_csv::export),
        Route::get("/courses/{slug}/usage.csv", course_usage_csv::export),
        Route::get(
            "/datasets/{slug}/v/{number}/files/{name}",
            datasets::download,
        ),
        Route::get("/datasets/{slug}/croissant.json", datasets::croissant_json),
        Route::get("/api/v1/datasets", datasets_api::list),
        Route::get("/api/v1/datasets/{slug}", datasets_api::show),
        Route::post("/playground/{id}/messages", crate::playground::send),
        Route::get("/playground/{id}/export.md", conversation_export::markdown),
        Route::get("/playground/{id}/export.json", conversation_export::json),
        Route::get("/admin/agents/{slug}/agent.json", agent_file::download),
        Route::get("/support/attachments/{id}", support_attachment::download),
    ]
}
