//! Publishing a version of an agent.

use leptos::prelude::*;

use crate::error::AppError;

/// Makes version `number` of agent `slug` the one the gallery shows: its
/// draft is published (frozen from then on), or an older version comes
/// back. Audited.
#[server(endpoint = "admin_publish_agent")]
pub async fn publish_agent(slug: String, number: i32) -> Result<(), AppError> {
    use crate::server::services::agents;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        if !agents::publish(&state.pool, slug.trim(), number, super::actor(&caller))
            .await
            .map_err(crate::server::internal)?
        {
            return Err(AppError::NotFound(
                "There is no such version of this agent.".to_owned(),
            ));
        }
        super::back_to(slug.trim(), "published");
        Ok(())
    })
    .await
}
