//! An organization's usage: spend by member, key, model and day.

use leptos::prelude::*;

use super::OrgUsageView;
use crate::error::AppError;

/// The most days one view of an organization's usage covers.
pub const MAX_USAGE_DAYS: i64 = 366;

/// The organization's requests from `from` to `to` (days, UTC, both
/// included; the last 30 days by default), optionally one member's and one
/// model's: totals by member, key and model, and a chart by day. Owners and
/// admins see everyone's; members only their own.
#[server(endpoint = "org_usage")]
pub async fn org_usage(
    slug: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] member: String,
    #[server(default)] model: String,
) -> Result<OrgUsageView, AppError> {
    use super::UsageTotalView;
    use crate::api::usage::{build_over, Metric};
    use crate::server::services::organizations::{self, UsageBy};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, role) =
            organizations::membership(&state.pool, slug.trim(), caller.user_id).await?;
        let manages = role.manages();
        let filter = usage_filter(&from, &to, &member, &model, manages, caller.user_id)?;
        let (by_member, by_key, by_model, daily, members) = tokio::try_join!(
            organizations::usage_totals(&state.pool, &org, &filter, UsageBy::Member),
            organizations::usage_totals(&state.pool, &org, &filter, UsageBy::Key),
            organizations::usage_totals(&state.pool, &org, &filter, UsageBy::Model),
            organizations::usage_daily(&state.pool, &org, &filter),
            organizations::members(&state.pool, &org),
        )?;
        let view = |rows: Vec<organizations::UsageTotal>| {
            rows.into_iter()
                .map(|t| UsageTotalView {
                    label: t.label,
                    detail: t.detail,
                    requests: t.requests,
                    tokens: t.tokens,
                    credits: t.credits,
                })
                .collect::<Vec<_>>()
        };
        let days = usize::try_from((filter.last - filter.first).whole_days() + 1).unwrap_or(1);
        let mut models: Vec<String> = by_model.iter().map(|m| m.label.clone()).collect();
        models.sort();
        Ok(OrgUsageView {
            organization: org.name,
            slug: org.slug,
            manages,
            from: crate::format::date(filter.first),
            to: crate::format::date(filter.last),
            member: filter.member.map(|m| m.to_string()).unwrap_or_default(),
            model: filter.model.clone().unwrap_or_default(),
            members: if manages {
                members
                    .into_iter()
                    .map(|m| (m.user_id.to_string(), m.display_name))
                    .collect()
            } else {
                Vec::new()
            },
            models,
            chart: build_over(Metric::Credits, filter.first, days, &daily),
            by_member: view(by_member),
            by_key: view(by_key),
            by_model: view(by_model),
        })
    })
    .await
}

/// The filter a request asks for, checked: members see only their own
/// requests whatever they ask.
#[cfg(feature = "ssr")]
pub fn usage_filter(
    from: &str,
    to: &str,
    member: &str,
    model: &str,
    manages: bool,
    caller: uuid::Uuid,
) -> Result<crate::server::services::organizations::UsageFilter, AppError> {
    use crate::domain::calendar::parse_day;
    use crate::error::FieldErrors;
    let mut errors = FieldErrors::default();
    let today = time::OffsetDateTime::now_utc().date();
    let last = errors.check("to", parse_day(to)).flatten().unwrap_or(today);
    let first = errors
        .check("from", parse_day(from))
        .flatten()
        .unwrap_or_else(|| last - time::Duration::days(29));
    if first > last {
        errors.add("from", "The first day comes after the last.");
    } else if (last - first).whole_days() >= MAX_USAGE_DAYS {
        errors.add("from", format!("Choose at most {MAX_USAGE_DAYS} days."));
    }
    let member = if manages {
        match member.trim() {
            "" => None,
            id => errors
                .check(
                    "member",
                    uuid::Uuid::parse_str(id)
                        .map(Some)
                        .map_err(|_| "Choose a member from the list.".to_owned()),
                )
                .flatten(),
        }
    } else {
        Some(caller)
    };
    let model = Some(model.trim().to_owned()).filter(|m| !m.is_empty() && m.len() <= 200);
    errors.finish()?;
    Ok(crate::server::services::organizations::UsageFilter {
        first,
        last,
        member,
        model,
    })
}
