//! Sending a webhook a test event.

use leptos::prelude::*;

use crate::error::AppError;

/// Queues a `webhook.test` event for the organization's webhook
/// `webhook_id` (owners); it goes out within seconds and shows in the log.
#[server(endpoint = "send_org_webhook_test")]
pub async fn send_org_webhook_test(slug: String, webhook_id: String) -> Result<(), AppError> {
    use crate::server::services::webhooks;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let org = webhooks::owned(&state.pool, slug.trim(), caller.user_id).await?;
        let id = super::webhook_id(&webhook_id)?;
        webhooks::send_test(&state.pool, &caller, &org, id, crate::server::client_addr()).await?;
        super::back_to_webhooks(&org.slug, "test_sent");
        Ok(())
    })
    .await
}
