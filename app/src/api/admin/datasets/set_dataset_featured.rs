//! Featuring a dataset in the catalog.

use leptos::prelude::*;

use crate::error::AppError;

/// Features dataset `slug` (listed first when the catalog is browsed
/// without a search), or stops; audited.
#[server(endpoint = "admin_set_dataset_featured")]
pub async fn set_dataset_featured(slug: String, featured: bool) -> Result<(), AppError> {
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        dataset_curation::set_featured(&state.pool, super::actor(&caller), slug.trim(), featured)
            .await?;
        super::back_to(
            slug.trim(),
            if featured { "featured" } else { "unfeatured" },
        );
        Ok(())
    })
    .await
}
