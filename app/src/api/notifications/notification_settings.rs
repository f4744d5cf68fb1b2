//! What the signed-in person is told, and how.

use leptos::prelude::*;

use super::NotificationSettingsView;
use crate::error::AppError;

/// The caller's choice per kind (both on unless changed) and their
/// low-balance threshold.
#[server(endpoint = "notification_settings")]
pub async fn notification_settings() -> Result<NotificationSettingsView, AppError> {
    use super::KindSetting;
    use crate::domain::credits::Credits;
    use crate::server::services::notifications;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let preferences = notifications::preferences(&state.pool, caller.user_id)
            .await
            .map_err(crate::server::internal)?;
        Ok(NotificationSettingsView {
            kinds: preferences
                .kinds
                .into_iter()
                .map(|p| KindSetting {
                    kind: p.kind,
                    in_app: p.in_app,
                    email: p.email,
                })
                .collect(),
            low_balance_threshold: preferences
                .low_balance_threshold
                .map(|t| Credits::from_micros(t).to_string())
                .unwrap_or_default(),
        })
    })
    .await
}
