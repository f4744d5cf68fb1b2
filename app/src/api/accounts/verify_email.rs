//! Confirming an email address from the emailed link.

use leptos::prelude::*;

use crate::error::AppError;

/// Uses a verification token. The page posts it (a button press), so that
/// mail scanners which open links do not use it up.
#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        accounts::verify_email(&state.pool, &token).await?;
        let next = if crate::server::caller().is_some() {
            crate::href::with_query(crate::href::profile(), &[("email_verified", "1")])
        } else {
            crate::href::with_query(crate::href::sign_in(), &[("verified", "1")])
        };
        crate::server::redirect(&next);
        Ok(())
    })
    .await
}
