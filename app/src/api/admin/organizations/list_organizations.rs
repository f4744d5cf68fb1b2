//! Every organization, for staff.

use leptos::prelude::*;

use super::StaffOrgs;
use crate::error::AppError;

/// One page of organizations, newest first, whose name or slug contains `q`.
#[server(endpoint = "admin_list_organizations")]
pub async fn list_organizations(
    #[server(default)] q: String,
    #[server(default)] page: i64,
) -> Result<StaffOrgs, AppError> {
    use super::StaffOrg;
    use crate::api::admin::PER_PAGE;
    use crate::domain::paging::{clamp_page, Page};
    use crate::domain::search::Search;
    use crate::format;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let q = Search::parse(&q).map_err(|message| AppError::field("q", message))?;
        let page = clamp_page(page);
        let search = Some(q.as_str()).filter(|s| !s.is_empty());
        let (rows, total) = organizations::staff_list(&state.pool, search, page, PER_PAGE).await?;
        let found = Page::new(rows, total, page, PER_PAGE).map(|o| StaffOrg {
            slug: o.slug,
            name: o.name,
            country: o.country,
            industry: o.industry,
            verified: o.verified,
            members: o.members,
            pool: o.pool,
            created: format::time(o.created_at),
        });
        Ok(StaffOrgs {
            found,
            form_key: uuid::Uuid::now_v7().to_string(),
        })
    })
    .await
}
