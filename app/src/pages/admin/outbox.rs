//! `/admin/outbox`: every email the portal queued, newest first, with its
//! body as kept: single-use links (verification, password reset) are never
//! kept once sent. On an install without SMTP, a fresh email's link is
//! shown here for an hour (the only way such an install can open it).

use leptos::prelude::*;
use leptos_router::components::Form;

use super::{admin_frame, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{list_outbox, DeliveryState, OutboxView};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::paging::Page;
use crate::href;

/// `/admin/outbox`.
#[component]
pub fn AdminOutboxPage() -> impl IntoView {
    admin_frame("Outbox", || view! { <Outbox /> })
}

#[component]
fn Outbox() -> impl IntoView {
    let q = query_param("q");
    let page = page_param();
    let emails = Resource::new(
        move || (q.get(), page.get()),
        |(q, page)| list_outbox(q, page),
    );
    view! {
        <PageHeader
            title="Outbox"
            lead="Every email the portal sends, newest first. Open one to read its body and links."
        />
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_outbox()
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="q">"Recipient contains"</label>
                <input id="q" name="q" type="search" value=move || q.get() autocomplete="off" />
            </div>
            <button type="submit" class="button">
                "Filter"
            </button>
            <Show when=move || !q.get().is_empty()>
                <a href=href::admin_outbox()>"Clear"</a>
            </Show>
        </Form>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading emails…"</p> }
        }>
            {move || Suspend::new(async move {
                match emails.await {
                    Ok(found) => outbox_table(found, q.get_untracked()).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn outbox_table(found: Page<OutboxView>, q: String) -> impl IntoView {
    if found.total == 0 {
        let text = if q.trim().is_empty() {
            "The portal has not sent any email yet.".to_owned()
        } else {
            format!("No email went to an address containing “{}”.", q.trim())
        };
        return empty_state("No emails", text).into_any();
    }
    let nav = pager(&found, href::admin_outbox(), &[("q", q)]);
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Emails, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Recipient"</th>
                        <th scope="col">"Subject and body"</th>
                        <th scope="col">"Delivery"</th>
                    </tr>
                </thead>
                <tbody>{found.items.into_iter().map(email_row).collect_view()}</tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn email_row(email: OutboxView) -> impl IntoView {
    let tone = match email.state {
        DeliveryState::Sent => Tone::Good,
        DeliveryState::Pending => Tone::Warning,
        DeliveryState::Failed => Tone::Bad,
    };
    let attempts = match email.attempts {
        0 => None,
        1 => Some("1 attempt".to_owned()),
        n => Some(format!("{n} attempts")),
    };
    view! {
        <tr>
            <td data-label="Created" class="admin-nowrap">
                {email.created}
            </td>
            <td data-label="Recipient" class="admin-break">
                {email.recipient}
            </td>
            <td data-label="Subject and body" class="admin-email">
                <details>
                    <summary>{email.subject}</summary>
                    <pre class="admin-email-body">{linked(&email.body)}</pre>
                    {email
                        .link_shown
                        .then(|| {
                            view! {
                                <p class="field-hint">
                                    "This portal sends no email, so its link is shown here for an hour after it was queued; then only the recipient could have had it."
                                </p>
                            }
                        })}
                </details>
            </td>
            <td data-label="Delivery">
                <div>
                    <Badge tone text=email.state.label() />
                    {email
                        .sent
                        .map(|at| {
                            view! {
                                <br />
                                <span class="admin-nowrap muted">{at}</span>
                            }
                        })}
                    {attempts
                        .map(|a| {
                            view! {
                                <br />
                                <span class="muted">{a}</span>
                            }
                        })}
                    {email
                        .gave_up
                        .then(|| {
                            view! {
                                <br />
                                <span class="muted">"Given up: not retried again."</span>
                            }
                        })}
                    {email
                        .last_error
                        .map(|e| {
                            view! {
                                <br />
                                <span class="admin-error-text admin-break">{e}</span>
                            }
                        })}
                </div>
            </td>
        </tr>
    }
}

/// `text` with each `http(s)://` address made a link (the text around them
/// stays plain text: escaped, never markup).
fn linked(text: &str) -> impl IntoView + use<> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest
        .find("http://")
        .into_iter()
        .chain(rest.find("https://"))
        .min()
    {
        let (before, from) = rest.split_at(start);
        let end = from
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>'))
            .unwrap_or(from.len());
        let (url, after) = from.split_at(end);
        parts.push(before.to_owned().into_any());
        parts.push(view! { <a href=url.to_owned()>{url.to_owned()}</a> }.into_any());
        rest = after;
    }
    parts.push(rest.to_owned().into_any());
    parts
}
