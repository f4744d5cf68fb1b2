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
//!
//! [`known_host`] refuses any request to the pages addressed by a name that
//! is not the portal's: a local install reached through a name an attacker
//! controls (DNS rebinding) would otherwise take that name as its origin.

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

/// Middleware answering 421 (Misdirected Request) to a request whose
/// `Host` is not the portal's: the configured public URL's host when there
/// is one; besides, always, an IP address or `localhost` (names no one else
/// can point at this server).
pub async fn known_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if host.is_none_or(|host| host_is_ours(&state, host)) {
        return next.run(request).await;
    }
    tracing::warn!(host, "refused a request for another host");
    (
        StatusCode::MISDIRECTED_REQUEST,
        "This portal is not served under that name.",
    )
        .into_response()
}

fn host_is_ours(state: &AppState, host: &str) -> bool {
    let name = name_of(host);
    if name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok()
    {
        return true;
    }
    state.public_url_configured
        && state
            .public_url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
            .is_some_and(|public| name.eq_ignore_ascii_case(name_of(public)))
}

/// `host[:port]` without the port (an IPv6 address keeps its brackets).
fn name_of(host: &str) -> &str {
    match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => &host[..colon],
        _ => host,
    }
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

#[cfg(test)]
mod tests {
    use super::name_of;

    #[test]
    fn a_host_is_named_without_its_port() {
        assert_eq!(name_of("portal.example:3000"), "portal.example");
        assert_eq!(name_of("portal.example"), "portal.example");
        assert_eq!(name_of("[::1]:3000"), "[::1]");
        assert_eq!(name_of("[::1]"), "[::1]");
        assert_eq!(name_of("127.0.0.1:80"), "127.0.0.1");
    }
}
