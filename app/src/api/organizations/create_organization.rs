//! Creating an organization.

use leptos::prelude::*;

use crate::error::AppError;

/// Creates an organization with the signed-in user as its owner; answers
/// its slug (a form without JavaScript lands on its page).
#[server(endpoint = "create_organization")]
pub async fn create_organization(
    name: String,
    slug: String,
    #[server(default)] website: String,
    country: String,
    industry: String,
    #[server(default)] time_zone: String,
) -> Result<String, AppError> {
    use crate::domain::organizations::{parse_org, OrgFields};
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let form = parse_org(OrgFields {
            name: &name,
            slug: &slug,
            website: &website,
            country: &country,
            industry: &industry,
            time_zone: &time_zone,
        })?;
        let org = organizations::create(&state.pool, &caller, &form, crate::server::client_addr())
            .await?;
        super::back_to(&org.slug, "created");
        Ok(org.slug)
    })
    .await
}
