//! Granting every valid row of an uploaded bulk grant file.

use leptos::prelude::*;

use crate::domain::bulk_grant::BulkReport;
use crate::error::AppError;

/// Grants every valid row of the uploaded file `draft` (exactly the text
/// that was previewed), each once however often the same file is uploaded
/// and applied, keeps the run's row-by-row report and sends the browser to
/// it (audited as one `credits.bulk_grant` plus one `credits.grant` per
/// granted row).
#[server(endpoint = "admin_apply_bulk_grant")]
pub async fn apply_bulk_grant(draft: String) -> Result<BulkReport, AppError> {
    use crate::domain::bulk_grant::BulkRowFilter;
    use crate::server::services::credits::{self, bulk, report};
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = super::bulk_id(&draft, "preview")?;
        let draft = bulk::draft(&state.pool, id)
            .await?
            .ok_or_else(|| super::gone("preview"))?;
        let (_, run) =
            credits::apply_bulk(&state.pool, &caller, &draft, crate::server::client_addr())
                .await
                .map_err(|e| match e {
                    // Whole-file problems were caught at upload; should one
                    // appear now, say what it is rather than point at a field.
                    AppError::Validation(errors) => AppError::InvalidRequest(
                        errors
                            .into_iter()
                            .map(|e| e.message)
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    other => other,
                })?;
        // The first page of every row, as the report's link shows it.
        let (show, page) = (BulkRowFilter::All, 1);
        let run = bulk::run(&state.pool, run, report::rows_wanted(show, page))
            .await?
            .ok_or_else(|| crate::server::internal(anyhow::anyhow!("bulk run {run} vanished")))?;
        crate::server::redirect(&super::bulk_page("run", run.id));
        Ok(report::run_report(run, show, page))
    })
    .await
}
