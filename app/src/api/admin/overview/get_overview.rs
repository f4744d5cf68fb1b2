//! The numbers on the admin overview.

use leptos::prelude::*;

use super::AdminOverview;
use crate::error::AppError;

/// The platform's numbers for staff: queues, sign-ups and approvals,
/// credits granted, spent and expired, requests by model and provider,
/// the top organizations and courses, the support queue and the goals.
#[server(endpoint = "admin_overview")]
pub async fn get_overview() -> Result<AdminOverview, AppError> {
    use crate::server::services::overview;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let now = time::OffsetDateTime::now_utc();
        let platform = overview::platform(&state.pool, now).await?;
        Ok(to_view(platform, now.year()))
    })
    .await
}

/// The overview's view of what the service read, `year` being the current
/// one.
#[cfg(feature = "ssr")]
fn to_view(p: crate::server::services::overview::Platform, year: i32) -> AdminOverview {
    use super::{SupportQueueView, BUSINESSES_GOAL, DEVELOPERS_GOAL, UNIVERSITIES_GOAL};
    use crate::api::usage::{build_over, Metric};
    use crate::format::grouped;
    use crate::server::services::overview::DAYS;
    use crate::server::services::usage::DailyTotal;

    let count = usize::try_from(DAYS).unwrap_or_default();
    let days: Vec<time::Date> = std::iter::successors(Some(p.first), |d| d.next_day())
        .take(count)
        .collect();
    let people = vec![
        series(
            &days,
            "Sign-ups",
            p.people.iter().map(|r| (r.day, r.signups)),
        ),
        series(
            &days,
            "Approvals",
            p.people.iter().map(|r| (r.day, r.approvals)),
        ),
    ];
    let credits = vec![
        series(
            &days,
            "Granted",
            p.credits.iter().map(|r| (r.day, r.granted)),
        ),
        series(&days, "Spent", p.credits.iter().map(|r| (r.day, r.spent))),
        series(
            &days,
            "Expired",
            p.credits.iter().map(|r| (r.day, r.expired)),
        ),
    ];
    // The chart draws models; requests refused before their model was read
    // are in the table only.
    let daily: Vec<DailyTotal> = p
        .usage
        .iter()
        .filter(|r| !r.model.is_empty())
        .map(|r| DailyTotal {
            day: r.day,
            model: r.model.clone(),
            requests: r.requests,
            tokens: r.input_tokens.saturating_add(r.output_tokens),
            credits: r.credits,
        })
        .collect();
    let c = p.counts;
    let goals = vec![
        goal(
            "Businesses",
            c.organizations,
            BUSINESSES_GOAL,
            format!(
                "organizations, verified or not ({} verified)",
                grouped(c.verified_organizations)
            ),
        ),
        goal(
            "Developers",
            c.developers_this_year,
            DEVELOPERS_GOAL,
            format!("people signed up in {year}"),
        ),
        goal(
            "Universities",
            c.institutions,
            UNIVERSITIES_GOAL,
            "institutions".to_owned(),
        ),
    ];
    AdminOverview {
        users: c.users,
        pending_applications: c.pending_applications,
        pending_access_requests: c.pending_access_requests,
        unsent_emails: c.unsent_emails,
        uncollected: c.uncollected,
        days: days.iter().map(|d| crate::format::date(*d)).collect(),
        people,
        credits,
        requests: build_over(Metric::Requests, p.first, count, &daily),
        models: by_model(&p.usage),
        top_organizations: p.organizations.into_iter().map(spender).collect(),
        top_courses: p.courses.into_iter().map(spender).collect(),
        support: Some(SupportQueueView {
            open: p.support.active,
            unassigned: p.support.unassigned,
            breached: p.support.breached_open,
            met_percent: p.support.met_percent(),
        }),
        goals,
    }
}

