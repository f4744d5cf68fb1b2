//! An organization's webhooks page.

use leptos::prelude::*;

use super::OrgWebhooksView;
use crate::error::AppError;

/// The organization's webhooks with the last deliveries of each and
/// their attempts (owners; "not found" for outsiders, refused for admins
/// and members). Carries, once, the secret of a webhook the caller just
/// added without JavaScript.
#[server(endpoint = "org_webhooks")]
pub async fn org_webhooks(slug: String) -> Result<OrgWebhooksView, AppError> {
    use super::{NewWebhookSecret, WebhookAttemptView, WebhookDeliveryView, WebhookView};
    use crate::format;
    use crate::server::services::webhooks;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let org = webhooks::owned(&state.pool, slug.trim(), caller.user_id).await?;
        let new_secret = webhooks::take_secret(&state.pool, &caller, &org).await?;
        if new_secret.is_some() {
            no_store();
        }
        let (hooks, (deliveries, attempts)) = tokio::try_join!(
            webhooks::list(&state.pool, &org),
            webhooks::deliveries(&state.pool, &org),
        )?;
        let deliveries = deliveries
            .into_iter()
            .map(|d| {
                let status = match (d.delivered_at, d.next_attempt_at) {
                    (Some(_), _) => "Delivered",
                    (None, Some(_)) if d.attempts == 0 => "Sending",
                    (None, Some(_)) => "Retrying",
                    (None, None) => "Gave up",
                };
                WebhookDeliveryView {
                    id: d.id.to_string(),
                    webhook_id: d.webhook_id.to_string(),
                    event: d.event,
                    time: format::time(d.created_at),
                    attempts: d.attempts,
                    status: status.to_owned(),
                    delivered: d.delivered_at.is_some(),
                    next_attempt: d
                        .next_attempt_at
                        .filter(|_| d.delivered_at.is_none())
                        .map(format::time),
                    last_status: d.last_status,
                    attempt_log: attempts
                        .iter()
                        .filter(|a| a.delivery_id == d.id)
                        .map(|a| WebhookAttemptView {
                            number: a.number,
                            time: format::time(a.attempted_at),
                            status: a.status,
                            response: a.response.clone(),
                            error: a.error.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(OrgWebhooksView {
            organization: org.name,
            slug: org.slug,
            webhooks: hooks
                .into_iter()
                .map(|w| WebhookView {
                    id: w.id.to_string(),
                    url: w.url,
                    events: w.events,
                    active: w.active,
                    created: format::time(w.created_at),
                    created_by: w.created_by,
                })
                .collect(),
            deliveries,
            new_secret: new_secret.map(|(id, secret)| NewWebhookSecret {
                webhook_id: id.to_string(),
                secret: secret.expose().to_owned(),
            }),
            private_targets: webhooks::private_targets_allowed(),
            max_webhooks: webhooks::MAX_PER_ORGANIZATION,
        })
    })
    .await
}

/// Answers that carry a secret are never stored by a cache.
#[cfg(feature = "ssr")]
pub(super) fn no_store() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}
