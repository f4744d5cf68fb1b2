//! `/admin`: the numbers that need attention, and the way to each section.

use leptos::prelude::*;

use super::{admin_frame, load_error};
use crate::api::admin::{get_overview, AdminOverview};
use crate::components::ui::PageHeader;
use crate::domain::credits::Credits;
use crate::href;

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
            lead="Review applications, manage users, read the outbox and the audit log."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => stats(o).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn stats(o: AdminOverview) -> impl IntoView {
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
            {stat(
                href::admin_users(),
                o.users.to_string(),
                "Users",
                "Search, change roles, suspend",
            )}
            {stat(
                href::admin_applications(),
                o.pending_applications.to_string(),
                "Pending applications",
                "Approve or reject",
            )}
            {stat(
                href::admin_outbox(),
                o.unsent_emails.to_string(),
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
        <p>
            <a href=href::admin_audit()>"Audit log"</a>
            " — who changed what, and when."
        </p>
    }
}
