//! The state every request handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

/// The credit an approved application receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StarterGrant {
    pub amount: crate::domain::credits::Credits,
    /// Days until it expires; `None` never expires.
    pub valid_days: Option<u32>,
}

/// Shared, cheaply clonable application state.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    /// The origin people reach the portal at, without a trailing slash.
    pub public_url: String,
    /// Whether `public_url` was configured, rather than derived from the
    /// listen address.
    pub public_url_configured: bool,
    /// Take the client address from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// A login ends this many hours after sign-in.
    pub session_absolute_hours: u32,
    /// A login ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// Granted when an onboarding application is approved.
    pub starter_grant: StarterGrant,
    /// The browser bundle's file names, for the page shell.
    pub assets: std::sync::Arc<crate::server::assets::Assets>,
    /// The tokenizers models may count with (shared with the meter).
    pub tokenizers: std::sync::Arc<crate::server::tokenizer::Tokenizers>,
    /// Where dataset files are stored.
    pub datasets: crate::server::datasets::storage::Store,
    /// The largest dataset file an admin may upload, in bytes.
    pub dataset_upload_limit: u64,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
