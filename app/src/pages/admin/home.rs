//! `/admin`: the platform dashboard. What waits for staff, the goals
//! against the actuals, sign-ups and approvals, credits, requests by model
//! and provider, the organizations and courses spending most and the
//! support queue; each chart with its numbers as a table (the usage pages'
//! chart component).

use leptos::prelude::*;

use super::{admin_frame, load_error};
use crate::api::admin::{
    get_overview, AdminOverview, GoalView, ModelUsageView, SpenderView, SupportQueueView,
};
use crate::api::usage::Series;
use crate::components::ui::{EmptyState, PageHeader};
use crate::domain::credits::Credits;
use crate::format::grouped;
use crate::href;
use crate::pages::usage::chart::{daily_chart, DailyChart, Layout, Unit};

/// `/admin`.
#[component]
pub fn AdminHomePage() -> impl IntoView {
    admin_frame("Admin", || view! { <Overview /> })
}

#[component]
fn Overview() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <PageHeader
            title="Admin console"
            lead="What waits for staff, the goals, and the last 30 days of sign-ups, credits and usage."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => dashboard(o).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn dashboard(o: AdminOverview) -> impl IntoView {
    view! {
        {stats(&o)}
        <Goals goals=o.goals />
        <People days=o.days.clone() series=o.people />
        <CreditsSection days=o.days series=o.credits />
        <section class="admin-section" aria-labelledby="requests-heading">
            <h2 id="requests-heading">"Requests by model"</h2>
            {daily_chart(DailyChart {
                id: "requests-chart",
                title: "Requests per day by model, last 30 days".to_owned(),
                unit: Unit::Requests,
                layout: Layout::Stacked,
                days: o.requests.days,
                series: o.requests.series,
                rows: "days with requests",
                empty: (
                    "No requests in the last 30 days",
                    "Requests through the API and the playground appear here, by model.",
                ),
            })}
            <ModelsTable models=o.models />
        </section>
        <div class="admin-pair">
            <TopSpenders
                id="top-orgs"
                heading="Top organizations"
                what="Organization"
                spenders=o.top_organizations
                link=true
            />
            <TopSpenders
                id="top-courses"
                heading="Top courses"
                what="Course"
                spenders=o.top_courses
                link=false
            />
        </div>
        <SupportHealth health=o.support />
        <p>
            <a href=href::admin_audit()>"Audit log"</a>
            " — who changed what, and when."
        </p>
    }
}

fn stats(o: &AdminOverview) -> impl IntoView {
    let stat = |href: &'static str, value: String, label: &'static str, hint: &'static str| {
        view! {
            <li>
                <a class="card admin-stat" href=href>
                    <span class="admin-stat-value">{value}</span>
                    <span class="admin-stat-label">{label}</span>
                    <span class="admin-stat-hint">{hint}</span>
                </a>
            </li>
        }
    };
    view! {
        <ul class="card-grid admin-stats" aria-label="At a glance">
            {stat(href::admin_users(), grouped(o.users), "Users", "Search, change roles, suspend")}
            {stat(
                href::admin_applications(),
                grouped(o.pending_applications),
                "Pending applications",
                "Approve or reject",
            )}
            {stat(
                href::admin_dataset_access(),
                grouped(o.pending_access_requests),
                "Pending access requests",
                "Datasets people asked to download",
            )}
            {stat(
                href::admin_outbox(),
                grouped(o.unsent_emails),
                "Unsent emails",
                "Every email, with its body",
            )}
            {stat(
                href::admin_credits(),
                Credits::from_micros(o.uncollected).to_string(),
                "Uncollected credits",
                "Usage past what accounts could pay",
            )}
        </ul>
    }
}

/// `12 of 5,000 (0.2%)`; a start too small to show in tenths of a percent
/// says so rather than reading as nothing.
fn progress_text(goal: &GoalView) -> String {
    let percent = if goal.target > 0 {
        goal.actual as f64 / goal.target as f64 * 100.0
    } else {
        0.0
    };
    let share = if goal.actual > 0 && percent < 0.05 {
        "under 0.1%".to_owned()
    } else {
        format!("{percent:.1}%")
    };
    format!(
        "{} of {} ({share})",
        grouped(goal.actual),
        grouped(goal.target)
    )
}

/// `1 sign-up`, `3 sign-ups`.
fn counted(count: i64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", grouped(count))
    }
}

