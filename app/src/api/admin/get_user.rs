//! One user, as the admin user page shows them.

use leptos::prelude::*;

use super::UserDetail;
use crate::error::AppError;

/// The user's profile, recent logins and applications.
#[server(endpoint = "admin_get_user")]
pub async fn get_user(id: String) -> Result<UserDetail, AppError> {
    use super::LoginView;
    use crate::api::onboarding::format_time;
    use crate::domain::profile::{AccountKind, Country};
    use crate::domain::role::{PlatformRole, UserStatus};
    use crate::server::{internal, services::admin};
    /// How many logins the page lists, newest first.
    const LOGINS_SHOWN: i64 = 50;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let not_found = || AppError::NotFound("There is no such user.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        let user = admin::user(&state.pool, id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)?;
        let logins = admin::logins(&state.pool, id, LOGINS_SHOWN)
            .await
            .map_err(internal)?;
        let applications = admin::applications_of(&state.pool, id)
            .await
            .map_err(internal)?;
        Ok(UserDetail {
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
            verified_at: user.email_verified_at.map(format_time),
            created: format_time(user.created_at),
            is_self: caller.user_id == user.id,
            logins: logins
                .into_iter()
                .map(|l| LoginView {
                    created: format_time(l.created_at),
                    last_seen: format_time(l.last_seen_at),
                    client_addr: l.client_addr,
                    user_agent: l.user_agent,
                    ended: l.ended_at.map(format_time),
                })
                .collect(),
            applications: applications
                .into_iter()
                .map(super::application_view)
                .collect(),
        })
    })
    .await
}
