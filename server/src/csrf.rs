//! Cross-site request forgery protection for everything a browser can post.
//!
//! A state-changing request (anything but GET, HEAD, OPTIONS) is refused
//! unless it comes from the portal's own pages: `Sec-Fetch-Site`, when the
//! browser sends it, must be `same-origin` or `none`, and `Origin` (or, when
//! absent, `Referer`) must be the portal's origin. The origin is the
//! configured public URL; when none is configured, the `Host` the browser
//! addressed (a cross-site page cannot make the victim's browser lie about
//! that). The `/v1` API is exempt: it authenticates with bearer keys, never
//! cookies.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::server::AppState;

/// Middleware refusing cross-site state-changing requests with 403.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_safe(&request) || allowed(&state, &request) {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %request.uri().path(),
        origin = ?request.headers().get(header::ORIGIN),
        "refused a cross-site request"
    );
    (
        StatusCode::FORBIDDEN,
        "This request came from another site and was refused.",
    )
        .into_response()
}

fn is_safe(request: &Request) -> bool {
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path().starts_with("/v1/")
}

fn allowed(state: &AppState, request: &Request) -> bool {
    let headers = request.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    let expected = if state.public_url_configured {
        state.public_url.clone()
    } else {
        match text(header::HOST.as_str()) {
            Some(host) => format!("{}://{host}", scheme_of(&state.public_url)),
            None => return false,
        }
    };
    match (
        text(header::ORIGIN.as_str()),
        text(header::REFERER.as_str()),
    ) {
        (Some(origin), _) => origin == expected,
        (None, Some(referer)) => {
            referer == expected || referer.starts_with(&format!("{expected}/"))
        }
        (None, None) => false,
    }
}

fn scheme_of(url: &str) -> &str {
    url.split_once("://").map_or("http", |(scheme, _)| scheme)
}
