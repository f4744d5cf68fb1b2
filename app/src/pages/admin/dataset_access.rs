//! `/admin/datasets/access`: access requests for approval datasets, with
//! tabs for each status and a filter by dataset; approve or reject a
//! pending request, revoke an approved one.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;

use super::applications::NoteField;
use super::{admin_frame, done_flag, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{
    list_dataset_access, AdminAccessRequest, DecideDatasetAccess, REQUEST_FIELD,
};
use crate::components::form::{action_error, FormError, Notice};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::dataset_access::RequestStatus;
use crate::domain::paging::Page;
use crate::error::AppError;
use crate::href;

/// `/admin/datasets/access`.
#[component]
pub fn AdminDatasetAccessPage() -> impl IntoView {
    admin_frame("Dataset access", || view! { <Queue /> })
}

fn status_of(value: &str) -> RequestStatus {
    RequestStatus::parse(value).unwrap_or(RequestStatus::Pending)
}

#[component]
fn Queue() -> impl IntoView {
    let status = query_param("status");
    let dataset = query_param("dataset");
    let page = page_param();
    let decide = ServerAction::<DecideDatasetAccess>::new();
    let requests = Resource::new(
        move || {
            (
                status_of(&status.get()),
                dataset.get(),
                page.get(),
                decide.version().get(),
            )
        },
        |(status, dataset, page, _)| list_dataset_access(status.as_str().to_owned(), dataset, page),
    );
    let error = action_error(decide.value());
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| e.field_message(REQUEST_FIELD).is_none())
    });
    view! {
        <PageHeader
            title="Dataset access"
            lead="Requests for datasets that need approval. The requester is told each decision in the portal, and by email unless they switched that off."
        />
        <StatusTabs current=Signal::derive(move || status_of(&status.get())) />
        <Form method="GET" action=href::admin_dataset_access() attr:class="filter-bar">
            <input type="hidden" name="status" value=move || status_of(&status.get()).as_str() />
            <div class="field">
                <label for="access-dataset">"Dataset (its slug)"</label>
                <input
                    id="access-dataset"
                    name="dataset"
                    type="search"
                    value=move || dataset.get()
                />
            </div>
            <button type="submit" class="button">
                "Filter"
            </button>
        </Form>
        <Notice show=done_flag("approved") message="Approved; the requester was told." />
        <Notice show=done_flag("rejected") message="Rejected; the requester was told the reason." />
        <Notice
            show=done_flag("revoked")
            message="Access revoked; the requester was told the reason."
        />
        <FormError error=general />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading requests…"</p> }
        }>
            {move || Suspend::new(async move {
                let current = status_of(&status.get_untracked());
                let filter = dataset.get_untracked();
                match requests.await {
                    Ok(found) => queue(found, current, filter, decide).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusTabs(current: Signal<RequestStatus>) -> impl IntoView {
    view! {
        <nav class="admin-tabs" aria-label="Request status">
            <ul>
                {RequestStatus::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <li>
                                <a
                                    href=href::with_query(
                                        href::admin_dataset_access(),
                                        &[("status", s.as_str())],
                                    )
                                    aria-current=move || (current.get() == s).then_some("page")
                                >
                                    {s.label()}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

fn queue(
    found: Page<AdminAccessRequest>,
    status: RequestStatus,
    dataset: String,
    decide: ServerAction<DecideDatasetAccess>,
) -> impl IntoView {
    if found.total == 0 {
        let text = match status {
            RequestStatus::Pending => "New requests appear here as people send them.",
            _ => "Requests with this status are listed here.",
        };
        return empty_state("No requests here", text.to_owned()).into_any();
    }
    let nav = pager(
        &found,
        href::admin_dataset_access(),
        &[("status", status.as_str().to_owned()), ("dataset", dataset)],
    );
    view! {
        <ul class="admin-cards">
            {found
                .items
                .into_iter()
                .map(|r| view! { <li>{request_card(r, decide)}</li> })
                .collect_view()}
        </ul>
        {nav}
    }
    .into_any()
}

fn request_card(r: AdminAccessRequest, decide: ServerAction<DecideDatasetAccess>) -> impl IntoView {
    let id = r.id.to_string();
    let heading_id = format!("request-{id}");
    let labelled_by = heading_id.clone();
    let tone = match r.status {
        RequestStatus::Approved => Tone::Good,
        RequestStatus::Pending => Tone::Accent,
        _ => Tone::Neutral,
    };
    let answers = r
        .answers
        .into_iter()
        .map(|(label, answer)| {
            view! {
                <dt>{label}</dt>
                <dd class="admin-prose">{answer}</dd>
            }
        })
        .collect_view();
    let forms = match r.status {
        RequestStatus::Pending => Some(
            view! {
                <div class="admin-decisions">
                    {decision_form(
                        &id,
                        "approve",
                        "Note to the requester (optional)",
                        "Approve",
                        decide,
                    )} {decision_form(&id, "reject", "Reason for rejecting", "Reject", decide)}
                </div>
            }
            .into_any(),
        ),
        RequestStatus::Approved => Some(
            view! {
                <div class="admin-decisions">
                    {decision_form(&id, "revoke", "Reason for revoking", "Revoke access", decide)}
                </div>
            }
            .into_any(),
        ),
        _ => None,
    };
    view! {
        <article class="card admin-application" aria-labelledby=labelled_by>
            <h2 id=heading_id>
                <a href=href::admin_user(r.user_id)>{r.user_name}</a>
                " · "
                <a href=href::dataset(&r.slug)>{r.title}</a>
            </h2>
            <p class="muted admin-break">{r.user_email}</p>
            <dl class="admin-facts">
                <dt>"Status"</dt>
                <dd>
                    <Badge tone=tone text=r.status.label() />
                </dd>
                <dt>"Sent"</dt>
                <dd>{r.sent}</dd>
                {r
                    .decided
                    .map(|d| {
                        view! {
                            <dt>"Decided"</dt>
                            <dd>{d}</dd>
                        }
                    })}
                {r
                    .reason
                    .map(|n| {
                        view! {
                            <dt>"Reason"</dt>
                            <dd class="admin-prose">{n}</dd>
                        }
                    })}
                {answers}
            </dl>
            {forms}
        </article>
    }
}

/// One decision's form for request `id`: its reason (required but to
/// approve) and its button.
fn decision_form(
    id: &str,
    decision: &'static str,
    label: &'static str,
    button: &'static str,
    decide: ServerAction<DecideDatasetAccess>,
) -> impl IntoView {
    let field_id = format!("{decision}-reason-{id}");
    let required = decision != "approve";
    let error = {
        let id = id.to_owned();
        let value = decide.value();
        Signal::derive(move || {
            value
                .get()
                .and_then(Result::err)
                .filter(|e: &AppError| e.field_message(REQUEST_FIELD) == Some(id.as_str()))
                .and_then(|e| e.field_message("reason").map(str::to_owned))
        })
    };
    let id = id.to_owned();
    let class = if required {
        "button admin-danger"
    } else {
        "button button-primary"
    };
    view! {
        <ActionForm action=decide attr:class="form admin-action-form" attr:novalidate=true>
            <input type="hidden" name="request_id" value=id />
            <input type="hidden" name="decision" value=decision />
            <NoteField
                id=field_id
                label=label
                required=required
                error=error
                name="reason"
                maxlength=1000
            />
            <button type="submit" class=class disabled=move || decide.pending().get()>
                {button}
            </button>
        </ActionForm>
    }
}
