//! Unpublishing a version.

use leptos::prelude::*;

use crate::error::AppError;

/// Unpublishes version `number` of dataset `slug` (its page, files and
/// viewer are gone until it is published again; the catalog shows the
/// newest version still published); audited.
#[server(endpoint = "admin_unpublish_dataset_version")]
pub async fn unpublish_dataset_version(slug: String, number: i32) -> Result<(), AppError> {
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        dataset_curation::unpublish_version(
            &state.pool,
            super::actor(&caller),
            slug.trim(),
            number,
        )
        .await?;
        super::back_to(slug.trim(), "unpublished");
        Ok(())
    })
    .await
}
