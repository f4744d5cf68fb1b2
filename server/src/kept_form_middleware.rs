//! Keeps what a person typed into a form posted without JavaScript when the
//! post fails, so the form comes back filled in (see
//! `app::server::kept_form_cookie`, which the pages read it with), and keeps
//! the error out of the address bar.
//!
//! The server-function framework answers a failed plain post with a
//! redirect to `<form page>?__path=…&__err=…`, from which the page renders
//! the error. The address would stay in the bar, be bookmarked and shared;
//! so the redirect goes to the page's own address, the error travels in a
//! one-minute cookie, and that page's request is given the parameters back
//! on the server (and the cookie cleared) before the page renders.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::server::kept_form_cookie;
use app::server::{cookies, AppState};

/// The cookie carrying a failed plain post's error to the page it returns to.
const ERROR_COOKIE: &str = "lab_form_error";

/// The query parameters the framework carries a plain post's error in.
const ERROR_PARAMS: [&str; 2] = ["__path", "__err"];

/// The largest form body read (axum's default body limit).
const MAX_FORM: usize = 2 * 1024 * 1024;

/// A plain form post ([`app::server::is_plain_form_post`]) to a server
/// function.
fn plain_form_post(request: &Request) -> bool {
    app::server::is_plain_form_post(request.method(), request.headers())
        && request.uri().path().starts_with("/api/")
}

/// Whether the post's fields can be read and kept: URL-encoded ones
/// (multipart uploads are not kept).
fn url_encoded(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .starts_with("application/x-www-form-urlencoded")
}

/// Middleware: a plain form post that fails (its server function answers
/// with a redirect carrying the error) gets its keepable fields back in a
/// short-lived cookie, and its error moved from the address to another.
pub async fn keep(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let secure = cookies::secure(&state.public_url);
    if is_page_load(&request) {
        // An error in the address is never shown: anyone can write one into
        // a link. Only the error this server kept in its cookie is.
        let forged = without_error_params(request.uri());
        let had_forged = forged.is_some();
        if let Some(uri) = forged {
            *request.uri_mut() = uri;
        }
        let error = cookies::find(request.headers(), ERROR_COOKIE).filter(|e| !e.is_empty());
        if let Some(error) = &error {
            if let Some(uri) = with_query(request.uri(), error) {
                *request.uri_mut() = uri;
            }
        }
        if had_forged || error.is_some() {
            // What the browser's address must say before the page hydrates,
            // so that the browser renders what the server rendered.
            let query = request.uri().query().unwrap_or_default().to_owned();
            request
                .extensions_mut()
                .insert(kept_form_cookie::AddressQuery(query));
        }
        let mut response = next.run(request).await;
        if error.is_some() {
            if let Some(clear) = cookies::cleared(ERROR_COOKIE, "/", secure) {
                response.headers_mut().append(SET_COOKIE, clear);
            }
        }
        return response;
    }
    if !plain_form_post(&request) {
        return next.run(request).await;
    }
    let mut kept = None;
    if url_encoded(&request) {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        kept = Some((parts.uri.path().to_owned(), fields));
        request = Request::from_parts(parts, Body::from(bytes));
    }
    let mut response = next.run(request).await;
    let failed =
        response.status().is_redirection() && response.headers().contains_key("serverfnerror");
    if failed {
        if let Some(cookie) =
            kept.and_then(|(form, fields)| kept_form_cookie::set_cookie(&form, fields, secure))
        {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
        move_error_to_cookie(&mut response, secure);
    }
    response
}

/// A page load: a `GET` of a page (not of a server function or a file
/// such as `/favicon.ico`).
fn is_page_load(request: &Request) -> bool {
    let path = request.uri().path();
    let file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    request.method() == Method::GET && !path.starts_with("/api/") && !file
}

/// `uri` without the framework's error parameters, if it had any.
fn without_error_params(uri: &Uri) -> Option<Uri> {
    let (_, clean) = split_error_params(uri.path(), uri.query()?)?;
    clean.parse().ok()
}

/// `page?query` taken apart: the framework's error parameters (as a query
/// string of their own) and the address without them; `None` when the
/// query has none.
fn split_error_params(page: &str, query: &str) -> Option<(String, String)> {
    let (error, kept): (Vec<_>, Vec<_>) = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .partition(|(key, _)| ERROR_PARAMS.contains(&key.as_str()));
    if error.is_empty() {
        return None;
    }
    let error = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(error)
        .finish();
    let clean = if kept.is_empty() {
        page.to_owned()
    } else {
        let kept = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        format!("{page}?{kept}")
    };
    Some((error, clean))
}

/// `uri` with `query` added to its own.
fn with_query(uri: &Uri, query: &str) -> Option<Uri> {
    let joined = match uri.query() {
        Some(own) if !own.is_empty() => format!("{}?{own}&{query}", uri.path()),
        _ => format!("{}?{query}", uri.path()),
    };
    joined.parse().ok()
}

/// Takes the error parameters out of the redirect's `Location` and into
/// [`ERROR_COOKIE`].
fn move_error_to_cookie(response: &mut Response, secure: bool) {
    let Some(location) = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return;
    };
    let Some((error, clean)) = location
        .split_once('?')
        .and_then(|(page, query)| split_error_params(page, query))
    else {
        return;
    };
    let (Ok(clean), Some(cookie)) = (
        HeaderValue::from_str(&clean),
        cookies::short_lived(
            ERROR_COOKIE,
            &error,
            "/",
            kept_form_cookie::MAX_AGE_SECONDS,
            secure,
        ),
    ) else {
        return;
    };
    response.headers_mut().insert(LOCATION, clean);
    response.headers_mut().append(SET_COOKIE, cookie);
}
