//! Suspending a user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// A form naming one user, as posted by the suspend and reactivate buttons.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserForm {
    pub user_id: Uuid,
}

/// Suspends the user and ends all their logins at once (audited).
#[server(endpoint = "admin_suspend_user")]
pub async fn suspend_user(#[server(flatten)] form: UserForm) -> Result<(), AppError> {
    use crate::domain::role::UserStatus;
    use crate::server::services::admin;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        admin::set_status(
            &state.pool,
            &caller,
            form.user_id,
            UserStatus::Suspended,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&format!("/admin/users/{}?done=suspended", form.user_id));
        Ok(())
    })
    .await
}
