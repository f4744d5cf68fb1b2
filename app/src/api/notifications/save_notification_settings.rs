//! Saving what the signed-in person is told.

use leptos::prelude::*;

use super::NotificationSettingsForm;
use crate::error::AppError;

/// Saves every kind's two boxes and the low-balance threshold (in
/// credits; empty for 10 % of the last grant).
#[server(endpoint = "save_notification_settings")]
pub async fn save_notification_settings(
    #[server(flatten)] form: NotificationSettingsForm,
) -> Result<(), AppError> {
    use crate::domain::credits::Credits;
    use crate::domain::notifications::NotificationKind;
    use crate::server::services::notifications::{self, Preference, Preferences};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let threshold = match form.low_balance_threshold.trim() {
            "" => None,
            typed => Some(
                Credits::parse(typed, false)
                    .map_err(|message| AppError::field("low_balance_threshold", message))?
                    .micros(),
            ),
        };
        let kinds = NotificationKind::ALL
            .into_iter()
            .map(|kind| {
                let (in_app, email) = form.ticked(kind);
                Preference {
                    kind,
                    in_app,
                    email,
                }
            })
            .collect();
        let preferences = Preferences {
            kinds,
            low_balance_threshold: threshold,
        };
        notifications::save_preferences(&state.pool, caller.user_id, &preferences)
            .await
            .map_err(crate::server::internal)?;
        crate::server::redirect(&crate::href::done(
            crate::href::notification_settings(),
            "saved",
        ));
        Ok(())
    })
    .await
}
