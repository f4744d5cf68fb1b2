//! Bulk grant files kept between the steps of the admin's bulk grant page:
//! the uploaded file (a draft, previewed and applied by its id) and the
//! stored outcome of every run of one.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{BulkOutcome, RowStatus};
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;

/// How long uploaded files (and the reports of their runs) are kept.
const KEPT_FOR: time::Duration = time::Duration::days(30);

/// The longest file name kept (longer ones are shortened).
const MAX_FILE_NAME_CHARS: usize = 255;

/// An uploaded (or pasted) bulk grant file.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Draft {
    pub id: Uuid,
    pub csv: String,
    /// The name of the uploaded file; `None` when the text was pasted.
    pub file_name: Option<String>,
    pub created_at: OffsetDateTime,
    /// The email of the admin who uploaded it.
    pub created_by: String,
}

/// Keeps `csv` as a new draft of `actor`'s and returns its id. Drafts past
/// their keeping time go at the same time.
#[tracing::instrument(skip(pool, actor, csv), fields(actor = %actor.user_id, bytes = csv.len()))]
pub async fn create_draft(
    pool: &PgPool,
    actor: &Caller,
    csv: &str,
    file_name: Option<&str>,
) -> Result<Uuid, AppError> {
    let file_name = file_name
        .map(|n| {
            n.trim()
                .chars()
                .take(MAX_FILE_NAME_CHARS)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty());
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await.map_err(internal)?;
    sqlx::query("delete from bulk_grant_drafts where created_at < now() - $1::interval")
        .bind(KEPT_FOR)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    sqlx::query(
        "insert into bulk_grant_drafts (id, csv, file_name, created_by) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(csv)
    .bind(file_name)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

/// The draft with `id`, if it is still kept.
#[tracing::instrument(skip(pool))]
pub async fn draft(pool: &PgPool, id: Uuid) -> Result<Option<Draft>, AppError> {
    sqlx::query_as(
        "select d.id, d.csv, d.file_name, d.created_at, u.email as created_by
         from bulk_grant_drafts d join users u on u.id = d.created_by
         where d.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// One row of a stored run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub line: usize,
    pub email: String,
    pub amount: String,
    pub expiry: String,
    pub reason: String,
    pub status: RowStatus,
}

/// Which rows of a run to read: one page of all of them, or of the skipped
/// ones only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsWanted {
    /// Only the rows that were skipped (`RowStatus::Invalid`).
    pub skipped_only: bool,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl RowsWanted {
    /// How many rows come before the page.
    fn offset(self) -> i64 {
        crate::domain::paging::limit_offset(self.page, self.per_page).1
    }
}

/// How many rows of a whole run ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RunCounts {
    pub granted: i64,
    pub already_granted: i64,
    pub skipped: i64,
}

/// A stored run of a draft, with one page of its rows.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: Uuid,
    pub draft_id: Uuid,
    pub file_name: Option<String>,
    pub file_hash: String,
    pub total_micros: i64,
    pub created_at: OffsetDateTime,
    /// The email of the admin who applied the file.
    pub created_by: String,
    /// The rows of the whole run, by outcome.
    pub counts: RunCounts,
    /// The rows asked for, on all pages.
    pub listed: i64,
    /// The rows on the page asked for, in file order.
    pub rows: Vec<RunRow>,
}

#[derive(sqlx::FromRow)]
struct RunHead {
    id: Uuid,
    draft_id: Uuid,
    file_name: Option<String>,
    file_hash: String,
    total_micros: i64,
    created_at: OffsetDateTime,
    created_by: String,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    line: i32,
    email: String,
    amount: String,
    expiry: String,
    reason: String,
    status: String,
    message: Option<String>,
}

/// The run with `id`, how its rows ended, and the outcome of each row on
/// the page `wanted`, in file order.
#[tracing::instrument(skip(pool))]
pub async fn run(pool: &PgPool, id: Uuid, wanted: RowsWanted) -> Result<Option<Run>, AppError> {
    let head: Option<RunHead> = sqlx::query_as(
        "select r.id, r.draft_id, d.file_name, r.file_hash, r.total_micros, r.created_at,
                u.email as created_by
         from bulk_grant_runs r
         join bulk_grant_drafts d on d.id = r.draft_id
         join users u on u.id = r.created_by
         where r.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    let Some(head) = head else {
        return Ok(None);
    };
    let counts: RunCounts = sqlx::query_as(
        "select count(*) filter (where status = 'granted') as granted,
                count(*) filter (where status = 'already_granted') as already_granted,
                count(*) filter (where status = 'invalid') as skipped
         from bulk_grant_run_rows where run_id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(internal)?;
    // The primary key (run_id, line) serves both the order and the page.
    let rows: Vec<StoredRow> = sqlx::query_as(
        "select line, email, amount, expiry, reason, status, message
         from bulk_grant_run_rows
         where run_id = $1 and (not $2 or status = 'invalid')
         order by line limit $3 offset $4",
    )
    .bind(id)
    .bind(wanted.skipped_only)
    .bind(wanted.per_page)
    .bind(wanted.offset())
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let listed = if wanted.skipped_only {
        counts.skipped
    } else {
        counts.granted + counts.already_granted + counts.skipped
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let status = match (r.status.as_str(), r.message) {
                ("granted", _) => RowStatus::Granted,
                ("already_granted", _) => RowStatus::AlreadyGranted,
                (_, message) => RowStatus::Invalid(message.unwrap_or_default()),
            };
            RunRow {
                line: usize::try_from(r.line).unwrap_or_default(),
                email: r.email,
                amount: r.amount,
                expiry: r.expiry,
                reason: r.reason,
                status,
            }
        })
        .collect();
    Ok(Some(Run {
        id: head.id,
        draft_id: head.draft_id,
        file_name: head.file_name,
        file_hash: head.file_hash,
        total_micros: head.total_micros,
        created_at: head.created_at,
        created_by: head.created_by,
        counts,
        listed,
        rows,
    }))
}

/// Stores a run of `draft` and each row's outcome, in `conn`'s transaction.
pub(super) async fn store_run(
    conn: &mut PgConnection,
    actor: &Caller,
    draft: Uuid,
    outcome: &BulkOutcome,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into bulk_grant_runs (id, draft_id, file_hash, total_micros, created_by)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(draft)
    .bind(&outcome.file_hash)
    .bind(outcome.total_micros)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    let n = outcome.rows.len();
    let (mut lines, mut emails, mut amounts, mut expiries, mut reasons, mut statuses, mut messages) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (row, status) in &outcome.rows {
        let (code, message) = match status {
            RowStatus::Granted => ("granted", None),
            RowStatus::AlreadyGranted => ("already_granted", None),
            RowStatus::Invalid(message) => ("invalid", Some(message.clone())),
            // Applying turns every ready row into one of the above.
            RowStatus::Ready => {
                return Err(internal(anyhow::anyhow!(
                    "line {} of a bulk run is still ready",
                    row.line
                )))
            }
        };
        lines.push(i32::try_from(row.line).map_err(internal)?);
        emails.push(row.email.clone());
        amounts.push(row.amount.clone());
        expiries.push(row.expiry.clone());
        reasons.push(row.reason.clone());
        statuses.push(code);
        messages.push(message);
    }
    sqlx::query(
        "insert into bulk_grant_run_rows (run_id, line, email, amount, expiry, reason, status, message)
         select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])",
    )
    .bind(id)
    .bind(lines)
    .bind(emails)
    .bind(amounts)
    .bind(expiries)
    .bind(reasons)
    .bind(statuses)
    .bind(messages)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(id)
}
