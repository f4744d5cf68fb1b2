//! One organization's page.

use leptos::prelude::*;

use super::OrgView;
use crate::error::AppError;

/// The organization `slug` as the signed-in member sees it: everything for
/// owners and admins; for members, the organization, who is in it, and their
/// own budget. "Not found" for anyone else.
#[server(endpoint = "get_organization")]
pub async fn get_organization(slug: String) -> Result<OrgView, AppError> {
    use super::{budget_view, InvitationView, MemberView};
    use crate::domain::datasets::DatasetIndustry;
    use crate::domain::organizations::OrgRole;
    use crate::domain::profile::Country;
    use crate::format;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, role) =
            organizations::membership(&state.pool, slug.trim(), caller.user_id).await?;
        let manages = role.manages();
        let (members, pool, domains) = tokio::try_join!(
            organizations::members(&state.pool, &org),
            organizations::pool_balance(&state.pool, &org),
            organizations::domains(&state.pool, &org),
        )?;
        let invitations = if manages {
            organizations::invitations(&state.pool, &org).await?
        } else {
            Vec::new()
        };
        let now = time::OffsetDateTime::now_utc();
        let members = members
            .into_iter()
            .map(|m| {
                let is_me = m.user_id == caller.user_id;
                let shown = manages || is_me;
                MemberView {
                    user_id: m.user_id.to_string(),
                    name: m.display_name,
                    email: if shown { m.email } else { String::new() },
                    role: OrgRole::parse(&m.role).unwrap_or(OrgRole::Member),
                    joined: format::time(m.joined_at),
                    budget: if shown {
                        budget_view(m.budget_amount, m.budget_period.as_deref())
                    } else {
                        None
                    },
                    spent: if shown { m.spent } else { 0 },
                    resets: if shown {
                        m.resets_at.map(format::time)
                    } else {
                        None
                    },
                    is_me,
                }
            })
            .collect();
        let invitations = invitations
            .into_iter()
            .map(|i| {
                let (status, open) = if i.accepted_at.is_some() {
                    ("Accepted", false)
                } else if i.revoked_at.is_some() {
                    ("Revoked", false)
                } else if i.expires_at <= now {
                    ("Expired", true)
                } else {
                    ("Open", true)
                };
                InvitationView {
                    id: i.id.to_string(),
                    email: i.email,
                    role: OrgRole::parse(&i.role).unwrap_or(OrgRole::Member),
                    invited_by: i.invited_by,
                    sent: format::time(i.sent_at),
                    expires: format::time(i.expires_at),
                    status: status.to_owned(),
                    open,
                }
            })
            .collect();
        let country = Country::parse(&org.country).ok();
        let industry = DatasetIndustry::parse(&org.industry);
        Ok(OrgView {
            may_create_keys: organizations::may_create_keys(&org, role),
            slug: org.slug,
            name: org.name,
            website: org.website,
            country_name: country.map_or_else(|| org.country.clone(), |c| c.name().to_owned()),
            country: org.country,
            industry_label: industry.map_or_else(|| org.industry.clone(), |i| i.label().to_owned()),
            industry: org.industry,
            time_zone: org.time_zone,
            verified: org.verified_at.is_some(),
            created: format::time(org.created_at),
            my_role: role,
            manages,
            pool,
            members_create_keys: org.members_create_keys,
            default_budget: budget_view(
                org.default_budget_amount,
                org.default_budget_period.as_deref(),
            ),
            members,
            invitations,
            domains,
        })
    })
    .await
}
