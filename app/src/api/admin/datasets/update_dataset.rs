//! Changing what a dataset says about itself.

use leptos::prelude::*;

use super::DatasetForm;
use crate::error::AppError;

/// Saves dataset `form.slug`'s description (audited as `dataset.update`,
/// with what it was before). Its slug never changes.
#[server(endpoint = "admin_update_dataset")]
pub async fn update_dataset(#[server(flatten)] form: DatasetForm) -> Result<(), AppError> {
    use crate::domain::dataset_forms;
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let meta = dataset_forms::dataset(form.fields())?;
        dataset_curation::update(&state.pool, super::actor(&caller), &meta.slug, &meta).await?;
        super::back_to(&meta.slug, "saved");
        Ok(())
    })
    .await
}
