//! Taking an agent out of the gallery.

use leptos::prelude::*;

use crate::error::AppError;

/// Takes agent `slug` out of the gallery: no one can start a conversation
/// with it; its versions and conversations stay. Audited.
#[server(endpoint = "admin_unpublish_agent")]
pub async fn unpublish_agent(slug: String) -> Result<(), AppError> {
    use crate::server::services::agents;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        if !agents::unpublish(&state.pool, slug.trim(), super::actor(&caller))
            .await
            .map_err(crate::server::internal)?
        {
            return Err(AppError::NotFound(
                "There is no agent at this address.".to_owned(),
            ));
        }
        super::back_to(slug.trim(), "unpublished");
        Ok(())
    })
    .await
}
