//! Asking for a new verification link.

use leptos::prelude::*;

use crate::error::AppError;

/// Sends a new link if the address has an unverified account (at most once
/// a minute); answers the same either way.
#[server(endpoint = "resend_verification")]
pub async fn resend_verification(email: String) -> Result<(), AppError> {
    use crate::domain::email::Email;
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        accounts::resend_verification(&state.pool, &state.public_url, &email).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::check_email(),
            &[("resent", "1")],
        ));
        Ok(())
    })
    .await
}
