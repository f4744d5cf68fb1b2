//! Choosing a new password from a reset link.

use leptos::prelude::*;

use crate::error::AppError;

/// Sets the new password and signs the account out everywhere.
#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::domain::password::Password;
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let password =
            Password::parse(password, &[]).map_err(|m| AppError::field("password", m))?;
        accounts::reset_password(&state.pool, &token, password).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::sign_in(),
            &[("reset", "1")],
        ));
        Ok(())
    })
    .await
}
