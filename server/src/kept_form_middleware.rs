//! Keeps what a person typed into a form posted without JavaScript when the
//! post fails, so the form comes back filled in (see
//! `app::server::kept_form_cookie`, which the pages read it with).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::server::kept_form_cookie;
use app::server::AppState;

/// The largest form body read (axum's default body limit).
const MAX_FORM: usize = 2 * 1024 * 1024;

/// A plain form post ([`app::server::is_plain_form_post`]) to a server
/// function whose fields this middleware can read: URL-encoded ones
/// (multipart uploads are left alone).
fn plain_form_post(request: &Request) -> bool {
    app::server::is_plain_form_post(request.method(), request.headers())
        && request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("application/x-www-form-urlencoded")
}

/// Middleware: a plain form post that fails (its server function answers
/// with a redirect carrying the error) gets its keepable fields back in a
/// short-lived cookie.
pub async fn keep(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !plain_form_post(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let form = parts.uri.path().to_owned();
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let mut response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let failed =
        response.status().is_redirection() && response.headers().contains_key("serverfnerror");
    if failed {
        let secure = app::server::cookies::secure(&state.public_url);
        if let Some(cookie) = kept_form_cookie::set_cookie(&form, fields, secure) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    response
}
