//! `GET /credits/history.csv`: the signed-in user's full credit history,
//! written by the `csv` crate and streamed a chunk of rows at a time, every
//! chunk read from one snapshot of the ledger (a read-only, repeatable-read
//! transaction), so a long history never sits in memory and never tears.

use app::server::ledger::{self, HistoryCursor, HistoryRow, Owner};
use app::server::{AppState, CurrentCaller};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::stream;
use sqlx::{Postgres, Transaction};

use app::domain::credits::Credits;

/// Rows per database read, and per chunk of the answer.
const CHUNK: u16 = 1000;

/// The CSV's header row.
const HEADER: [&str; 6] = [
    "time_utc",
    "transaction_id",
    "kind",
    "available_change",
    "reserved_change",
    "details",
];

/// Streams the caller's history as CSV.
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
) -> Response {
    let Some(caller) = caller.0 else {
        return (
            StatusCode::UNAUTHORIZED,
            "Please sign in to export your history.",
        )
            .into_response();
    };
    match open(&state, caller.user_id).await {
        Ok(export) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"credit-history.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            Body::from_stream(export.into_stream()),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "exporting credit history failed"
            );
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
                .into_response()
        }
    }
}

/// An export under way: the snapshot it reads and where it is.
struct Export {
    tx: Transaction<'static, Postgres>,
    account: uuid::Uuid,
    /// The last row written; `None` before the first chunk.
    after: Option<HistoryCursor>,
    done: bool,
}

/// Finds the caller's account and opens the snapshot the export reads.
async fn open(state: &AppState, user: uuid::Uuid) -> anyhow::Result<Export> {
    // Finding the account may create it: not in the read-only snapshot.
    let mut conn = state.pool.acquire().await?;
    let account = ledger::account_for(&mut conn, Owner::User(user)).await?;
    drop(conn);
    let tx = state
        .pool
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    Ok(Export {
        tx,
        account,
        after: None,
        done: false,
    })
}

impl Export {
    /// The CSV, header first, one chunk of rows per item. A failure after
    /// the first byte can only end the stream: it is logged, and the
    /// download stops short.
    fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
        stream::try_unfold(self, |mut export| async move {
            if export.done {
                return Ok(None);
            }
            let first = export.after.is_none();
            let (account, after) = (export.account, export.after);
            let rows = ledger::history_chunk(&mut export.tx, account, after, i64::from(CHUNK))
                .await
                .map_err(|error| {
                    tracing::error!(error = %error, "exporting credit history failed");
                    std::io::Error::other("the credit history could not be read")
                })?;
            export.done = rows.len() < usize::from(CHUNK);
            export.after = rows.last().map(HistoryRow::cursor).or(export.after);
            Ok(Some((write(&rows, first)?, export)))
        })
    }
}

/// `rows` as CSV records, after the header row when `header`.
fn write(rows: &[HistoryRow], header: bool) -> Result<Bytes, std::io::Error> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if header {
        csv.write_record(HEADER)?;
    }
    for row in rows {
        csv.write_record([
            row.created_at.to_string(),
            row.transaction_id.to_string(),
            row.kind.clone(),
            plain(row.available_delta),
            plain(row.reserved_delta),
            defused(row.memo.as_deref().unwrap_or_default()),
        ])?;
    }
    csv.into_inner()
        .map(Bytes::from)
        .map_err(|error| error.into_error())
}

/// Credits as a plain decimal (no thousands separators) for spreadsheets.
fn plain(micros: i64) -> String {
    app::format::credits_plain(Credits::from_micros(micros))
}

/// Text a spreadsheet would run as a formula, made plain text.
pub(crate) fn defused(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let row = |memo: &str| HistoryRow {
            transaction_id: uuid::Uuid::nil(),
            kind: "grant".to_owned(),
            memo: Some(memo.to_owned()),
            created_at: time::macros::datetime!(2026-11-23 14:05 UTC),
            available_delta: 1_234_500_000,
            reserved_delta: -2_000_000,
        };
        let csv = write(&[row("a,b"), row("say \"hi\""), row("=cmd()")], true).expect("csv");
        let csv = String::from_utf8(csv.to_vec()).expect("utf-8");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert!(
            lines[1].ends_with(",grant,1234.5,-2,\"a,b\""),
            "{}",
            lines[1]
        );
        assert!(lines[2].ends_with(",\"say \"\"hi\"\"\""), "{}", lines[2]);
        assert!(lines[3].ends_with(",'=cmd()"), "{}", lines[3]);
        assert!(csv.ends_with('\n') && !csv.contains('\r'));
    }
}
