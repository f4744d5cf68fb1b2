//! The admin list of users.

use leptos::prelude::*;

use super::UserSummary;
use crate::domain::paging::Page;
use crate::error::AppError;

/// One page of users, newest first, whose email or name contains `q`.
#[server(endpoint = "admin_list_users")]
pub async fn list_users(
    #[server(default)] q: String,
    #[server(default)] page: i64,
) -> Result<Page<UserSummary>, AppError> {
    use crate::api::admin::PER_PAGE;
    use crate::domain::paging::clamp_page;
    use crate::domain::role::{PlatformRole, UserStatus};
    use crate::domain::search::Search;
    use crate::format;
    use crate::server::services::users;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let q = Search::parse(&q).map_err(|message| AppError::field("q", message))?;
        let page = clamp_page(page);
        let (rows, total) = users::list_users(&state.pool, Some(q.as_str()), page, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        Ok(Page::new(rows, total, page, PER_PAGE).map(|u| UserSummary {
            id: u.id,
            display_name: u.display_name,
            email: u.email,
            role: PlatformRole::parse(&u.platform_role).unwrap_or(PlatformRole::Developer),
            status: UserStatus::parse(&u.status).unwrap_or(UserStatus::Suspended),
            verified: u.email_verified_at.is_some(),
            created: format::time(u.created_at),
        }))
    })
    .await
}
