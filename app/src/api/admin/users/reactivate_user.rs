//! Reactivating a suspended user.

use leptos::prelude::*;

use super::UserForm;
use crate::error::AppError;

/// Lets a suspended user sign in again (audited).
#[server(endpoint = "admin_reactivate_user")]
pub async fn reactivate_user(#[server(flatten)] form: UserForm) -> Result<(), AppError> {
    use crate::domain::role::UserStatus;
    use crate::server::services::users;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        users::set_status(
            &state.pool,
            &caller,
            form.user_id,
            UserStatus::Active,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            &crate::href::admin_user(form.user_id),
            "reactivated",
        ));
        Ok(())
    })
    .await
}
