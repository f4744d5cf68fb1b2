//! The review queue of onboarding applications.

use leptos::prelude::*;

use super::{AdminApplication, Page};
use crate::error::AppError;

/// One page of applications with `status` (pending by default): pending ones
/// oldest first, decided ones newest first.
#[server(endpoint = "admin_list_applications")]
pub async fn list_applications(
    #[server(default)] status: String,
    #[server(default)] page: i64,
) -> Result<Page<AdminApplication>, AppError> {
    use crate::domain::role::ApplicationStatus;
    use crate::server::services::applications;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let status = if status.trim().is_empty() {
            ApplicationStatus::Pending
        } else {
            ApplicationStatus::parse(&status).map_err(AppError::InvalidRequest)?
        };
        let page = super::clamp_page(page);
        let (rows, total) =
            applications::list(&state.pool, status.as_str(), page, super::PER_PAGE).await?;
        Ok(super::page_of(rows, total, page, super::application_view))
    })
    .await
}
