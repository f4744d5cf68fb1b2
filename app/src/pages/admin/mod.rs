//! The admin console (platform admins only): overview, users, the review
//! queue, organizations, institutions, datasets, agents, credits, models,
//! the outbox and the audit log.
//!
//! Every page is guarded by `RequireUser admin=true`, and every server
//! function behind it checks again. Lists read their search and page from
//! the URL, so links, the back button and forms without JavaScript work.

mod agents;
mod applications;
mod audit;
mod bulk_credits;
mod credits;
mod dataset_access;
mod datasets;
mod home;
mod institutions;
mod model_forms;
mod models;
mod organizations;
mod outbox;
mod support;
mod user;
mod users;

pub use agents::{AdminAgentPage, AdminAgentsPage};
pub use applications::AdminApplicationsPage;
pub use audit::AdminAuditPage;
pub use bulk_credits::AdminBulkCreditsPage;
pub use credits::AdminCreditsPage;
pub use dataset_access::AdminDatasetAccessPage;
pub use datasets::{AdminDatasetPage, AdminDatasetsPage, AdminNewDatasetPage};
pub use home::AdminHomePage;
pub use institutions::AdminInstitutionsPage;
pub use model_forms::{
    AdminEditModelPage, AdminEditProviderPage, AdminNewModelPage, AdminNewProviderPage,
};
pub use models::AdminModelsPage;
pub use organizations::AdminOrganizationsPage;
pub use outbox::AdminOutboxPage;
pub use support::{AdminCannedRepliesPage, AdminSupportPage, AdminSupportRequestPage};
pub use user::AdminUserPage;
pub use users::AdminUsersPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::ui::EmptyState;
use crate::domain::paging::page_from_query;
use crate::href;
// Shared with the other pages; the admin pages name them `super::…`.
use super::{done_flag, error_status, load_error};

/// The frame of every admin page: title, guard and the admin navigation.
fn admin_frame<V, F>(title: &'static str, content: F) -> impl IntoView
where
    V: IntoView + 'static,
    F: Fn() -> V + Send + Sync + 'static,
{
    view! {
        <Title text=title />
        <RequireUser
            admin=true
            children=move |_| {
                view! {
                    <div class="container page admin-console">
                        <AdminNav />
                        {content()}
                    </div>
                }
            }
        />
    }
}

/// The admin sub-navigation.
#[component]
fn AdminNav() -> impl IntoView {
    view! {
        <nav class="admin-nav" aria-label="Admin">
            <ul>
                <li>
                    <A href=href::admin() exact=true>
                        "Overview"
                    </A>
                </li>
                <li>
                    <A href=href::admin_users()>"Users"</A>
                </li>
                <li>
                    <A href=href::admin_organizations()>"Organizations"</A>
                </li>
                <li>
                    <A href=href::admin_institutions()>"Institutions"</A>
                </li>
                <li>
                    <A href=href::admin_applications()>"Applications"</A>
                </li>
                <li>
                    <A href=href::admin_datasets() exact=true>
                        "Datasets"
                    </A>
                </li>
                <li>
                    <A href=href::admin_dataset_access()>"Dataset access"</A>
                </li>
                <li>
                    <A href=href::admin_agents()>"Agents"</A>
                </li>
                <li>
                    <A href=href::admin_credits()>"Credits"</A>
                </li>
                <li>
                    <A href=href::admin_models()>"Models"</A>
                </li>
                <li>
                    <A href=href::admin_support()>"Support"</A>
                </li>
                <li>
                    <A href=href::admin_outbox()>"Outbox"</A>
                </li>
                <li>
                    <A href=href::admin_audit()>"Audit log"</A>
                </li>
            </ul>
        </nav>
    }
}

/// One query parameter of the current URL ("" when absent).
fn query_param(name: &'static str) -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).unwrap_or_default())
}

/// The `?page=` of the current URL: 1 when absent or not a positive number.
fn page_param() -> Memo<i64> {
    let query = use_query_map();
    Memo::new(move |_| page_from_query(query.read().get_str("page")))
}

/// The design system's empty state with one sentence: what is missing
/// and why.
fn empty_state(title: &'static str, text: String) -> impl IntoView {
    view! {
        <EmptyState title>
            <p>{text}</p>
        </EmptyState>
    }
}
