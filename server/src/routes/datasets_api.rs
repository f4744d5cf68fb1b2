//! The catalog for scripts, as JSON: `GET /api/v1/datasets` (search, facets
//! and paging, with the catalog page's parameters) and
//! `GET /api/v1/datasets/{slug}` (metadata, versions, and the latest
//! version's files with their download URLs and checksums). Public; errors
//! are `{"error": {"status": …, "message": …}}`.

use app::api::datasets::PER_PAGE;
use app::domain::datasets::{CatalogParams, CatalogQuery};
use app::domain::paging::page_count;
use app::server::datasets::ingest::hex;
use app::server::services::datasets::{self, FileRow};
use app::server::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"status": status.as_u16(), "message": message}})),
    )
        .into_response()
}

fn failed(error_text: impl std::fmt::Display) -> Response {
    tracing::error!(error = %error_text, "answering the datasets API");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again.",
    )
}

/// `GET /api/v1/datasets`.
pub async fn list(
    State(state): State<AppState>,
    params: Result<Query<CatalogParams>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return error(StatusCode::BAD_REQUEST, "The query string cannot be read.");
    };
    let query = match CatalogQuery::parse(&params) {
        Ok(query) => query,
        Err(message) => return error(StatusCode::UNPROCESSABLE_ENTITY, &message),
    };
    let (rows, total, counts) = match datasets::catalog(&state.pool, &query, PER_PAGE).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let origin = app::server::origin(&state);
    let listed: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            json!({
                "slug": row.slug,
                "title": row.title,
                "summary": row.summary,
                "industry": row.industry,
                "tasks": row.tasks,
                "license": row.license_id,
                "license_name": row.license_name,
                "access": row.access,
                "formats": row.formats,
                "size_category": row.size_category,
                "rows": row.row_count,
                "downloads": row.downloads,
                "featured": row.featured,
                "latest_version": row.latest_version,
                "url": format!("{origin}{}", app::href::dataset(&row.slug)),
                "api_url": format!("{origin}/api/v1/datasets/{}", row.slug),
            })
        })
        .collect();
    let mut facets = Map::new();
    for count in counts {
        if let Some(values) = facets
            .entry(count.facet)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
        {
            values.push(json!({"value": count.value, "count": count.count}));
        }
    }
    Json(json!({
        "datasets": listed,
        "page": query.page,
        "per_page": PER_PAGE,
        "total": total,
        "pages": page_count(total, PER_PAGE),
        "facets": facets,
    }))
    .into_response()
}

/// `GET /api/v1/datasets/{slug}`.
pub async fn show(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let (row, versions, latest, files) =
        match datasets::dataset(&state.pool, &slug, None, false).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return error(
                    StatusCode::NOT_FOUND,
                    "There is no published dataset with this slug.",
                )
            }
            Err(e) => return failed(e),
        };
    let origin = app::server::origin(&state);
    let file = |file: &FileRow| {
        json!({
            "name": file.name,
            "format": file.format,
            "bytes": file.bytes,
            "sha256": hex(&file.sha256),
            "rows": file.row_count,
            "columns": file.columns.as_ref().map(|c| &c.0),
            "download_url": format!("{origin}{}", app::href::dataset_file(&row.slug, latest.number, &file.name)),
        })
    };
    Json(json!({
        "slug": row.slug,
        "title": row.title,
        "summary": row.summary,
        "industry": row.industry,
        "tasks": row.tasks,
        "license": {"id": row.license_id, "name": row.license_name, "url": row.license_url},
        "languages": row.languages,
        "tags": row.tags,
        "publisher": row.publisher,
        "source": {"name": row.source_name, "url": row.source_url},
        "citation": row.citation,
        "access": row.access,
        "size_category": row.size_category,
        "downloads": row.downloads,
        "latest_version": latest.number,
        "versions": versions.iter().map(|v| json!({
            "number": v.number,
            "changelog": v.changelog,
            "published_at": v.published_at.map(app::format::rfc3339),
            "downloads": v.downloads,
            "url": format!("{origin}{}", app::href::dataset_version(&row.slug, v.number)),
        })).collect::<Vec<_>>(),
        "files": files.iter().map(file).collect::<Vec<_>>(),
        "croissant_url": format!("{origin}{}", app::href::dataset_croissant(&row.slug)),
    }))
    .into_response()
}
