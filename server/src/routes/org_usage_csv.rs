//! `GET /orgs/{slug}/usage.csv`: an organization's requests under the
//! usage page's filter (`from`, `to`, `member`, `model`), one line each,
//! written by the `csv` crate and streamed a chunk at a time from one
//! read-only snapshot. Owners and admins export everyone's; members their
//! own.

use app::server::services::organizations::{self, UsageFilter, UsageLine};
use app::server::{AppState, CurrentCaller};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::stream;

use super::credits_csv::defused;
use serde::Deserialize;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

/// Rows per database read, and per chunk of the answer.
const CHUNK: i64 = 1000;

/// The CSV's header row.
const HEADER: [&str; 9] = [
    "time_utc",
    "request_id",
    "member",
    "key",
    "model",
    "input_tokens",
    "output_tokens",
    "credits",
    "status",
];

/// The usage page's filter, as its address carries it.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    model: String,
}

/// Streams the organization's usage as CSV.
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path(slug): Path<String>,
    Query(filter): Query<Filter>,
) -> Response {
    let Some(caller) = caller.0 else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to export usage.").into_response();
    };
    let (org, role) = match organizations::membership(&state.pool, &slug, caller.user_id).await {
        Ok(found) => found,
        Err(error) => return (StatusCode::NOT_FOUND, error.to_string()).into_response(),
    };
    let filter = match app::api::organizations::usage_filter(
        &filter.from,
        &filter.to,
        &filter.member,
        &filter.model,
        role.manages(),
        caller.user_id,
    ) {
        Ok(filter) => filter,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let account = match organizations::account_of(&state.pool, &org).await {
        Ok(account) => account,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    };
    let tx = match state
        .pool
        .begin_with("begin isolation level repeatable read, read only")
        .await
    {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, "exporting organization usage failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
                .into_response();
        }
    };
    let export = Export {
        tx,
        account,
        filter,
        after: None,
        done: false,
    };
    let name = format!("attachment; filename=\"{}-usage.csv\"", org.slug);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(export.into_stream()),
    )
        .into_response()
}

/// An export under way.
struct Export {
    tx: Transaction<'static, Postgres>,
    /// The organization's pool; none yet: nothing to export.
    account: Option<Uuid>,
    filter: UsageFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    done: bool,
}

impl Export {
    fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
        stream::try_unfold(self, |mut export| async move {
            if export.done {
                return Ok(None);
            }
            let first = export.after.is_none();
            let rows = match export.account {
                Some(account) => organizations::usage_lines(
                    &mut export.tx,
                    account,
                    &export.filter,
                    export.after,
                    CHUNK,
                )
                .await
                .map_err(|error| {
                    tracing::error!(%error, "exporting organization usage failed");
                    std::io::Error::other("the usage could not be read")
                })?,
                None => Vec::new(),
            };
            export.done = rows.len() < usize::try_from(CHUNK).unwrap_or(usize::MAX);
            export.after = rows.last().map(|r| (r.created_at, r.id)).or(export.after);
            Ok(Some((write(&rows, first)?, export)))
        })
    }
}

/// `rows` as CSV records, after the header row when `header`.
fn write(rows: &[UsageLine], header: bool) -> Result<Bytes, std::io::Error> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if header {
        csv.write_record(HEADER)?;
    }
    for row in rows {
        csv.write_record([
            row.created_at.to_string(),
            row.id.to_string(),
            row.email.clone(),
            defused(&row.key_name),
            defused(&row.model),
            row.input_tokens.to_string(),
            row.output_tokens.to_string(),
            app::format::credits_plain(app::domain::credits::Credits::from_micros(row.credits)),
            row.status.to_string(),
        ])?;
    }
    csv.into_inner()
        .map(Bytes::from)
        .map_err(|error| error.into_error())
}
