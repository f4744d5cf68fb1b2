//! `GET /admin/agents/{slug}/agent.json` (platform admins): an agent's
//! newest version as its file (format `lab-portal-agent/1`), the same file
//! the seed folder holds and the console imports, to keep in a repository.
//! `?version=N` gives version N instead.

use app::domain::role::PlatformRole;
use app::server::services::agents;
use app::server::{AppState, CurrentCaller};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Which {
    #[serde(default)]
    pub version: Option<i32>,
}

pub async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path(slug): Path<String>,
    Query(which): Query<Which>,
) -> Response {
    match caller.0 {
        None => {
            return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
        }
        Some(caller) if caller.role != PlatformRole::Admin => {
            return (
                StatusCode::FORBIDDEN,
                "You do not have permission to do that.",
            )
                .into_response();
        }
        Some(_) => {}
    }
    let versions = match agents::history(&state.pool, &slug).await {
        Ok(versions) => versions.unwrap_or_default(),
        Err(error) => {
            tracing::error!(%error, "reading an agent's file");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
                .into_response();
        }
    };
    let chosen = match which.version {
        Some(number) => versions.iter().find(|v| v.number == number),
        None => versions.first(),
    };
    let Some(version) = chosen else {
        return (StatusCode::NOT_FOUND, "There is no such agent or version.").into_response();
    };
    let mut response = version.spec().to_json().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.json\"", version.slug))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