/// The Lab's goals as progress bars, each with its numbers in words.
#[component]
fn Goals(goals: Vec<GoalView>) -> impl IntoView {
    view! {
        <section class="admin-section" aria-labelledby="goals-heading">
            <h2 id="goals-heading">"Goals"</h2>
            <ul class="goals">
                {goals
                    .into_iter()
                    .map(|g| {
                        let id = format!("goal-{}", g.label.to_lowercase());
                        let text = progress_text(&g);
                        let value = g.actual.clamp(0, g.target);
                        // A bar past its goal stays full; the words say by how much.
                        view! {
                            <li class="card goal" data-testid=id.clone()>
                                <label class="goal-label" for=id.clone()>
                                    {g.label.clone()}
                                </label>
                                <progress
                                    id=id.clone()
                                    max=g.target
                                    value=value
                                    aria-describedby=format!("{id}-text")
                                >
                                    {text.clone()}
                                </progress>
                                <p class="goal-text" id=format!("{id}-text")>
                                    <strong>{text}</strong>
                                    {format!(" {}", g.counted)}
                                </p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// A series' sum.
fn total(series: &[Series], name: &str) -> i64 {
    series
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.values.iter().fold(0i64, |a, v| a.saturating_add(*v)))
        .unwrap_or(0)
}

#[component]
fn People(days: Vec<String>, series: Vec<Series>) -> impl IntoView {
    let summary = format!(
        "{} and {} in the last 30 days.",
        counted(total(&series, "Sign-ups"), "sign-up", "sign-ups"),
        counted(
            total(&series, "Approvals"),
            "approved application",
            "approved applications",
        ),
    );
    view! {
        <section class="admin-section" aria-labelledby="people-heading">
            <h2 id="people-heading">"Sign-ups and approvals"</h2>
            <p data-testid="people-summary">{summary}</p>
            {daily_chart(DailyChart {
                id: "people-chart",
                title: "Sign-ups and approvals per day, last 30 days".to_owned(),
                unit: Unit::Count,
                layout: Layout::Grouped,
                days,
                series,
                rows: "days with sign-ups or approvals",
                empty: (
                    "No sign-ups in the last 30 days",
                    "People signing up and applications approved appear here, day by day.",
                ),
            })}
        </section>
    }
}

#[component]
fn CreditsSection(days: Vec<String>, series: Vec<Series>) -> impl IntoView {
    let credits = |name| crate::format::credits(Credits::from_micros(total(&series, name)));
    let summary = format!(
        "{} credits granted, {} spent and {} expired in the last 30 days.",
        credits("Granted"),
        credits("Spent"),
        credits("Expired"),
    );
    view! {
        <section class="admin-section" aria-labelledby="credits-heading">
            <h2 id="credits-heading">"Credits"</h2>
            <p data-testid="credits-summary">{summary}</p>
            {daily_chart(DailyChart {
                id: "credits-chart",
                title: "Credits granted, spent and expired per day, last 30 days".to_owned(),
                unit: Unit::Credits,
                layout: Layout::Grouped,
                days,
                series,
                rows: "days with credit moved",
                empty: (
                    "No credits moved in the last 30 days",
                    "Grants, what requests were charged and expired credit appear here, day by day.",
                ),
            })}
        </section>
    }
}

/// `3 (5.0%)` of `requests`.
fn errors_text(errors: i64, requests: i64) -> String {
    if requests > 0 && errors > 0 {
        let share = errors as f64 / requests as f64 * 100.0;
        format!("{} ({share:.1}%)", grouped(errors))
    } else {
        grouped(errors)
    }
}

/// Requests, tokens, errors and credits per model and its provider.
#[component]
fn ModelsTable(models: Vec<ModelUsageView>) -> impl IntoView {
    (!models.is_empty()).then(|| {
        view! {
            <div
                class="table-wrap"
                role="region"
                aria-label="Requests by model and provider"
                tabindex="0"
            >
                <table class="data-table" data-testid="models-table">
                    <caption>"By model and provider, last 30 days"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Model"</th>
                            <th scope="col">"Provider"</th>
                            <th scope="col" class="num">
                                "Requests"
                            </th>
                            <th scope="col" class="num">
                                "Tokens in / out"
                            </th>
                            <th scope="col" class="num">
                                "Errors"
                            </th>
                            <th scope="col" class="num">
                                "Credits"
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {models
                            .into_iter()
                            .map(|m| {
                                let model = if m.model.is_empty() {
                                    "(refused before the model was read)".to_owned()
                                } else {
                                    m.model.clone()
                                };
                                view! {
                                    <tr data-model=m.model.clone()>
                                        <th scope="row">{model}</th>
                                        <td data-label="Provider">
                                            {m.provider.unwrap_or_else(|| "—".to_owned())}
                                        </td>
                                        <td data-label="Requests" class="num">
                                            {grouped(m.requests)}
                                        </td>
                                        <td data-label="Tokens in / out" class="num">
                                            {format!(
                                                "{} / {}",
                                                grouped(m.input_tokens),
                                                grouped(m.output_tokens),
                                            )}
                                        </td>
                                        <td data-label="Errors" class="num">
                                            {errors_text(m.errors, m.requests)}
                                        </td>
                                        <td data-label="Credits" class="num">
                                            {crate::format::credits(Credits::from_micros(m.credits))}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}

/// The organizations or courses that spent most over the 30 days.
#[component]
fn TopSpenders(
    id: &'static str,
    heading: &'static str,
    what: &'static str,
    spenders: Vec<SpenderView>,
    /// Whether each links to its page in the console (organizations).
    link: bool,
) -> impl IntoView {
    let heading_id = format!("{id}-heading");
    let labelled_by = heading_id.clone();
    view! {
        <section class="admin-section" aria-labelledby=labelled_by>
            <h2 id=heading_id>{heading}</h2>
            {if spenders.is_empty() {
                view! { <p class="muted">"No spending in the last 30 days."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" role="region" aria-label=heading tabindex="0">
                        <table class="data-table" data-testid=id>
                            <caption class="visually-hidden">
                                {format!("{heading} by credits spent, last 30 days")}
                            </caption>
                            <thead>
                                <tr>
                                    <th scope="col">{what}</th>
                                    <th scope="col" class="num">
                                        "Requests"
                                    </th>
                                    <th scope="col" class="num">
                                        "Credits"
                                    </th>
                                </tr>
                            </thead>
                            <tbody>
                                {spenders
                                    .into_iter()
                                    .map(|s| {
                                        let name = if link {
                                            let to = href::with_query(
                                                href::admin_organizations(),
                                                &[("q", s.slug.as_str())],
                                            );
                                            view! { <a href=to>{s.name.clone()}</a> }.into_any()
                                        } else {
                                            view! { {s.name.clone()} }.into_any()
                                        };
                                        view! {
                                            <tr>
                                                <th scope="row">
                                                    {name}
                                                    {s
                                                        .parent
                                                        .map(|p| {
                                                            view! { <span class="muted">{format!(" — {p}")}</span> }
                                                        })}
                                                </th>
                                                <td data-label="Requests" class="num">
                                                    {grouped(s.requests)}
                                                </td>
                                                <td data-label="Credits" class="num">
                                                    {crate::format::credits(Credits::from_micros(s.credits))}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The support queue's health: open, unassigned, past the first-response
/// target, and the share answered within it over 30 days. From
/// `services::support::queue_health`; `None` renders a placeholder, for a
/// portal without the support area.
#[component]
fn SupportHealth(health: Option<SupportQueueView>) -> impl IntoView {
    let body = match health {
        None => view! {
            <EmptyState title="No support queue yet">
                <p>
                    "Support requests and their targets appear here once the support area is set up."
                </p>
            </EmptyState>
        }
        .into_any(),
        Some(h) => {
            let met = h
                .met_percent
                .map_or_else(|| "—".to_owned(), |p| format!("{p}%"));
            let tile = |value: String, label: &'static str, hint: &'static str| {
                view! {
                    <li>
                        <a class="card admin-stat" href=href::admin_support()>
                            <span class="admin-stat-value">{value}</span>
                            <span class="admin-stat-label">{label}</span>
                            <span class="admin-stat-hint">{hint}</span>
                        </a>
                    </li>
                }
            };
            view! {
                <ul
                    class="card-grid admin-stats"
                    aria-label="Support queue"
                    data-testid="support-health"
                >
                    {tile(grouped(h.open), "Open", "Open, waiting on staff or reopened")}
                    {tile(grouped(h.unassigned), "Unassigned", "Open with nobody on them")}
                    {tile(
                        grouped(h.breached),
                        "SLA breached",
                        "Unanswered past the first-response target",
                    )}
                    {tile(met, "SLA met", "First responses within target, last 30 days")}
                </ul>
            }
            .into_any()
        }
    };
    view! {
        <section class="admin-section" aria-labelledby="support-heading">
            <h2 id="support-heading">"Support queue"</h2>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_and_errors_read_as_numbers_and_shares() {
        let goal = GoalView {
            label: "Businesses".to_owned(),
            actual: 12,
            target: 5_000,
            counted: String::new(),
        };
        assert_eq!(progress_text(&goal), "12 of 5,000 (0.2%)");
        let start = GoalView {
            actual: 1,
            ..goal.clone()
        };
        assert_eq!(progress_text(&start), "1 of 5,000 (under 0.1%)");
        let past = GoalView {
            actual: 6_000,
            ..goal
        };
        assert_eq!(progress_text(&past), "6,000 of 5,000 (120.0%)");
        assert_eq!(counted(1, "sign-up", "sign-ups"), "1 sign-up");
        assert_eq!(counted(1_200, "sign-up", "sign-ups"), "1,200 sign-ups");
        assert_eq!(errors_text(0, 10), "0");
        assert_eq!(errors_text(1, 3), "1 (33.3%)");
        let series = [Series {
            name: "Spent".to_owned(),
            values: vec![1, 2, 3],
        }];
        assert_eq!(total(&series, "Spent"), 6);
        assert_eq!(total(&series, "Granted"), 0);
    }
}
