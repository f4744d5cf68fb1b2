//! `/admin/applications`: the review queue, with tabs for each status.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::user::application_tag;
use super::{admin_frame, done_flag, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{
    list_applications, AdminApplication, ApproveApplication, RejectApplication, APPLICATION_FIELD,
};
use crate::components::form::{action_error, FormError, Notice};
use crate::components::ui::PageHeader;
use crate::domain::paging::Page;
use crate::domain::role::ApplicationStatus;
use crate::error::AppError;
use crate::href;

/// `/admin/applications`.
#[component]
pub fn AdminApplicationsPage() -> impl IntoView {
    admin_frame("Applications", || view! { <Queue /> })
}

/// The decision actions, shared by every application on the page: a form
/// posted without JavaScript brings its error back in the URL for all of
/// them, so each form picks out the errors naming its application.
#[derive(Clone, Copy)]
struct Decisions {
    approve: ServerAction<ApproveApplication>,
    reject: ServerAction<RejectApplication>,
}

impl Decisions {
    /// Errors that name no application (a conflict, a lost connection): shown once, at the top.
    fn general_error(self) -> Signal<Option<AppError>> {
        let (approve, reject) = (
            action_error(self.approve.value()),
            action_error(self.reject.value()),
        );
        Signal::derive(move || {
            approve
                .get()
                .or_else(|| reject.get())
                .filter(|e| e.field_message(APPLICATION_FIELD).is_none())
        })
    }

    /// The rejection reason's error for application `id`.
    fn reason_error(self, id: String) -> Signal<Option<String>> {
        let reject = action_error(self.reject.value());
        Signal::derive(move || {
            reject
                .get()
                .filter(|e| e.field_message(APPLICATION_FIELD) == Some(id.as_str()))
                .and_then(|e| e.field_message("note").map(str::to_owned))
        })
    }
}

fn status_of(value: &str) -> ApplicationStatus {
    ApplicationStatus::parse(value).unwrap_or(ApplicationStatus::Pending)
}

#[component]
fn Queue() -> impl IntoView {
    let status = query_param("status");
    let page = page_param();
    let decisions = Decisions {
        approve: ServerAction::new(),
        reject: ServerAction::new(),
    };
    let applications = Resource::new(
        move || {
            (
                status_of(&status.get()),
                page.get(),
                decisions.approve.version().get(),
                decisions.reject.version().get(),
            )
        },
        |(status, page, ..)| list_applications(status.as_str().to_owned(), page),
    );
    view! {
        <PageHeader title="Applications" />
        <StatusTabs current=Signal::derive(move || status_of(&status.get())) />
        <Notice
            show=done_flag("approved")
            message="The application is approved and the applicant was emailed."
        />
        <Notice
            show=done_flag("rejected")
            message="The application is rejected and the applicant was emailed the reason."
        />
        <FormError error=decisions.general_error() />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading applications…"</p> }
        }>
            {move || Suspend::new(async move {
                let current = status_of(&status.get_untracked());
                match applications.await {
                    Ok(found) => queue(found, current, decisions).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusTabs(current: Signal<ApplicationStatus>) -> impl IntoView {
    view! {
        <nav class="admin-tabs" aria-label="Application status">
            <ul>
                {ApplicationStatus::ALL
                    .into_iter()
                    .map(|s| {
                        let label = match s {
                            ApplicationStatus::Pending => "Pending",
                            ApplicationStatus::Approved => "Approved",
                            ApplicationStatus::Rejected => "Rejected",
                        };
                        view! {
                            <li>
                                <a
                                    href=href::with_query(
                                        href::admin_applications(),
                                        &[("status", s.as_str())],
                                    )
                                    aria-current=move || (current.get() == s).then_some("page")
                                >
                                    {label}
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
    found: Page<AdminApplication>,
    status: ApplicationStatus,
    decisions: Decisions,
) -> impl IntoView {
    if found.total == 0 {
        let (title, text) = match status {
            ApplicationStatus::Pending => (
                "No applications waiting",
                "New applications appear here as developers send them.",
            ),
            ApplicationStatus::Approved => (
                "No approved applications",
                "Approved applications are listed here.",
            ),
            ApplicationStatus::Rejected => (
                "No rejected applications",
                "Rejected applications are listed here.",
            ),
        };
        return empty_state(title, text.to_owned()).into_any();
    }
    let nav = pager(
        &found,
        href::admin_applications(),
        &[("status", status.as_str().to_owned())],
    );
    view! {
        <ul class="admin-cards">
            {found
                .items
                .into_iter()
                .map(|a| view! { <li>{application_card(a, decisions)}</li> })
                .collect_view()}
        </ul>
        {nav}
    }
    .into_any()
}

fn application_card(a: AdminApplication, decisions: Decisions) -> impl IntoView {
    let pending = a.status == ApplicationStatus::Pending;
    let id = a.id.to_string();
    let heading_id = format!("application-{id}");
    let labelled_by = heading_id.clone();
    view! {
        <article class="card admin-application" aria-labelledby=labelled_by>
            <h2 id=heading_id>
                <a href=href::admin_user(a.user_id)>{a.user_name}</a>
            </h2>
            <p class="muted admin-break">{a.user_email}</p>
            <dl class="admin-facts">
                <dt>"Status"</dt>
                <dd>{application_tag(a.status)}</dd>
                <dt>"Industry"</dt>
                <dd>{a.industry}</dd>
                <dt>"Stage"</dt>
                <dd>{a.expected_usage}</dd>
                <dt>"Submitted"</dt>
                <dd>{a.submitted}</dd>
                {a
                    .decided
                    .map(|d| {
                        view! {
                            <dt>"Decided"</dt>
                            <dd>{d}</dd>
                        }
                    })}
                {a
                    .decision_note
                    .map(|n| {
                        view! {
                            <dt>"Note"</dt>
                            <dd class="admin-prose">{n}</dd>
                        }
                    })}
            </dl>
            <h3 class="admin-subheading">"What they want to build"</h3>
            <p class="admin-prose">{a.building}</p>
            {pending.then(|| decision_forms(id, decisions))}
        </article>
    }
}

fn decision_forms(id: String, decisions: Decisions) -> impl IntoView {
    let approve = decisions.approve;
    let reject = decisions.reject;
    let reason_error = decisions.reason_error(id.clone());
    let (approve_id, approve_note) = (id.clone(), format!("approve-note-{id}"));
    let reject_note = format!("reject-note-{id}");
    view! {
        <div class="admin-decisions">
            <ActionForm action=approve attr:class="form admin-action-form">
                <input type="hidden" name="application_id" value=approve_id />
                <NoteField
                    id=approve_note
                    label="Note to the applicant (optional)"
                    required=false
                    error=Signal::derive(|| None)
                />
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || approve.pending().get()
                >
                    "Approve"
                </button>
            </ActionForm>
            <ActionForm action=reject attr:class="form admin-action-form" attr:novalidate=true>
                <input type="hidden" name="application_id" value=id />
                <NoteField
                    id=reject_note
                    label="Reason for rejecting"
                    required=true
                    error=reason_error
                />
                <button
                    type="submit"
                    class="button admin-danger"
                    disabled=move || reject.pending().get()
                >
                    "Reject"
                </button>
            </ActionForm>
        </div>
    }
}

/// A note textarea (`note` unless named) with an id of its own per item:
/// several are on a queue's page, so the shared form widgets' name-as-id
/// would collide.
#[component]
pub(super) fn NoteField(
    id: String,
    label: &'static str,
    required: bool,
    error: Signal<Option<String>>,
    #[prop(default = "note")] name: &'static str,
    #[prop(default = 2000)] maxlength: u32,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows=2
                maxlength=maxlength
                required=required
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            ></textarea>
            <Show when=move || error.get().is_some()>
                <p class="field-error" id=error_id.clone()>
                    {move || error.get()}
                </p>
            </Show>
        </div>
    }
}
