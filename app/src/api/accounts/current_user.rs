//! Who is signed in, for the header and guarded pages.

use leptos::prelude::*;

use super::SessionUser;
use crate::error::AppError;

/// The signed-in user with what they may spend, or `None`.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::domain::role::PlatformRole;
    use crate::server::{internal, ledger};
    crate::server::respond(async move {
        let Some(caller) = crate::server::caller() else {
            return Ok(None);
        };
        let state = crate::server::state()?;
        let available = ledger::available_of(&state.pool, ledger::Owner::User(caller.user_id))
            .await
            .map_err(internal)?;
        Ok(Some(SessionUser {
            display_name: caller.display_name,
            email: caller.email,
            is_admin: caller.role == PlatformRole::Admin,
            available,
        }))
    })
    .await
}
