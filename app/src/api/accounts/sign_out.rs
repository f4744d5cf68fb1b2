//! Signing out.

use leptos::prelude::*;

use crate::error::AppError;

/// Ends the current login and goes to the home page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let session = crate::server::session()?;
        accounts::sign_out(&state.pool, &session, crate::server::caller().as_ref()).await?;
        crate::server::redirect("/");
        Ok(())
    })
    .await
}
