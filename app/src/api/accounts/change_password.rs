//! Changing the password from the profile page.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the caller's password; their other sessions end.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::domain::password::Password;
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let local_part = caller
            .email
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned();
        let new_password = Password::parse(new_password, &[&local_part, &caller.display_name])
            .map_err(|m| AppError::field("new_password", m))?;
        accounts::change_password(&state.pool, &caller, current_password, new_password).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::profile(),
            &[("password_changed", "1")],
        ));
        Ok(())
    })
    .await
}
