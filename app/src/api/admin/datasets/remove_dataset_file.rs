//! Removing a file from a draft.

use leptos::prelude::*;

use crate::error::AppError;

/// Removes the file `name` from dataset `slug`'s draft (published versions
/// keep theirs); audited.
#[server(endpoint = "admin_remove_dataset_file")]
pub async fn remove_dataset_file(slug: String, name: String) -> Result<(), AppError> {
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        dataset_curation::remove_file(&state.pool, super::actor(&caller), slug.trim(), &name)
            .await?;
        super::back_to(slug.trim(), "file-removed");
        Ok(())
    })
    .await
}
