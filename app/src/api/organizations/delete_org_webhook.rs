//! Deleting a webhook.

use leptos::prelude::*;

use crate::error::AppError;

/// Deletes the organization's webhook `webhook_id` and its delivery log
/// (owners); the audit trail keeps that it existed.
#[server(endpoint = "delete_org_webhook")]
pub async fn delete_org_webhook(slug: String, webhook_id: String) -> Result<(), AppError> {
    use crate::server::services::webhooks;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let org = webhooks::owned(&state.pool, slug.trim(), caller.user_id).await?;
        let id = super::webhook_id(&webhook_id)?;
        webhooks::delete(&state.pool, &caller, &org, id, crate::server::client_addr()).await?;
        super::back_to_webhooks(&org.slug, "deleted");
        Ok(())
    })
    .await
}
