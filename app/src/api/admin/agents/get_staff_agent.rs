//! One agent, for staff.

use leptos::prelude::*;

use super::StaffAgentView;
use crate::error::AppError;

/// Agent `slug` with every version, newest first, and the newest as an
/// agent file.
#[server(endpoint = "admin_get_agent")]
pub async fn get_staff_agent(slug: String) -> Result<StaffAgentView, AppError> {
    use super::StaffVersionRow;
    use crate::server::services::agents;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let versions = agents::history(&state.pool, slug.trim())
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(|| AppError::NotFound("There is no agent at this address.".to_owned()))?;
        let Some(newest) = versions.first() else {
            return Err(AppError::NotFound(
                "There is no agent at this address.".to_owned(),
            ));
        };
        Ok(StaffAgentView {
            slug: newest.slug.clone(),
            name: newest.name.clone(),
            icon: newest.icon.clone(),
            published: newest.published_version,
            newest: newest.number,
            draft: newest.status == "draft",
            file: newest.spec().to_json(),
            versions: versions
                .iter()
                .map(|v| StaffVersionRow {
                    number: v.number,
                    draft: v.status == "draft",
                    live: v.published_version == Some(v.number),
                    model: v.model.clone(),
                    changelog: v.changelog.clone(),
                    published: v.published_at.map(crate::format::time),
                })
                .collect(),
        })
    })
    .await
}
