//! One user, as the admin user page shows them.

use leptos::prelude::*;

use super::UserDetail;
use crate::error::AppError;

/// The user's profile, recent logins and applications.
#[server(endpoint = "admin_get_user")]
pub async fn get_user(id: String) -> Result<UserDetail, AppError> {
    use crate::server::{internal, services::users};
    /// How many logins the page lists, newest first.
    const LOGINS_SHOWN: i64 = 50;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let not_found = || AppError::NotFound("There is no such user.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        let user = users::user(&state.pool, id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)?;
        let logins = users::logins(&state.pool, id, LOGINS_SHOWN)
            .await
            .map_err(internal)?;
        let applications = users::applications_of(&state.pool, id)
            .await
            .map_err(internal)?;
        let mut detail = detail(user, caller.user_id);
        detail.logins = logins.into_iter().map(login_view).collect();
        detail.applications = applications
            .into_iter()
            .map(crate::api::admin::applications::application_view)
            .collect();
        Ok(detail)
    })
    .await
}

/// The profile part of the page, as `viewer` sees it.
#[cfg(feature = "ssr")]
fn detail(user: crate::server::services::users::UserRow, viewer: uuid::Uuid) -> UserDetail {
    use crate::domain::profile::{AccountKind, Country};
    use crate::domain::role::{PlatformRole, UserStatus};
    use crate::format;
    UserDetail {
        id: user.id,
        display_name: user.display_name,
        email: user.email,
        kind: AccountKind::parse(&user.account_kind)
            .map(|k| k.label().to_owned())
            .unwrap_or(user.account_kind),
        organization: user.organization,
        country: Country::parse(&user.country)
            .map(|c| c.name().to_owned())
            .unwrap_or(user.country),
        role: PlatformRole::parse(&user.platform_role).unwrap_or(PlatformRole::Developer),
        status: UserStatus::parse(&user.status).unwrap_or(UserStatus::Suspended),
        verified_at: user.email_verified_at.map(format::time),
        created: format::time(user.created_at),
        is_self: viewer == user.id,
        logins: Vec::new(),
        applications: Vec::new(),
    }
}

#[cfg(feature = "ssr")]
fn login_view(login: crate::server::services::users::LoginRow) -> super::LoginView {
    use crate::format;
    super::LoginView {
        created: format::time(login.created_at),
        last_seen: format::time(login.last_seen_at),
        client_addr: login.client_addr,
        user_agent: login.user_agent,
        ended: login.ended_at.map(format::time),
    }
}