/// One value per day of `days` from `(day, value)` pairs; days without one
/// are 0.
#[cfg(feature = "ssr")]
fn series(
    days: &[time::Date],
    name: &str,
    values: impl Iterator<Item = (time::Date, i64)>,
) -> crate::api::usage::Series {
    let mut out: Vec<i64> = vec![0; days.len()];
    for (day, value) in values {
        if let Some(i) = days.iter().position(|d| *d == day) {
            out[i] = out[i].saturating_add(value);
        }
    }
    crate::api::usage::Series {
        name: name.to_owned(),
        values: out,
    }
}

/// Each model's days added up, the most requested first (ties by name).
#[cfg(feature = "ssr")]
fn by_model(rows: &[crate::server::services::overview::ModelDay]) -> Vec<super::ModelUsageView> {
    use std::collections::BTreeMap;
    let mut models: BTreeMap<&str, super::ModelUsageView> = BTreeMap::new();
    for r in rows {
        let m = models
            .entry(r.model.as_str())
            .or_insert_with(|| super::ModelUsageView {
                model: r.model.clone(),
                provider: r.provider.clone(),
                requests: 0,
                input_tokens: 0,
                output_tokens: 0,
                errors: 0,
                credits: 0,
            });
        m.requests = m.requests.saturating_add(r.requests);
        m.input_tokens = m.input_tokens.saturating_add(r.input_tokens);
        m.output_tokens = m.output_tokens.saturating_add(r.output_tokens);
        m.errors = m.errors.saturating_add(r.errors);
        m.credits = m.credits.saturating_add(r.credits);
    }
    let mut list: Vec<super::ModelUsageView> = models.into_values().collect();
    // Stable: equal counts stay in the map's order, by name.
    list.sort_by_key(|m| std::cmp::Reverse(m.requests));
    list
}

#[cfg(feature = "ssr")]
fn spender(s: crate::server::services::overview::TopSpender) -> super::SpenderView {
    super::SpenderView {
        slug: s.slug,
        name: s.name,
        parent: s.parent,
        requests: s.requests,
        credits: s.credits,
    }
}

#[cfg(feature = "ssr")]
fn goal(label: &str, actual: i64, target: i64, counted: String) -> super::GoalView {
    super::GoalView {
        label: label.to_owned(),
        actual,
        target,
        counted,
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::server::services::overview::ModelDay;
    use time::macros::date;

    fn day(day: time::Date, model: &str, requests: i64, errors: i64) -> ModelDay {
        ModelDay {
            day,
            model: model.to_owned(),
            provider: Some("sim".to_owned()),
            requests,
            input_tokens: requests * 10,
            output_tokens: requests,
            errors,
            credits: requests * 100,
        }
    }

    #[test]
    fn days_without_a_value_are_zero_and_days_outside_are_left_out() {
        let days = [
            date!(2026 - 11 - 01),
            date!(2026 - 11 - 02),
            date!(2026 - 11 - 03),
        ];
        let s = series(
            &days,
            "Sign-ups",
            [
                (date!(2026 - 11 - 01), 2),
                (date!(2026 - 11 - 03), 5),
                (date!(2026 - 12 - 01), 9),
            ]
            .into_iter(),
        );
        assert_eq!(s.name, "Sign-ups");
        assert_eq!(s.values, [2, 0, 5]);
    }

    #[test]
    fn models_add_up_their_days_the_most_requested_first() {
        let rows = [
            day(date!(2026 - 11 - 01), "b", 3, 1),
            day(date!(2026 - 11 - 01), "a", 1, 0),
            day(date!(2026 - 11 - 02), "b", 2, 2),
            day(date!(2026 - 11 - 02), "c", 5, 0),
            day(date!(2026 - 11 - 02), "a", 4, 0),
        ];
        let models = by_model(&rows);
        let names: Vec<&str> = models.iter().map(|m| m.model.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"], "5 each: by name");
        assert_eq!(models[1].requests, 5);
        assert_eq!(models[1].errors, 3);
        assert_eq!(models[1].input_tokens, 50);
        assert_eq!(models[1].credits, 500);
    }
}
