//! Starting a dataset's next version.

use leptos::prelude::*;

use crate::error::AppError;

/// Starts the next version of dataset `slug` as a draft, beginning with
/// the card and files of its newest version; audited.
#[server(endpoint = "admin_start_dataset_version")]
pub async fn start_dataset_version(slug: String) -> Result<(), AppError> {
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        dataset_curation::start_draft(&state.pool, super::actor(&caller), slug.trim()).await?;
        super::back_to(slug.trim(), "started");
        Ok(())
    })
    .await
}
