//! A bulk grant file's preview, or the report of one of its runs, a page of
//! rows at a time.

use leptos::prelude::*;

use crate::domain::bulk_grant::{BulkReport, BulkRowFilter};
use crate::error::AppError;

/// The report the bulk grant page shows: the stored report of `run` when
/// given, else a fresh preview of the uploaded file `draft` (each row checked
/// against the users, the other rows and earlier runs; nothing granted), else
/// `None` (the page shows the upload form). An unknown id is a 404.
///
/// The counts cover the whole file; `rows` is page `page` (1-based, like
/// every admin list: a page past the end is empty) of the rows `show` lists,
/// `BULK_PER_PAGE` at a time.
#[server(endpoint = "admin_bulk_grant")]
pub async fn get_bulk_grant(
    #[server(default)] draft: String,
    #[server(default)] run: String,
    #[server(default)] page: i64,
    #[server(default)] show: BulkRowFilter,
) -> Result<Option<BulkReport>, AppError> {
    use crate::server::services::credits::{self, bulk, report};
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        if !run.trim().is_empty() {
            let id = super::bulk_id(&run, "report")?;
            let run = bulk::run(&state.pool, id, report::rows_wanted(show, page))
                .await?
                .ok_or_else(|| super::gone("report"))?;
            return Ok(Some(report::run_report(run, show, page)));
        }
        if draft.trim().is_empty() {
            return Ok(None);
        }
        let id = super::bulk_id(&draft, "preview")?;
        let draft = bulk::draft(&state.pool, id)
            .await?
            .ok_or_else(|| super::gone("preview"))?;
        let (outcome, _) = credits::preview_bulk(&state.pool, &draft.csv).await?;
        Ok(Some(report::preview_report(&draft, outcome, show, page)))
    })
    .await
}
