//! Suspending a user.

use super::UserForm;
use crate::error::AppError;
use leptos::prelude::*;

/// Suspends the user and ends all their logins at once (audited).
#[server(endpoint = "admin_suspend_user")]
pub async fn suspend_user(#[server(flatten)] form: UserForm) -> Result<(), AppError> {
    use crate::domain::role::UserStatus;
    use crate::server::services::users;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        users::set_status(
            &state.pool,
            &caller,
            form.user_id,
            UserStatus::Suspended,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            &crate::href::admin_user(form.user_id),
            "suspended",
        ));
        Ok(())
    })
    .await
}
