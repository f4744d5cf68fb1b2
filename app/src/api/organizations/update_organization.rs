//! An organization's settings.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The settings form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SettingsForm {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub website: String,
    pub country: String,
    pub industry: String,
    #[serde(default)]
    pub time_zone: String,
    /// Present (any value) when ticked.
    #[serde(default)]
    pub members_create_keys: String,
    #[serde(default)]
    pub default_budget_amount: String,
    #[serde(default)]
    pub default_budget_period: String,
}

/// Saves the organization's details, whether members may create keys billed
/// to it, and the budget new members start with (owners and admins).
#[server(endpoint = "update_organization")]
pub async fn update_organization(#[server(flatten)] form: SettingsForm) -> Result<(), AppError> {
    use crate::domain::organizations::{parse_budget, parse_org, OrgFields};
    use crate::server::services::organizations::{self, Settings};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, _) =
            organizations::managed(&state.pool, form.slug.trim(), caller.user_id).await?;
        let parsed = parse_org(OrgFields {
            name: &form.name,
            slug: &org.slug,
            website: &form.website,
            country: &form.country,
            industry: &form.industry,
            time_zone: &form.time_zone,
        })?;
        let default_budget =
            parse_budget(&form.default_budget_amount, &form.default_budget_period)?;
        let settings = Settings {
            form: parsed,
            members_create_keys: !form.members_create_keys.is_empty(),
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
