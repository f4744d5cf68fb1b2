//! Every agent, for staff.

use leptos::prelude::*;

use super::StaffAgentRow;
use crate::error::AppError;

/// Every agent (published, draft only or taken out of the gallery), by
/// name.
#[server(endpoint = "admin_list_agents")]
pub async fn list_staff_agents() -> Result<Vec<StaffAgentRow>, AppError> {
    use crate::domain::datasets::DatasetIndustry;
    use crate::server::services::agents;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let rows = agents::staff_list(&state.pool)
            .await
            .map_err(crate::server::internal)?;
        Ok(rows
            .into_iter()
            .map(|r| StaffAgentRow {
                industry: DatasetIndustry::parse(&r.industry)
                    .map_or("", |i| i.label())
                    .to_owned(),
                slug: r.slug,
                name: r.name,
                icon: r.icon,
                newest: r.newest,
                draft: r.newest_status == "draft",
                published: r.published_version,
                featured: r.featured,
                updated: crate::format::time(r.updated_at),
            })
            .collect())
    })
    .await
}
