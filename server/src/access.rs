//! Who may call each server function, checked before its body is read: a
//! caller who may not call it is refused at once, never after an upload of
//! megabytes. Functions are named by their endpoint (`/api/<endpoint>`):
//! `admin_*` are for platform admins, the few in [`PUBLIC`] for anyone, and
//! every other one for a signed-in caller. Each function checks again on its
//! own; the role matrix test (`server/tests/api/roles.rs`) holds both to the
//! same table.

use std::collections::HashSet;
use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::domain::role::PlatformRole;
use app::error::AppError;
use app::server::auth::CurrentCaller;

/// The server functions anyone may call, signed in or not.
pub const PUBLIC: [&str; 16] = [
    "current_user",
    "sign_up",
    "verify_email",
    "resend_verification",
    "sign_in",
    "sign_out",
    "forgot_password",
    "reset_password",
    "list_models",
    "search_datasets",
    "get_dataset",
    "view_dataset",
    "list_agents",
    "get_agent",
    "get_shared",
    "get_invitation",
];

/// Who a server function is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Anyone,
    SignedIn,
    Admin,
}

/// Who the server function at `endpoint` is for.
pub fn needs(endpoint: &str) -> Needs {
    if endpoint.starts_with("admin_") {
        Needs::Admin
    } else if PUBLIC.contains(&endpoint) {
        Needs::Anyone
    } else {
        Needs::SignedIn
    }
}

/// Middleware refusing a server-function call its caller may not make,
/// before anything reads its body.
pub async fn check(request: Request, next: Next) -> Response {
    static REGISTERED: LazyLock<HashSet<String>> = LazyLock::new(|| {
        crate::startup::server_fn_routes()
            .into_iter()
            .map(|(_, path)| path)
            .collect()
    });
    let path = request.uri().path();
    let Some(endpoint) = path
        .strip_prefix("/api/")
        .filter(|_| REGISTERED.contains(path))
    else {
        return next.run(request).await;
    };
    let caller = request
        .extensions()
        .get::<CurrentCaller>()
        .and_then(|caller| caller.0.as_ref());
    let refusal = match (needs(endpoint), caller) {
        (Needs::Anyone, _) => None,
        (_, None) => Some(AppError::Unauthorized),
        (Needs::Admin, Some(caller)) if caller.role != PlatformRole::Admin => {
            Some(AppError::Forbidden)
        }
        _ => None,
    };
    match refusal {
        None => next.run(request).await,
        Some(error) => {
            let mut answer = refuse(&request, &error);
            // A small body (a form) is read and dropped, so the answer
            // reaches a client still sending it instead of a reset
            // connection; a large one (an upload) is never read, and the
            // connection closes after the answer.
            let small = request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
                .is_some_and(|length| length <= DRAINED_BODY);
            if small {
                let _ = axum::body::to_bytes(request.into_body(), DRAINED_BODY).await;
            } else {
                answer
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            answer
        }
    }
}

/// The largest body a refused call has read (and dropped) before its answer.
const DRAINED_BODY: usize = 64 * 1024;

/// The refusal as the function itself would answer it: its JSON error; for
/// a form posted without JavaScript, the sign-in page (then back to the
/// form's page) to someone signed out (a session that ended), and a page
/// saying no to someone signed in.
fn refuse(request: &Request, error: &AppError) -> Response {
    let plain = app::server::is_plain_form_post(request.method(), request.headers());
    if plain && *error == AppError::Forbidden {
        return (
            StatusCode::FORBIDDEN,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            error.to_string(),
        )
            .into_response();
    }
    if plain && *error == AppError::Unauthorized {
        let back = request
            .headers()
            .get(header::REFERER)
            .and_then(|referer| referer.to_str().ok())
            .and_then(|referer| referer.split_once("://"))
            .and_then(|(_, rest)| rest.find('/').map(|slash| &rest[slash..]))
            .unwrap_or("/");
        let target = app::href::sign_in_then(back);
        if let Ok(location) = HeaderValue::from_str(&target) {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
        }
    }
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::FORBIDDEN);
    let body = serde_json::to_string(error).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_functions_need_an_admin_and_only_the_listed_ones_are_public() {
        assert_eq!(needs("admin_upload_bulk_grant"), Needs::Admin);
        assert_eq!(needs("sign_in"), Needs::Anyone);
        assert_eq!(needs("create_api_key"), Needs::SignedIn);
        assert_eq!(needs("a_function_added_tomorrow"), Needs::SignedIn);
    }
}
