//! The review queue of onboarding applications.

use leptos::prelude::*;

use super::AdminApplication;
use crate::domain::paging::Page;
use crate::error::AppError;

/// One page of applications with `status` (pending by default): pending ones
/// oldest first, decided ones newest first.
#[server(endpoint = "admin_list_applications")]
pub async fn list_applications(
    #[server(default)] status: String,
    #[server(default)] page: i64,
) -> Result<Page<AdminApplication>, AppError> {
    use crate::api::admin::PER_PAGE;
    use crate::domain::paging::clamp_page;
    use crate::domain::role::ApplicationStatus;
    use crate::server::services::onboarding;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let status = if status.trim().is_empty() {
            ApplicationStatus::Pending
        } else {
            ApplicationStatus::parse(&status).map_err(AppError::InvalidRequest)?
        };
        let page = clamp_page(page);
        let (rows, total) = onboarding::list(&state.pool, status.as_str(), page, PER_PAGE).await?;
        Ok(Page::new(rows, total, page, PER_PAGE).map(super::application_view))
    })
    .await
}
