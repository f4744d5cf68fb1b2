//! Asking for a password-reset link.

use leptos::prelude::*;

use crate::error::AppError;

/// Emails a reset link if the address has an account; answers the same
/// either way, and as fast: the lookup, the token and the email happen
/// after the answer, so its timing cannot tell whether the address has an
/// account.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use crate::domain::email::Email;
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        let (pool, base_url) = (state.pool.clone(), state.public_url.clone());
        tokio::spawn(async move {
            if let Err(error) = accounts::request_password_reset(&pool, &base_url, &email).await {
                tracing::error!(%error, "queuing a password-reset email");
            }
        });
        crate::server::redirect(&crate::href::with_query(
            crate::href::forgot_password(),
            &[("sent", "1")],
        ));
        Ok(())
    })
    .await
}
