//! Changing the email address from the profile page.

use leptos::prelude::*;

use crate::error::AppError;

/// Sends a verification link to the new address; it takes effect once opened.
#[server(endpoint = "change_email")]
pub async fn change_email(email: String, password: String) -> Result<(), AppError> {
    use crate::domain::email::Email;
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        accounts::change_email(&state.pool, &state.public_url, &caller, &email, password).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::profile(),
            &[("email_sent", "1")],
        ));
        Ok(())
    })
    .await
}
