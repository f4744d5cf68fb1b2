//! Asking for a password-reset link.

use leptos::prelude::*;

use crate::error::AppError;

/// Emails a reset link if the address has an account; answers the same
/// either way.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use crate::domain::email::Email;
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        accounts::request_password_reset(&state.pool, &state.public_url, &email).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::forgot_password(),
            &[("sent", "1")],
        ));
        Ok(())
    })
    .await
}
