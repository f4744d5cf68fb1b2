//! Publishing a version.

use leptos::prelude::*;

use crate::error::AppError;

/// Publishes version `number` of dataset `slug`: its draft (which needs a
/// file and a changelog line) or a version unpublished before. From then
/// on it never changes, and its page, files and viewer are everyone's
/// (as its access level allows); audited.
#[server(endpoint = "admin_publish_dataset_version")]
pub async fn publish_dataset_version(slug: String, number: i32) -> Result<(), AppError> {
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        dataset_curation::publish_version(&state.pool, super::actor(&caller), slug.trim(), number)
            .await?;
        super::back_to(slug.trim(), "published");
        Ok(())
    })
    .await
}
