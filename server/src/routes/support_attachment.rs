//! `GET /support/attachments/{id}`: a file sent with a support message,
//! for the person who opened the request and for Lab staff; "not found" to
//! anyone else (nobody learns that someone else's file exists). Always a
//! download (`attachment`, `application/octet-stream`): a file a person
//! uploaded is never rendered as a page of the portal's origin.

use app::domain::role::PlatformRole;
use app::server::services::support;
use app::server::{AppState, CurrentCaller};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tower::ServiceExt;
use tower_http::services::ServeFile;

pub async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let Some(caller) = caller.0 else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
    };
    let missing = || (StatusCode::NOT_FOUND, "There is no such file.").into_response();
    let failed = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "sending a support attachment");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again.",
        )
            .into_response()
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return missing();
    };
    let file = match support::attachment(&state.pool, id).await {
        Ok(Some(file)) => file,
        Ok(None) => return missing(),
        Err(error) => return failed(&error),
    };
    if file.requester_id != caller.user_id && caller.role != PlatformRole::Admin {
        return missing();
    }
    let Ok(sha256) = <[u8; 32]>::try_from(file.sha256.as_slice()) else {
        return failed(&"a stored digest is not 32 bytes");
    };
    let path = match state.datasets.local(&sha256).await {
        Ok(path) => path,
        Err(error) => return failed(&format!("{error:#}")),
    };
    let mut response = match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(error) => return failed(&error),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // The name is checked at upload (letters, digits, '.', '_', '-').
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
