//! `GET /courses/{slug}/usage.csv`: every request the course's students
//! spent from their allocations, one line each, student after student
//! (each one's requests oldest first), written by the `csv` crate and
//! streamed a chunk at a time from one read-only snapshot. For the course's
//! coordinators and its institution's admins; 404 to anyone else.

use app::server::services::cohorts;
use app::server::services::course_console::{self, ExportedStudent, Request};
use app::server::{AppState, CurrentCaller};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::stream;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use super::credits_csv::defused;

/// Rows per database read, and per chunk of the answer.
const CHUNK: i64 = 1000;

/// The CSV's header row.
const HEADER: [&str; 12] = [
    "time_utc",
    "request_id",
    "email",
    "name",
    "student_id",
    "via",
    "key",
    "model",
    "input_tokens",
    "output_tokens",
    "credits",
    "status",
];

/// Streams the course's usage as CSV.
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path(slug): Path<String>,
) -> Response {
    let Some(caller) = caller.0 else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to export usage.").into_response();
    };
    let cohort = match cohorts::coordinated(&state.pool, &slug, caller.user_id).await {
        Ok((cohort, _)) => cohort,
        Err(error) => return (StatusCode::NOT_FOUND, error.to_string()).into_response(),
    };
    let failed = |error: sqlx::Error| {
        tracing::error!(%error, "exporting course usage failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again.",
        )
            .into_response()
    };
    let mut tx = match state
        .pool
        .begin_with("begin isolation level repeatable read, read only")
        .await
    {
        Ok(tx) => tx,
        Err(error) => return failed(error),
    };
    let students = match course_console::exported_students(&mut tx, cohort.id).await {
        Ok(students) => students,
        Err(error) => return failed(error),
    };
    let export = Export {
        tx,
        students,
        current: 0,
        after: None,
        header: true,
    };
    let name = format!("attachment; filename=\"{}-usage.csv\"", cohort.slug);
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

/// An export under way: the student being written and the last of their
/// requests written.
struct Export {
    tx: Transaction<'static, Postgres>,
    students: Vec<ExportedStudent>,
    current: usize,
    after: Option<(OffsetDateTime, Uuid)>,
    header: bool,
}

impl Export {
    fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
        stream::try_unfold(self, |mut export| async move {
            let header = std::mem::take(&mut export.header);
            let Some(student) = export.students.get(export.current).cloned() else {
                // Nobody (left) to write: the header alone, once.
                return if header {
                    Ok(Some((write(None, &[], true)?, export)))
                } else {
                    Ok(None)
                };
            };
            let rows = course_console::requests(
                &mut export.tx,
                student.account,
                export.after,
                false,
                CHUNK,
            )
            .await
            .map_err(|error| {
                tracing::error!(%error, "exporting course usage failed");
                std::io::Error::other("the usage could not be read")
            })?;
            if rows.len() < usize::try_from(CHUNK).unwrap_or(usize::MAX) {
                export.current += 1;
                export.after = None;
            } else {
                export.after = rows.last().map(|r| (r.created_at, r.id));
            }
            Ok(Some((write(Some(&student), &rows, header)?, export)))
        })
    }
}

/// `rows` of `student` as CSV records, after the header row when `header`.
fn write(
    student: Option<&ExportedStudent>,
    rows: &[Request],
    header: bool,
) -> Result<Bytes, std::io::Error> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if header {
        csv.write_record(HEADER)?;
    }
    if let Some(student) = student {
        let name = defused(student.name.as_deref().unwrap_or_default());
        let student_id = defused(student.student_id.as_deref().unwrap_or_default());
        for row in rows {
            csv.write_record([
                row.created_at.to_string(),
                row.id.to_string(),
                defused(&student.email),
                name.clone(),
                student_id.clone(),
                row.agent.as_deref().map_or_else(
                    || "api".to_owned(),
                    |agent| defused(&format!("playground: {agent}")),
                ),
                defused(row.key_name.as_deref().unwrap_or_default()),
                defused(&row.model),
                row.input_tokens.to_string(),
                row.output_tokens.to_string(),
                app::format::credits_plain(app::domain::credits::Credits::from_micros(row.credits)),
                row.status.to_string(),
            ])?;
        }
    }
    csv.into_inner()
        .map(Bytes::from)
        .map_err(|error| error.into_error())
}
