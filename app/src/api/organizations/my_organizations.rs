//! The caller's organizations, and those they may join.

use leptos::prelude::*;

use super::MyOrgs;
use crate::error::AppError;

/// The organizations the signed-in user belongs to, and those whose email
/// domain rule lets them join.
#[server(endpoint = "my_organizations")]
pub async fn my_organizations() -> Result<MyOrgs, AppError> {
    use super::{JoinableOrg, OrgSummary};
    use crate::domain::organizations::OrgRole;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (mine, joinable) = tokio::try_join!(
            organizations::mine(&state.pool, caller.user_id),
            organizations::joinable(&state.pool, &caller)
        )?;
        Ok(MyOrgs {
            organizations: mine
                .into_iter()
                .map(|m| OrgSummary {
                    role: OrgRole::parse(&m.role).unwrap_or(OrgRole::Member),
                    slug: m.slug,
                    name: m.name,
                    verified: m.verified,
                    members: m.members,
                })
                .collect(),
            joinable: joinable
                .into_iter()
                .map(|j| JoinableOrg {
                    slug: j.slug,
                    name: j.name,
                    domain: j.domain,
                })
                .collect(),
        })
    })
    .await
}

/// Joins the organization `slug` as a member, through its email-domain rule.
#[server(endpoint = "join_organization")]
pub async fn join_organization(slug: String) -> Result<String, AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let slug = slug.trim().to_owned();
        organizations::join_by_domain(&state.pool, &caller, &slug, crate::server::client_addr())
            .await?;
        super::back_to(&slug, "joined");
        Ok(slug)
    })
    .await
}
