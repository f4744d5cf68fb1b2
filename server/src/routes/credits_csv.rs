//! `GET /credits/history.csv`: the signed-in user's full credit history.

use app::server::ledger::{self, HistoryFilter, Owner};
use app::server::{AppState, CurrentCaller};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use app::domain::credits::Credits;

/// Rows per database page while exporting.
const CHUNK: i64 = 1000;

/// Streams nothing fancy: builds the CSV in memory, a page of rows at a time.
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
    match build(&state, caller.user_id).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"credit-history.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
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

async fn build(state: &AppState, user: uuid::Uuid) -> anyhow::Result<String> {
    let mut conn = state.pool.acquire().await?;
    let account = ledger::account_for(&mut conn, Owner::User(user)).await?;
    drop(conn);
    let mut csv =
        String::from("time_utc,transaction_id,kind,available_change,reserved_change,details\n");
    let filter = HistoryFilter::default();
    for page in 1.. {
        let (rows, _) = ledger::history(&state.pool, account, &filter, page, CHUNK).await?;
        for row in &rows {
            csv.push_str(&format!(
                "{},{},{},{},{},{}\n",
                row.created_at,
                row.transaction_id,
                row.kind,
                plain(row.available_delta),
                plain(row.reserved_delta),
                field(row.memo.as_deref().unwrap_or_default()),
            ));
        }
        if (rows.len() as i64) < CHUNK {
            break;
        }
    }
    Ok(csv)
}

/// Credits as a plain decimal (no thousands separators) for spreadsheets.
fn plain(micros: i64) -> String {
    app::format::credits_plain(Credits::from_micros(micros))
}

/// A CSV field, quoted when needed, and defused against spreadsheet formulas.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(plain(1_234_500_000), "1234.5");
        assert_eq!(plain(-2_000_000), "-2");
    }
}
