//! Adding a webhook to an organization.

use leptos::prelude::*;

use super::{NewWebhookSecret, WebhookForm};
use crate::error::AppError;

/// Adds a webhook (owners): an `https://` URL (`http://` only where private
/// targets are allowed) and at least one event. The answer carries the
/// signing secret, the only time it is shown; a form posted without
/// JavaScript finds it on the webhooks page it lands on, once.
#[server(endpoint = "add_org_webhook")]
pub async fn add_org_webhook(
    #[server(flatten)] form: WebhookForm,
) -> Result<NewWebhookSecret, AppError> {
    use crate::domain::notifications::{parse_webhook_url, WebhookEvent};
    use crate::server::services::webhooks;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let org = webhooks::owned(&state.pool, form.slug.trim(), caller.user_id).await?;
        let url = parse_webhook_url(&form.url, webhooks::private_targets_allowed())
            .map_err(|e| AppError::field("url", e.message()))?;
        let events: Vec<WebhookEvent> = [
            (WebhookEvent::BudgetThreshold, &form.event_budget_threshold),
            (WebhookEvent::BalanceLow, &form.event_balance_low),
        ]
        .into_iter()
        .filter(|(_, ticked)| ticked.is_some())
        .map(|(event, _)| event)
        .collect();
        if events.is_empty() {
            return Err(AppError::field("events", "Choose at least one event."));
        }
        let plain = crate::server::plain_form_post();
        let (id, secret) = webhooks::create(
            &state.pool,
            &caller,
            &org,
            &url,
            &events,
            !plain,
            crate::server::client_addr(),
        )
        .await?;
        super::org_webhooks::no_store();
        if plain {
            super::back_to_webhooks(&org.slug, "added");
        }
        Ok(NewWebhookSecret {
            webhook_id: id.to_string(),
            secret: secret.expose().to_owned(),
        })
    })
    .await
}
