//! Server-only code: shared state, the caller of a request, services and
//! database access. Compiled only with the `ssr` feature.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod kept_form;
pub mod ledger;
pub mod metering;
pub mod password;
pub mod services;
pub mod state;
pub mod throttle;
pub mod tokens;
pub mod upload;

use std::future::Future;

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub use auth::{Caller, ClientAddr, CurrentCaller};
pub use state::AppState;

use crate::domain::role::PlatformRole;
use crate::error::AppError;

/// Logs an internal failure with its full chain and hides it from the caller.
pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
    let error = error.into();
    tracing::error!(error = format!("{error:#}"), "internal error");
    AppError::Internal
}

/// The application state, from the request's context.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| internal(anyhow::anyhow!("AppState missing from context")))
}

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The value of this request's cookie `name`, if it has one.
pub fn request_cookie(name: &str) -> Option<String> {
    parts()?
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

/// Who is calling, if anyone is signed in.
pub fn caller() -> Option<Caller> {
    parts()?
        .extensions
        .get::<CurrentCaller>()
        .and_then(|c| c.0.clone())
}

/// The signed-in caller, or 401.
pub fn require_user() -> Result<Caller, AppError> {
    caller().ok_or(AppError::Unauthorized)
}

/// A signed-in platform admin, or 401/403.
pub fn require_admin() -> Result<Caller, AppError> {
    let caller = require_user()?;
    if caller.role == PlatformRole::Admin {
        Ok(caller)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The browser session of this request.
pub fn session() -> Result<tower_sessions::Session, AppError> {
    parts()
        .and_then(|p| p.extensions.get::<tower_sessions::Session>().cloned())
        .ok_or_else(|| internal(anyhow::anyhow!("session layer missing")))
}

/// The client's address, as far as it is known.
pub fn client_addr() -> Option<std::net::IpAddr> {
    parts()?.extensions.get::<ClientAddr>().and_then(|a| a.0)
}

/// Runs a server function body and gives its error the right HTTP status.
///
/// Plain form posts (no JavaScript) are left alone: they get a redirect back
/// to the form with the error in the URL, which a 4xx status would break.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    let form_post = parts().is_some_and(|p| {
        p.method == http::Method::POST
            && p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
    });
    if form_post {
        return result;
    }
    if let (Err(error), Some(response)) = (&result, use_context::<ResponseOptions>()) {
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }
    result
}

/// Sends the browser to `path` after a successful form post (works with and
/// without JavaScript).
pub fn redirect(path: &str) {
    leptos_axum::redirect(path);
}
