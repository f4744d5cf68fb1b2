//! Server-only code: shared state, the caller of a request, services and
//! database access. Compiled only with the `ssr` feature.

pub mod acting_for;
pub mod api_keys;
pub mod assets;
pub mod auth;
pub mod cookies;
pub mod datasets;
pub mod email_tokens;
pub mod emails;
pub mod kept_form_cookie;
pub mod ledger;
pub mod like;
pub mod metering;
pub mod oneroster;
pub mod password;
pub mod services;
pub mod state;
pub mod throttle;
pub mod tokenizer;
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
    cookies::find(&parts()?.headers, name)
}

/// Who is calling, if anyone is signed in.
pub fn caller() -> Option<Caller> {
    parts()?
        .extensions
        .get::<CurrentCaller>()
        .and_then(|c| c.0.clone())
}

/// Whether the caller is Lab staff (a platform admin), who see drafts and
/// every dataset's files.
pub fn is_staff() -> bool {
    caller().is_some_and(|c| c.role == PlatformRole::Admin)
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

/// The inference API's base URL as people reach it: [`origin`] + `/v1`.
/// The one source of every snippet's and page's base URL.
pub fn api_base_url(state: &AppState) -> String {
    format!("{}/v1", origin(state))
}

/// The origin people reach the portal at: the configured public URL, else
/// the `Host` of this request (as the CSRF check reads it).
pub fn origin(state: &AppState) -> String {
    if state.public_url_configured {
        return state.public_url.clone();
    }
    let scheme = state
        .public_url
        .split_once("://")
        .map_or("http", |(scheme, _)| scheme);
    let host = parts().and_then(|p| {
        p.headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    match host {
        Some(host) if is_host(&host) => format!("{scheme}://{host}"),
        _ => state.public_url.clone(),
    }
}

/// A plausible `host[:port]`: nothing that could break out of a snippet.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// Whether a request is a form posted by a browser without JavaScript: a
/// `POST` that wants a page back (HTML), not data. The one test of it, for
/// server functions ([`plain_form_post`]) and the kept-form middleware alike.
pub fn is_plain_form_post(method: &http::Method, headers: &http::HeaderMap) -> bool {
    method == http::Method::POST
        && headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// Whether this request is a form posted without JavaScript (see
/// [`is_plain_form_post`]).
pub fn plain_form_post() -> bool {
    parts().is_some_and(|p| is_plain_form_post(&p.method, &p.headers))
}

/// Runs a server function body and gives its error the right HTTP status.
///
/// Plain form posts (no JavaScript) are left alone: they get a redirect back
/// to the form with the error in the URL, which a 4xx status would break.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if plain_form_post() {
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

/// Answers the page being rendered with `303 See Other` to `path`, whoever
/// asks (a page is not a server function: no client wants it as data).
pub fn see_other(path: &str) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    match http::HeaderValue::from_str(path) {
        Ok(location) => {
            response.set_status(http::StatusCode::SEE_OTHER);
            response.insert_header(http::header::LOCATION, location);
        }
        Err(_) => tracing::error!(path, "a redirect to a path that is no header value"),
    }
}

#[cfg(test)]
mod tests {
    use http::header::{ACCEPT, CONTENT_TYPE};
    use http::{HeaderMap, HeaderValue, Method};

    use super::{is_host, is_plain_form_post};

    fn headers(accept: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers
    }

    #[test]
    fn a_browser_posting_a_form_without_javascript_wants_a_page_back() {
        let browser = headers("text/html,application/xhtml+xml,*/*;q=0.8");
        assert!(is_plain_form_post(&Method::POST, &browser));
        assert!(!is_plain_form_post(&Method::GET, &browser));
    }

    #[test]
    fn a_hydrated_page_calling_a_server_function_wants_data() {
        assert!(!is_plain_form_post(
            &Method::POST,
            &headers("application/json")
        ));
        assert!(!is_plain_form_post(&Method::POST, &HeaderMap::new()));
    }

    #[test]
    fn only_plain_hosts_are_echoed() {
        assert!(is_host("lab.example.org"));
        assert!(is_host("127.0.0.1:3000"));
        assert!(is_host("[::1]:3000"));
        assert!(!is_host(""));
        assert!(!is_host("evil.org\"; rm -rf /"));
        assert!(!is_host("a b"));
    }
}
