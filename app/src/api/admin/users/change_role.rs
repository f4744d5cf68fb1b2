//! Changing a user's platform role.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// The change-role form, as posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleForm {
    pub user_id: Uuid,
    pub role: String,
}

/// Gives the user another platform role (audited) and returns to their page.
#[server(endpoint = "admin_change_role")]
pub async fn change_role(#[server(flatten)] form: RoleForm) -> Result<(), AppError> {
    use crate::domain::role::PlatformRole;
    use crate::server::services::users;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let role = PlatformRole::parse(&form.role)
            .map_err(|_| AppError::field("role", "Choose a role from the list."))?;
        users::change_role(
            &state.pool,
            &caller,
            form.user_id,
            role,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::done(
            &crate::href::admin_user(form.user_id),
            "role",
        ));
        Ok(())
    })
    .await
}
