//! An organization's settings.

use leptos::prelude::*;

use crate::error::AppError;

/// Saves the organization's details, whether members may create keys billed
/// to it, and the budget new members start with (owners and admins).
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "update_organization")]
pub async fn update_organization(
    slug: String,
    name: String,
    #[server(default)] website: String,
    country: String,
    industry: String,
    #[server(default)] time_zone: String,
    #[server(default)] members_create_keys: String,
    #[server(default)] default_budget_amount: String,
    #[server(default)] default_budget_period: String,
) -> Result<(), AppError> {
    use crate::domain::organizations::{parse_budget, parse_org, OrgFields};
    use crate::server::services::organizations::{self, Settings};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, _) = organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let form = parse_org(OrgFields {
            name: &name,
            slug: &org.slug,
            website: &website,
            country: &country,
            industry: &industry,
            time_zone: &time_zone,
        })?;
        let default_budget = parse_budget(&default_budget_amount, &default_budget_period)?;
        let settings = Settings {
            form,
            members_create_keys: !members_create_keys.is_empty(),
            default_budget,
        };
        organizations::update(
            &state.pool,
            &caller,
            &org,
            &settings,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "saved");
        Ok(())
    })
    .await
}
