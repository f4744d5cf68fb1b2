//! `/admin/users`: every user, searchable and paged.

use leptos::prelude::*;
use leptos_router::components::Form;

use super::{admin_frame, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{list_users, UserSummary};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::paging::Page;
use crate::domain::role::{PlatformRole, UserStatus};
use crate::href;

/// `/admin/users`.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    admin_frame("Users", || view! { <UserList /> })
}

#[component]
fn UserList() -> impl IntoView {
    let q = query_param("q");
    let page = page_param();
    let users = Resource::new(
        move || (q.get(), page.get()),
        |(q, page)| list_users(q, page),
    );
    view! {
        <PageHeader title="Users" />
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_users()
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="q">"Search by name or email"</label>
                <input id="q" name="q" type="search" value=move || q.get() autocomplete="off" />
            </div>
            <button type="submit" class="button">
                "Search"
            </button>
            <Show when=move || !q.get().is_empty()>
                <a href=href::admin_users()>"Clear"</a>
            </Show>
        </Form>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading users…"</p> }
        }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(found) => user_table(found, q.get_untracked()).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn user_table(found: Page<UserSummary>, q: String) -> impl IntoView {
    if found.total == 0 {
        let text = if q.trim().is_empty() {
            "Nobody has signed up yet.".to_owned()
        } else {
            format!("No user's name or email contains “{}”.", q.trim())
        };
        return empty_state("No users found", text).into_any();
    }
    let nav = pager(&found, href::admin_users(), &[("q", q)]);
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Users"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Verified"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>{found.items.into_iter().map(user_row).collect_view()}</tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn user_row(user: UserSummary) -> impl IntoView {
    view! {
        <tr>
            <td data-label="Name">
                <a href=href::admin_user(user.id)>{user.display_name}</a>
            </td>
            <td data-label="Email" class="admin-break">
                {user.email}
            </td>
            <td data-label="Role">{role_tag(user.role)}</td>
            <td data-label="Status">{status_tag(user.status)}</td>
            <td data-label="Verified">{if user.verified { "Yes" } else { "No" }}</td>
            <td data-label="Created" class="admin-nowrap">
                {user.created}
            </td>
        </tr>
    }
}

/// A role, as a badge.
pub(super) fn role_tag(role: PlatformRole) -> impl IntoView {
    let tone = match role {
        PlatformRole::Admin => Tone::Accent,
        PlatformRole::Developer => Tone::Neutral,
    };
    view! { <Badge tone text=role.label() /> }
}

/// A user status, as a badge.
pub(super) fn status_tag(status: UserStatus) -> impl IntoView {
    let tone = match status {
        UserStatus::Active => Tone::Good,
        UserStatus::Suspended => Tone::Bad,
    };
    view! { <Badge tone text=status.label() /> }
}
