//! Granting every valid row of a bulk grant file.

use leptos::prelude::*;

use super::{BulkForm, BulkReport};
use crate::error::AppError;

/// Grants every valid row of a CSV of grants, each once however often the
/// same file is applied, and reports each row's outcome (audited as one
/// `credits.bulk_grant` plus one `credits.grant` per granted row).
#[server(endpoint = "admin_apply_bulk_grant")]
pub async fn apply_bulk_grant(#[server(flatten)] form: BulkForm) -> Result<BulkReport, AppError> {
    use crate::server::services::credit_admin;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let outcome = credit_admin::apply_bulk(
            &state.pool,
            &caller,
            &form.csv,
            crate::server::client_addr(),
        )
        .await?;
        Ok(super::bulk_report(outcome, true, String::new()))
    })
    .await
}
