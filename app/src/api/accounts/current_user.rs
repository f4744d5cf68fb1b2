//! Who is signed in, for the header and guarded pages.

use leptos::prelude::*;

use super::SessionUser;
use crate::error::AppError;

/// The signed-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::domain::role::PlatformRole;
    Ok(crate::server::caller().map(|c| SessionUser {
        display_name: c.display_name,
        email: c.email,
        is_admin: c.role == PlatformRole::Admin,
    }))
}
