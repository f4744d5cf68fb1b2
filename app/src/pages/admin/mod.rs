//! The admin console (platform admins only): overview, users, the review
//! queue, credits, the outbox and the audit log.
//!
//! Every page is guarded by `RequireUser admin=true`, and every server
//! function behind it checks again. Lists read their search and page from
//! the URL, so links, the back button and forms without JavaScript work.

mod applications;
mod audit;
mod bulk_credits;
mod credits;
mod home;
mod model_forms;
mod models;
mod outbox;
mod user;
mod users;

use std::fmt::Write as _;

pub use applications::AdminApplicationsPage;
pub use audit::AdminAuditPage;
pub use bulk_credits::AdminBulkCreditsPage;
pub use credits::AdminCreditsPage;
pub use home::AdminHomePage;
pub use model_forms::{
    AdminEditModelPage, AdminEditProviderPage, AdminNewModelPage, AdminNewProviderPage,
};
pub use models::AdminModelsPage;
pub use outbox::AdminOutboxPage;
pub use user::AdminUserPage;
pub use users::AdminUsersPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::domain::paging::page_from_query;
use crate::error::AppError;

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
                    <A href="/admin" exact=true>
                        "Overview"
                    </A>
                </li>
                <li>
                    <A href="/admin/users">"Users"</A>
                </li>
                <li>
                    <A href="/admin/applications">"Applications"</A>
                </li>
                <li>
                    <A href="/admin/credits">"Credits"</A>
                </li>
                <li>
                    <A href="/admin/models">"Models"</A>
                </li>
                <li>
                    <A href="/admin/outbox">"Outbox"</A>
                </li>
                <li>
                    <A href="/admin/audit">"Audit log"</A>
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

/// Whether `?done=` is `value` and no error came back with the URL (a
/// form posted without JavaScript that failed keeps the earlier `done`).
fn done_flag(value: &'static str) -> Signal<bool> {
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        query.get_str("done") == Some(value) && query.get_str("__err").is_none()
    })
}

/// `path` with the non-empty `params` as its query string.
pub(crate) fn href(path: &str, params: &[(&str, &str)]) -> String {
    let mut url = path.to_owned();
    let mut separator = '?';
    for (name, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
        url.push(separator);
        url.push_str(name);
        url.push('=');
        url.push_str(&encode_query(value));
        separator = '&';
    }
    url
}

/// Percent-encodes `value` for a query string.
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Answers the page with `error`'s HTTP status when it is rendered on the
/// server (a missing user is a 404 page, not a 200 one).
fn error_status(error: &AppError) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

/// What a page shows when its data could not be loaded.
fn load_error(error: AppError) -> impl IntoView {
    error_status(&error);
    view! {
        <p class="form-error" role="alert">
            {error.to_string()}
        </p>
    }
}

/// An empty-state box.
fn empty_state(title: &'static str, text: String) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>{title}</h2>
            <p>{text}</p>
        </div>
    }
}

/// A small coloured tag; `tone` is one of the `admin-tag-*` modifiers.
fn tag(tone: &'static str, text: &'static str) -> impl IntoView {
    view! { <span class=format!("admin-tag admin-tag-{tone}")>{text}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_their_filters_encoded_and_skip_empty_ones() {
        assert_eq!(
            href("/admin/users", &[("q", "a b&c%"), ("page", "2")]),
            "/admin/users?q=a%20b%26c%25&page=2"
        );
        assert_eq!(
            href("/admin/users", &[("q", ""), ("page", "3")]),
            "/admin/users?page=3"
        );
        assert_eq!(href("/admin/users", &[]), "/admin/users");
        assert_eq!(encode_query("é"), "%C3%A9");
    }
}
