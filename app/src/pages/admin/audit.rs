//! `/admin/audit`: the audit log, newest first, filterable by action.

use leptos::prelude::*;
use leptos_router::components::Form;

use super::{admin_frame, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{list_audit, AuditPage, AuditView};
use crate::components::ui::PageHeader;
use crate::href;

/// `/admin/audit`.
#[component]
pub fn AdminAuditPage() -> impl IntoView {
    admin_frame("Audit log", || view! { <AuditLog /> })
}

#[component]
fn AuditLog() -> impl IntoView {
    let action = query_param("action");
    let page = page_param();
    let log = Resource::new(
        move || (action.get(), page.get()),
        |(action, page)| list_audit(action, page),
    );
    view! {
        <PageHeader
            title="Audit log"
            lead="Who did what to whom, newest first. Entries are never changed or removed."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading the audit log…"</p> }
        }>
            {move || Suspend::new(async move {
                let current = action.get_untracked();
                match log.await {
                    Ok(found) => {
                        view! {
                            {action_filter(&found.actions, &current)}
                            {audit_table(found, current)}
                        }
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn action_filter(actions: &[String], current: &str) -> impl IntoView {
    let options = actions
        .iter()
        .map(|a| {
            let selected = a == current;
            view! {
                <option value=a.clone() selected=selected>
                    {a.clone()}
                </option>
            }
        })
        .collect_view();
    let all = current.is_empty();
    view! {
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_audit()
            attr:class="filter-bar"
        >
            <div class="field">
                <label for="action">"Action"</label>
                <select id="action" name="action">
                    <option value="" selected=all>
                        "All actions"
                    </option>
                    {options}
                </select>
            </div>
            <button type="submit" class="button">
                "Filter"
            </button>
        </Form>
    }
}

fn audit_table(found: AuditPage, action: String) -> impl IntoView {
    let entries = found.entries;
    if entries.total == 0 {
        let text = if action.is_empty() {
            "Nothing has been recorded yet.".to_owned()
        } else {
            format!("Nothing recorded with the action “{action}”.")
        };
        return empty_state("No entries", text).into_any();
    }
    let nav = pager(&entries, href::admin_audit(), &[("action", action)]);
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="admin-wide-table data-table">
                <caption class="visually-hidden">"Audit log, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Before → after"</th>
                        <th scope="col">"Client address"</th>
                    </tr>
                </thead>
                <tbody>{entries.items.into_iter().map(audit_row).collect_view()}</tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn audit_row(entry: AuditView) -> impl IntoView {
    let actor = match (entry.actor_id, entry.actor_email) {
        (Some(id), Some(email)) => view! { <a href=href::admin_user(id)>{email}</a> }.into_any(),
        (Some(id), None) => view! { <code>{id.to_string()}</code> }.into_any(),
        (None, _) => view! { <span class="muted">"System"</span> }.into_any(),
    };
    let target = if entry.target_type == "user" {
        let href = href::admin_user(&entry.target_id);
        view! {
            "user "
            <a href=href>
                <code>{entry.target_id}</code>
            </a>
        }
        .into_any()
    } else {
        view! {
            {entry.target_type}
            " "
            <code>{entry.target_id}</code>
        }
        .into_any()
    };
    let details = |fields: Vec<(String, String)>| {
        if fields.is_empty() {
            return view! { <span>"—"</span> }.into_any();
        }
        view! {
            <dl class="audit-details">
                {fields
                    .into_iter()
                    .map(|(field, value)| {
                        view! {
                            <div>
                                <dt>{field}</dt>
                                <dd>{value}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
        }
        .into_any()
    };
    view! {
        <tr>
            <td data-label="Time" class="admin-nowrap">
                {entry.at}
            </td>
            <td data-label="Actor" class="admin-break">
                {actor}
            </td>
            <td data-label="Action" class="admin-nowrap">
                <code>{entry.action}</code>
            </td>
            <td data-label="Target" class="admin-break">
                <div>{target}</div>
            </td>
            <td data-label="Before → after" class="admin-change">
                <div class="audit-change">
                    {details(entry.before)} <span aria-hidden="true">"→"</span>
                    <span class="visually-hidden">"changed to"</span> {details(entry.after)}
                </div>
            </td>
            <td data-label="Client address" class="admin-break">
                {entry.client_addr.unwrap_or_else(|| "—".to_owned())}
            </td>
        </tr>
    }
}
