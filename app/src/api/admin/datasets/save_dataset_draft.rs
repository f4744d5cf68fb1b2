//! Saving a draft's card and changelog line.

use leptos::prelude::*;

use crate::error::AppError;

/// Saves the card (Markdown) and changelog line of dataset `slug`'s draft;
/// audited.
#[server(endpoint = "admin_save_dataset_draft")]
pub async fn save_dataset_draft(
    slug: String,
    #[server(default)] card: String,
    #[server(default)] changelog: String,
) -> Result<(), AppError> {
    use crate::domain::dataset_forms;
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let (card, changelog) = dataset_forms::draft(&card, &changelog)?;
        dataset_curation::save_draft(
            &state.pool,
            super::actor(&caller),
            slug.trim(),
            &card,
            &changelog,
        )
        .await?;
        super::back_to(slug.trim(), "draft-saved");
        Ok(())
    })
    .await
}
