//! Creating a dataset.

use leptos::prelude::*;

use super::DatasetForm;
use crate::error::AppError;

/// Creates the dataset of `form` with an empty draft version 1 (audited as
/// `dataset.create`) and goes to its console to add files and publish.
#[server(endpoint = "admin_create_dataset")]
pub async fn create_dataset(#[server(flatten)] form: DatasetForm) -> Result<(), AppError> {
    use crate::domain::dataset_forms;
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let meta = dataset_forms::dataset(form.fields())?;
        dataset_curation::create(
            &state.pool,
            super::actor(&caller),
            &meta,
            "",
            &[],
            "dataset.create",
        )
        .await?;
        super::back_to(&meta.slug, "created");
        Ok(())
    })
    .await
}
