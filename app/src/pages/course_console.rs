//! A course's console beyond its dashboard, for its coordinators and its
//! institution's admins: `/courses/{slug}/usage` (requests and spend by
//! day, model and agent, and the CSV export), `/courses/{slug}/students/{id}`
//! (one student's allocation, moves and requests) and
//! `/courses/{slug}/audit` (everything done in the course).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::cohorts::{
    course_audit, course_student, course_usage, CourseStudentView, CourseUsageView,
};
use crate::components::guard::RequireUser;
use crate::components::ui::{EmptyState, PageHeader, StatTile};
use crate::error::AppError;
use crate::href;
use crate::pages::cohorts::credits;
use crate::pages::organizations::{audit_table, totals_table};

/// A page's error, with the way back.
fn page_error(title: &'static str, error: AppError) -> impl IntoView {
    view! {
        {crate::pages::cohorts::page_error(title, error)}
        <p>
            <a href=href::dashboard()>"Back to your dashboard"</a>
        </p>
    }
}

/// `/courses/{slug}/usage`.
#[component]
pub fn CourseUsagePage() -> impl IntoView {
    view! {
        <Title text="Course usage" />
        <RequireUser children=|_| view! { <CourseUsage /> } />
    }
}

#[component]
fn CourseUsage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let days = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("from").unwrap_or_default(),
            q.get("to").unwrap_or_default(),
        )
    });
    let usage = Resource::new(
        move || (slug.get(), days.get()),
        |(slug, (from, to))| course_usage(slug, from, to),
    );
    view! {
        <section class="container page course-usage-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(usage) => usage_view(usage).into_any(),
                        Err(e) => page_error("Course usage", e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn usage_view(usage: CourseUsageView) -> impl IntoView {
    let title = format!("{} — usage", usage.name);
    let lead = format!(
        "What {}'s students spent from their allocations, through keys and the playground.",
        usage.course_code
    );
    let export = href::course_usage_csv(&usage.slug);
    let total: i64 = usage.by_model.iter().map(|m| m.credits).sum();
    let requests: i64 = usage.by_model.iter().map(|m| m.requests).sum();
    let action = href::course_usage(&usage.slug);
    view! {
        <Title text=title.clone() />
        <PageHeader eyebrow="Course" title lead>
            <a href=export class="button" download="">
                "Export every request (CSV)"
            </a>
            <a href=href::course(&usage.slug) class="button">
                "Back to the course"
            </a>
        </PageHeader>
        <form method="get" action=action class="filter-bar" role="search">
            <div class="field">
                <label for="from">"From"</label>
                <input id="from" name="from" type="date" value=usage.from.clone() />
            </div>
            <div class="field">
                <label for="to">"To"</label>
                <input id="to" name="to" type="date" value=usage.to.clone() />
            </div>
            <button type="submit" class="button">
                "Show"
            </button>
        </form>
        <p class="muted" data-testid="course-usage-total">
            {format!(
                "{} requests, {} credits from {} to {} (UTC).",
                crate::format::grouped(requests),
                credits(total),
                usage.from,
                usage.to,
            )}
        </p>
        <section aria-labelledby="usage-chart-heading">
            <h2 id="usage-chart-heading">"Credits by day and model"</h2>
            {crate::pages::usage::chart::usage_chart(usage.chart.clone())}
        </section>
        {totals_table("By model", "Model", usage.by_model)}
        {totals_table("By agent", "Agent", usage.by_agent)}
    }
}

/// `/courses/{slug}/students/{id}`.
#[component]
pub fn CourseStudentPage() -> impl IntoView {
    view! {
        <Title text="Student" />
        <RequireUser children=|_| view! { <CourseStudent /> } />
    }
}

#[component]
fn CourseStudent() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let p = params.read();
        (
            p.get("slug").unwrap_or_default(),
            p.get("id").unwrap_or_default(),
        )
    });
    let student = Resource::new(move || key.get(), |(slug, id)| course_student(slug, id));
    view! {
        <section class="container page course-student-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match student.await {
                        Ok(student) => student_view(student).into_any(),
                        Err(e) => page_error("Student", e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn student_view(student: CourseStudentView) -> impl IntoView {
    let who = if student.name.is_empty() {
        student.email.clone()
    } else {
        student.name.clone()
    };
    let since = student
        .joined_at
        .as_ref()
        .map(|at| format!("joined {at}"))
        .or_else(|| {
            student
                .invited_at
                .as_ref()
                .map(|at| format!("invited {at}"))
        });
    let facts: Vec<String> = [
        Some(student.email.clone()),
        (!student.student_id.is_empty()).then(|| format!("student id {}", student.student_id)),
        Some(student.status.clone()),
        since,
        student.ended_at.as_ref().map(|at| format!("ended {at}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let lead = facts.join(" · ");
    let given_back = if student.reclaimed > 0 {
        format!(
            "{} went back at the end of the term.",
            credits(student.reclaimed)
        )
    } else {
        "Theirs to use until the term ends.".to_owned()
    };
    let back = href::course(&student.course_slug);
    let back_label = format!("Back to {}", student.course_name);
    let last = student
        .last_activity
        .clone()
        .unwrap_or_else(|| "Never".to_owned());
    view! {
        <Title text=who.clone() />
        <PageHeader eyebrow="Student" title=who lead>
            <a href=back class="button">
                {back_label}
            </a>
        </PageHeader>
        <div class="stat-grid">
            <StatTile label="Allocated" value=credits(student.allocated) unit="credits" />
            <StatTile label="Spent" value=credits(student.spent) unit="credits" />
            <StatTile
                label="Remaining"
                value=credits(student.remaining)
                unit="credits"
                hint=given_back
            />
            <StatTile
                label="Requests"
                value=crate::format::grouped(student.requests)
                hint=format!("Last: {last}")
            />
        </div>
        <section class="org-section" aria-labelledby="moves-heading">
            <h2 id="moves-heading">"Credit moves"</h2>
            {if student.moves.is_empty() {
                view! {
                    <EmptyState title="No credit yet">
                        <p>"The student receives the course's allocation when they join."</p>
                    </EmptyState>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap" role="region" aria-label="Credit moves" tabindex="0">
                        <table class="data-table">
                            <caption class="visually-hidden">"Credit moves, newest first"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Time"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"By"</th>
                                    <th scope="col">"Credits"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {student
                                    .moves
                                    .into_iter()
                                    .map(|m| {
                                        view! {
                                            <tr>
                                                <td data-label="Time" class="nowrap">
                                                    {m.time}
                                                </td>
                                                <td data-label="What">{m.what}</td>
                                                <td data-label="By">
                                                    {if m.by.is_empty() { "—".to_owned() } else { m.by }}
                                                </td>
                                                <td data-label="Credits" class="num">
                                                    {m.amount}
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
        <section class="org-section" aria-labelledby="requests-heading">
            <h2 id="requests-heading">"Latest requests"</h2>
            {if student.recent.is_empty() {
                view! { <p class="muted">"No requests yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" role="region" aria-label="Latest requests" tabindex="0">
                        <table class="data-table">
                            <caption class="visually-hidden">
                                "Latest requests, newest first"
                            </caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Time"</th>
                                    <th scope="col">"Model"</th>
                                    <th scope="col">"Through"</th>
                                    <th scope="col">"Tokens"</th>
                                    <th scope="col">"Credits"</th>
                                    <th scope="col">"Status"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {student
                                    .recent
                                    .into_iter()
                                    .map(|r| {
                                        view! {
                                            <tr>
                                                <td data-label="Time" class="nowrap">
                                                    {r.time}
                                                </td>
                                                <td data-label="Model">
                                                    <code>{r.model}</code>
                                                </td>
                                                <td data-label="Through">{r.via}</td>
                                                <td data-label="Tokens" class="num">
                                                    {crate::format::grouped(r.tokens)}
                                                </td>
                                                <td data-label="Credits" class="num">
                                                    {credits(r.credits)}
                                                </td>
                                                <td data-label="Status" class="num">
                                                    {r.status}
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

/// `/courses/{slug}/audit`.
#[component]
pub fn CourseAuditPage() -> impl IntoView {
    view! {
        <Title text="Course audit" />
        <RequireUser children=|_| view! { <CourseAudit /> } />
    }
}

#[component]
fn CourseAudit() -> impl IntoView {
    use crate::domain::paging::page_from_query;
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let page = Memo::new(move |_| page_from_query(query.read().get("page").as_deref()));
    let trail = Resource::new(
        move || (slug.get(), page.get()),
        |(slug, page)| course_audit(slug, page),
    );
    view! {
        <section class="container page course-audit-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match trail.await {
                        Ok(trail) => {
                            let here = href::course_audit(&trail.slug);
                            let nav = crate::components::pager::pager(&trail.entries, &here, &[]);
                            let title = format!("{} — audit", trail.name);
                            let empty = trail.entries.items.is_empty();
                            view! {
                                <Title text=title.clone() />
                                <PageHeader
                                    eyebrow="Course"
                                    title
                                    lead="Everything done in the course: creation, funding, opening and closing, join codes, rosters, joins, top-ups and the end of the term."
                                >
                                    <a href=href::course(&trail.slug) class="button">
                                        "Back to the course"
                                    </a>
                                </PageHeader>
                                {if empty {
                                    view! { <p class="muted">"Nothing yet."</p> }.into_any()
                                } else {
                                    audit_table(trail.entries.items).into_any()
                                }}
                                {nav}
                            }
                                .into_any()
                        }
                        Err(e) => page_error("Course audit", e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
