//! Checking a bulk grant file without granting anything.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::BulkReport;
use crate::error::AppError;

/// The bulk grant form, as posted: the CSV text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkForm {
    pub csv: String,
}

/// Checks every row of a CSV of grants (`email,amount,expiry,reason`) and
/// reports each row's status. Grants nothing.
#[server(endpoint = "admin_preview_bulk_grant")]
pub async fn preview_bulk_grant(#[server(flatten)] form: BulkForm) -> Result<BulkReport, AppError> {
    use crate::server::services::credit_admin;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let (outcome, _) = credit_admin::preview_bulk(&state.pool, &form.csv).await?;
        Ok(super::bulk_report(outcome, false, form.csv))
    })
    .await
}
