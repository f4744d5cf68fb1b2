//! Turning a webhook off and on again.

use leptos::prelude::*;

use crate::error::AppError;

/// Turns the organization's webhook `webhook_id` on (`active`) or off
/// (owners). Events due while it is off wait for it.
#[server(endpoint = "set_org_webhook_active")]
pub async fn set_org_webhook_active(
    slug: String,
    webhook_id: String,
    active: bool,
) -> Result<(), AppError> {
    use crate::server::services::webhooks;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let org = webhooks::owned(&state.pool, slug.trim(), caller.user_id).await?;
        let id = super::webhook_id(&webhook_id)?;
        webhooks::set_active(
            &state.pool,
            &caller,
            &org,
            id,
            active,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to_webhooks(&org.slug, if active { "enabled" } else { "disabled" });
        Ok(())
    })
    .await
}
