//! Support for Lab staff: `/admin/support` (the queue, with its health and
//! filters), `/admin/support/{number}` (a request: its context, the thread
//! with internal notes between the messages, and every action), and
//! `/admin/support/canned` (canned replies).
//!
//! Internal notes are drawn unlike messages (a dashed amber box headed
//! "Internal note · staff only"), and their form is a separate one, with
//! its own button: a note is never sent by the reply button.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{admin_frame, empty_state, load_error, pager, query_param};
use crate::api::admin::{
    admin_canned_replies, admin_get_support_request, admin_support_queue, AdminAddSupportNote,
    AdminAssignSupportRequest, AdminDeleteCannedReply, AdminGrantSupportCredits,
    AdminReplySupportRequest, AdminSaveCannedReply, AdminSetSupportPriority, AdminSetSupportStatus,
    CannedView, QueueHealthView, StaffEntry, StaffRequestView, SupportQueue,
};
use crate::api::support::SupportListView;
use crate::components::form::{action_error, field_error, FormError};
use crate::components::ui::{Badge, Flash, PageHeader, StatTile, Tone};
use crate::domain::credits::Credits;
use crate::domain::paging::Page;
use crate::domain::support::{Category, Priority, Status};
use crate::pages::support::{
    context_view, message_item, post_error, priority_tone, status_tone, MessageFields,
};
use crate::{format, href};

/// `/admin/support`.
#[component]
pub fn AdminSupportPage() -> impl IntoView {
    admin_frame("Support queue", || view! { <Queue /> })
}

#[component]
fn Queue() -> impl IntoView {
    let status = query_param("status");
    let category = query_param("category");
    let assignee = query_param("assignee");
    let sla = query_param("sla");
    let q = query_param("q");
    let page = query_param("page");
    let queue = Resource::new(
        move || {
            (
                status.get(),
                category.get(),
                assignee.get(),
                sla.get(),
                q.get(),
                page.get(),
            )
        },
        |(status, category, assignee, sla, q, page)| {
            admin_support_queue(status, category, assignee, sla, q, page)
        },
    );
    let option = |value: &'static str, label: &'static str, current: Memo<String>| {
        view! {
            <option value=value selected=move || current.get() == value>
                {label}
            </option>
        }
    };
    view! {
        <PageHeader
            title="Support queue"
            lead="Requests waiting on the Lab come first. Each carries what the portal knew when it was opened."
        >
            <A href=href::admin_support_canned()>"Canned replies"</A>
        </PageHeader>
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_support()
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    {option("active", "Waiting on staff", status)}
                    {option("all", "All", status)}
                    {Status::ALL
                        .into_iter()
                        .map(|s| option(s.as_str(), s.staff_label(), status))
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="category">"Category"</label>
                <select id="category" name="category">
                    {option("", "Any", category)}
                    {Category::ALL
                        .into_iter()
                        .map(|c| option(c.as_str(), c.label(), category))
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="assignee">"Assignee"</label>
                <select id="assignee" name="assignee">
                    {option("", "Anyone", assignee)}
                    {option("me", "Me", assignee)}
                    {option("none", "Nobody", assignee)}
                </select>
            </div>
            <div class="field">
                <label for="sla">"First response"</label>
                <select id="sla" name="sla">
                    {option("", "Any", sla)}
                    {option("breached", "Target missed", sla)}
                    {option("due_soon", "Due within an hour", sla)}
                </select>
            </div>
            <div class="field">
                <label for="q">"Search"</label>
                <input
                    id="q"
                    name="q"
                    type="search"
                    value=move || q.get()
                    placeholder="Subject, email or #42"
                    autocomplete="off"
                />
            </div>
            <button type="submit" class="button">
                "Filter"
            </button>
        </Form>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading the queue…"</p> }
        }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(queue) => {
                        let params = vec![
                            ("status", status.get_untracked()),
                            ("category", category.get_untracked()),
                            ("assignee", assignee.get_untracked()),
                            ("sla", sla.get_untracked()),
                            ("q", q.get_untracked()),
                        ];
                        queue_view(queue, params).into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn health_tiles(health: QueueHealthView) -> impl IntoView {
    view! {
        <div class="stat-grid" aria-label="Queue health">
            <StatTile
                label="Waiting on staff"
                value=format::grouped(health.active)
                hint="Open, waiting on staff or reopened"
            />
            <StatTile label="Unassigned" value=format::grouped(health.unassigned) />
            <StatTile
                label="First response overdue"
                value=format::grouped(health.breached_open)
                hint="Unanswered past their target"
            />
            <StatTile
                label="First responses in time"
                value=health.met_percent.map_or_else(|| "—".to_owned(), |p| format!("{p} %"))
                hint=format!("Of {} requests in the last 30 days", format::grouped(health.measured))
            />
        </div>
    }
}

fn queue_view(queue: SupportQueue, params: Vec<(&'static str, String)>) -> impl IntoView {
    let SupportQueue { page, health } = queue;
    view! {
        {health_tiles(health)}
        {queue_table(page, params)}
    }
}

fn queue_table(found: Page<SupportListView>, params: Vec<(&'static str, String)>) -> AnyView {
    if found.total == 0 {
        return empty_state(
            "Nothing here",
            "No request matches these filters. Requests people open show up here, with what the portal knew when they opened them.".to_owned(),
        )
        .into_any();
    }
    let nav = pager(&found, href::admin_support(), &params);
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Support requests, latest activity first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Request"</th>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"Requester"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Priority"</th>
                        <th scope="col">"Assignee"</th>
                        <th scope="col">"First response"</th>
                        <th scope="col">"Last activity"</th>
                    </tr>
                </thead>
                <tbody>
                    {found
                        .items
                        .into_iter()
                        .map(|r| {
                            let sla = if r.breached {
                                view! { <Badge tone=Tone::Bad text="Target missed" /> }.into_any()
                            } else if let Some(due) = r.due {
                                format!("Due {due}").into_any()
                            } else {
                                view! { <Badge tone=Tone::Good text="In time" /> }.into_any()
                            };
                            view! {
                                <tr>
                                    <td data-label="Request">{format!("#{}", r.number)}</td>
                                    <td data-label="Subject">
                                        <A href=href::admin_support_request(
                                            r.number,
                                        )>{r.subject}</A>
                                        <span class="muted">
                                            {format!(" · {}", r.category.label())}
                                        </span>
                                    </td>
                                    <td data-label="Requester">{r.requester_email}</td>
                                    <td data-label="Status">
                                        <Badge
                                            tone=status_tone(r.status)
                                            text=r.status.staff_label()
                                        />
                                    </td>
                                    <td data-label="Priority">
                                        <Badge
                                            tone=priority_tone(r.priority)
                                            text=r.priority.label()
                                        />
                                    </td>
                                    <td data-label="Assignee">
                                        {r.assignee.unwrap_or_else(|| "—".to_owned())}
                                    </td>
                                    <td data-label="First response">{sla}</td>
                                    <td data-label="Last activity">{r.updated}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

/// `/admin/support/{number}`.
#[component]
pub fn AdminSupportRequestPage() -> impl IntoView {
    admin_frame("Support request", || view! { <StaffRequest /> })
}

/// The actions of the request page, whose results reload it.
#[derive(Clone, Copy)]
struct Actions {
    note: ServerAction<AdminAddSupportNote>,
    assign: ServerAction<AdminAssignSupportRequest>,
    status: ServerAction<AdminSetSupportStatus>,
    priority: ServerAction<AdminSetSupportPriority>,
    grant: ServerAction<AdminGrantSupportCredits>,
}

#[component]
fn StaffRequest() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = Memo::new(move |_| params.read().get("number").unwrap_or_default());
    let canned = Memo::new(move |_| query.read().get("canned").unwrap_or_default());
    let actions = Actions {
        note: ServerAction::new(),
        assign: ServerAction::new(),
        status: ServerAction::new(),
        priority: ServerAction::new(),
        grant: ServerAction::new(),
    };
    let request = Resource::new(
        move || {
            (
                number.get(),
                canned.get(),
                actions.note.version().get(),
                actions.assign.version().get(),
                actions.status.version().get(),
                actions.priority.version().get(),
                actions.grant.version().get(),
            )
        },
        |(number, canned, ..)| admin_get_support_request(number, canned),
    );
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match request.await {
                    Ok(request) => staff_request_view(request, actions).into_any(),
                    Err(e) => {
                        view! {
                            <PageHeader title="Support request" />
                            {load_error(e)}
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "replied" => "Your reply is sent; the requester is told.",
        "noted" => "The internal note is saved. The requester cannot see it.",
        "assigned" => "The assignment is saved.",
        "status" => "The status is changed; the requester is told.",
        "priority" => "The priority is changed; the first-response target follows it.",
        "granted" => "The credits are granted; the thread says so.",
        "repeated" => "That grant was already made: nothing was granted twice.",
        _ => return None,
    })
}

fn staff_request_view(view_data: StaffRequestView, actions: Actions) -> impl IntoView {
    let query = use_query_map();
    let done = query
        .read_untracked()
        .get("done")
        .filter(|_| query.read_untracked().get("__err").is_none())
        .and_then(|d| done_message(&d));
    let StaffRequestView {
        request,
        timeline,
        assignee_id,
        staff,
        canned,
        draft,
        breached,
        due,
        first_response,
        grant_key,
    } = view_data;
    let number = request.number;
    let status = request.status;
    let sla = match (&first_response, breached) {
        (Some(at), false) => format!("First answered {at} (due {due}): in time"),
        (Some(at), true) => format!("First answered {at}, after its target {due}"),
        (None, true) => format!("Unanswered, due {due}: target missed"),
        (None, false) => format!("First answer due {due}"),
    };
    view! {
        <PageHeader
            title=format!("#{} {}", number, request.subject)
            title_extra=view! {
                <Badge tone=status_tone(status) text=status.staff_label() />
                " "
                <Badge tone=priority_tone(request.priority) text=request.priority.label() />
            }
                .into_any()
            lead=format!(
                "{} · from {} <{}> · opened {}",
                request.category.label(),
                request.requester_name,
                request.requester_email,
                request.opened,
            )
        >
            <A href=href::admin_support()>"Back to the queue"</A>
        </PageHeader>
        {done.map(|message| view! { <Flash tone=Tone::Good>{message}</Flash> })}
        <p class=if breached {
            "sla sla-breached"
        } else {
            "sla"
        }>
            {breached
                .then(|| {
                    view! {
                        <Badge tone=Tone::Bad text="Target missed" />
                        " "
                    }
                })} {sla}
        </p>
        {request
            .rating
            .map(|rating| {
                view! {
                    <p class="muted">
                        {format!("Rated {rating} of 5 by the requester")}
                        {request.rating_comment.clone().map(|c| format!(": “{c}”"))}
                    </p>
                }
            })}
        <div class="support-columns">
            <div>
                <ol class="thread" aria-label="Messages and internal notes">
                    {timeline
                        .into_iter()
                        .map(|entry| match entry {
                            StaffEntry::Message(message) => message_item(message).into_any(),
                            StaffEntry::Note(note) => {
                                view! {
                                    <li class="message note">
                                        <p class="message-meta">
                                            <span class="note-label">
                                                "Internal note · staff only"
                                            </span>
                                            " · "
                                            <strong>{note.author}</strong>
                                            " · "
                                            <span>{note.when}</span>
                                        </p>
                                        <div class="message-body prose" inner_html=note.html></div>
                                    </li>
                                }
                                    .into_any()
                            }
                        })
                        .collect_view()}
                </ol>
                {reply_form(number, status, canned, draft)}
                {note_form(number, actions.note)}
            </div>
            <div class="support-side">
                <section class="card" aria-labelledby="manage-heading">
                    <h2 id="manage-heading">"Manage"</h2>
                    {assign_form(number, assignee_id, staff, actions.assign)}
                    {status_form(number, status, actions.status)}
                    {priority_form(number, request.priority, actions.priority)}
                </section>
                {grant_form(number, request.granted, grant_key, actions.grant)}
                <section class="card" aria-labelledby="context-heading">
                    <h2 id="context-heading">"Context"</h2>
                    {context_view(request.context)}
                    <p>
                        <A href=href::with_query(
                            href::admin_users(),
                            &[("q", request.requester_email.as_str())],
                        )>"The requester in Users"</A>
                    </p>
                </section>
            </div>
        </div>
    }
}

fn reply_form(
    number: i64,
    status: Status,
    canned: Vec<CannedView>,
    draft: Option<String>,
) -> impl IntoView {
    let error = post_error(<AdminReplySupportRequest as ServerFn>::PATH);
    let path = href::admin_support_request(number);
    let reply_path = <AdminReplySupportRequest as ServerFn>::PATH;
    view! {
        <section class="card" aria-labelledby="reply-heading">
            <h2 id="reply-heading">"Reply to the requester"</h2>
            {(!canned.is_empty())
                .then(|| {
                    view! {
                        <form method="get" action=path.clone() class="inline-form canned-picker">
                            <label for="canned">"Canned reply"</label>
                            <select id="canned" name="canned">
                                {canned
                                    .into_iter()
                                    .map(|c| view! { <option value=c.id>{c.title}</option> })
                                    .collect_view()}
                            </select>
                            <button type="submit" class="button button-small">
                                "Use"
                            </button>
                        </form>
                    }
                })}
            <form method="post" action=reply_path enctype="multipart/form-data" class="form">
                <FormError error />
                <input type="hidden" name="number" value=number.to_string() />
                <MessageFields error required=true value=draft.unwrap_or_default() label="Reply" />
                <div class="field">
                    <label for="reply-status">"Then the request is"</label>
                    <select id="reply-status" name="status">
                        {Status::SETTABLE
                            .into_iter()
                            .map(|s| {
                                let chosen = if status == Status::Closed {
                                    s == Status::Closed
                                } else {
                                    s == Status::WaitingOnRequester
                                };
                                view! {
                                    <option value=s.as_str() selected=chosen>
                                        {s.staff_label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button button-primary">
                    "Send reply to requester"
                </button>
            </form>
        </section>
    }
}

fn note_form(number: i64, action: ServerAction<AdminAddSupportNote>) -> impl IntoView {
    let error = action_error(action.value());
    let note_error = field_error(error, "note");
    view! {
        <section class="card note-card" aria-labelledby="note-heading">
            <h2 id="note-heading">"Internal note"</h2>
            <p class="muted">
                "Only Lab staff see notes. They are never shown or emailed to the requester."
            </p>
            <ActionForm action attr:class="form">
                <FormError error />
                <input type="hidden" name="number" value=number.to_string() />
                <div class="field">
                    <label for="note-body">"Note"</label>
                    <textarea
                        id="note-body"
                        name="body"
                        rows=4
                        required=true
                        aria-invalid=move || note_error.get().map(|_| "true")
                        aria-describedby="note-error"
                    ></textarea>
                    <p class="field-error" id="note-error">
                        {move || note_error.get()}
                    </p>
                </div>
                <button type="submit" class="button">
                    "Add internal note"
                </button>
            </ActionForm>
        </section>
    }
}

fn assign_form(
    number: i64,
    assignee: Option<String>,
    staff: Vec<(String, String)>,
    action: ServerAction<AdminAssignSupportRequest>,
) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:class="form compact-form">
            <FormError error />
            <input type="hidden" name="number" value=number.to_string() />
            <div class="field">
                <label for="assignee-choice">"Assignee"</label>
                <select id="assignee-choice" name="assignee">
                    <option value="" selected=assignee.is_none()>
                        "Nobody"
                    </option>
                    {staff
                        .into_iter()
                        .map(|(id, name)| {
                            let chosen = assignee.as_deref() == Some(id.as_str());
                            view! {
                                <option value=id selected=chosen>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button button-small">
                "Assign"
            </button>
        </ActionForm>
    }
}

fn status_form(
    number: i64,
    status: Status,
    action: ServerAction<AdminSetSupportStatus>,
) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:class="form compact-form">
            <FormError error />
            <input type="hidden" name="number" value=number.to_string() />
            <div class="field">
                <label for="status-choice">"Status"</label>
                <select id="status-choice" name="status">
                    {Status::SETTABLE
                        .into_iter()
                        .map(|s| {
                            view! {
                                <option value=s.as_str() selected=s == status>
                                    {s.staff_label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button button-small">
                "Set status"
            </button>
        </ActionForm>
    }
}

fn priority_form(
    number: i64,
    priority: Priority,
    action: ServerAction<AdminSetSupportPriority>,
) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:class="form compact-form">
            <FormError error />
            <input type="hidden" name="number" value=number.to_string() />
            <div class="field">
                <label for="priority-choice">"Priority"</label>
                <select id="priority-choice" name="priority">
                    {Priority::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=p == priority>
                                    {p.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button button-small">
                "Set priority"
            </button>
        </ActionForm>
    }
}

fn grant_form(
    number: i64,
    granted: i64,
    key: String,
    action: ServerAction<AdminGrantSupportCredits>,
) -> impl IntoView {
    let error = action_error(action.value());
    let amount_error = field_error(error, "amount");
    let expiry_error = field_error(error, "expiry");
    let reason_error = field_error(error, "reason");
    view! {
        <section class="card" aria-labelledby="grant-heading">
            <h2 id="grant-heading">"Grant credits"</h2>
            {(granted > 0)
                .then(|| {
                    view! {
                        <p class="muted">
                            {format!(
                                "{} credits granted from this request so far.",
                                format::credits(Credits::from_micros(granted)),
                            )}
                        </p>
                    }
                })}
            <ActionForm action attr:class="form">
                <FormError error />
                <input type="hidden" name="number" value=number.to_string() />
                <input type="hidden" name="idempotency_key" value=key />
                <div class="field">
                    <label for="grant-amount">"Credits"</label>
                    <input
                        id="grant-amount"
                        name="amount"
                        inputmode="decimal"
                        required=true
                        autocomplete="off"
                        aria-invalid=move || amount_error.get().map(|_| "true")
                        aria-describedby="grant-amount-error"
                    />
                    <p class="field-error" id="grant-amount-error">
                        {move || amount_error.get()}
                    </p>
                </div>
                <div class="field">
                    <label for="grant-expiry">"Expires (optional)"</label>
                    <input
                        id="grant-expiry"
                        name="expiry"
                        type="date"
                        aria-invalid=move || expiry_error.get().map(|_| "true")
                        aria-describedby="grant-expiry-error"
                    />
                    <p class="field-error" id="grant-expiry-error">
                        {move || expiry_error.get()}
                    </p>
                </div>
                <div class="field">
                    <label for="grant-reason">"Reason"</label>
                    <input
                        id="grant-reason"
                        name="reason"
                        required=true
                        value=format!("Support request {number}")
                        aria-invalid=move || reason_error.get().map(|_| "true")
                        aria-describedby="grant-reason-error"
                    />
                    <p class="field-error" id="grant-reason-error">
                        {move || reason_error.get()}
                    </p>
                </div>
                <button type="submit" class="button">
                    "Grant credits"
                </button>
            </ActionForm>
        </section>
    }
}

/// `/admin/support/canned`.
#[component]
pub fn AdminCannedRepliesPage() -> impl IntoView {
    admin_frame("Canned replies", || view! { <CannedReplies /> })
}

#[component]
fn CannedReplies() -> impl IntoView {
    let save = ServerAction::<AdminSaveCannedReply>::new();
    let delete = ServerAction::<AdminDeleteCannedReply>::new();
    let replies = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| admin_canned_replies(),
    );
    let saved = super::done_flag("saved");
    let deleted = super::done_flag("deleted");
    view! {
        <PageHeader
            title="Canned replies"
            lead="Answers staff give often. In a reply, {{ name }}, {{ email }}, {{ number }}, {{ subject }}, {{ balance }} and {{ staff }} are filled in for the request."
        >
            <A href=href::admin_support()>"Back to the queue"</A>
        </PageHeader>
        <Show when=move || saved.get()>
            <Flash tone=Tone::Good>"The canned reply is saved."</Flash>
        </Show>
        <Show when=move || deleted.get()>
            <Flash tone=Tone::Good>"The canned reply is deleted."</Flash>
        </Show>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match replies.await {
                    Ok(replies) => {
                        view! {
                            {replies
                                .into_iter()
                                .map(|reply| canned_form(Some(reply), save, delete))
                                .collect_view()}
                            {canned_form(None, save, delete)}
                        }
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn canned_form(
    reply: Option<CannedView>,
    save: ServerAction<AdminSaveCannedReply>,
    delete: ServerAction<AdminDeleteCannedReply>,
) -> impl IntoView {
    let (id, title, body) = reply.map(|r| (r.id, r.title, r.body)).unwrap_or_default();
    let new = id.is_empty();
    let prefix = if new { "new".to_owned() } else { id.clone() };
    let heading = if new {
        "New canned reply".to_owned()
    } else {
        title.clone()
    };
    let heading_id = format!("canned-{prefix}-heading");
    let labelled_by = heading_id.clone();
    let error = Signal::derive(move || {
        // Only the form that was posted shows the error.
        save.input()
            .get()
            .filter(|input| input.id == if new { String::new() } else { prefix.clone() })
            .and_then(|_| save.value().get())
            .and_then(Result::err)
    });
    let id_for_delete = id.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading_id>{heading}</h2>
            <ActionForm action=save attr:class="form">
                <FormError error />
                <input type="hidden" name="id" value=id.clone() />
                <div class="field">
                    <label for=format!("title-{id}")>"Title"</label>
                    <input
                        id=format!("title-{id}")
                        name="title"
                        required=true
                        maxlength="120"
                        value=title
                    />
                </div>
                <div class="field">
                    <label for=format!("body-{id}")>"Reply"</label>
                    <textarea id=format!("body-{id}") name="body" rows=6 required=true>
                        {body}
                    </textarea>
                </div>
                <button type="submit" class="button">
                    {if new { "Add canned reply" } else { "Save" }}
                </button>
            </ActionForm>
            {(!new)
                .then(|| {
                    view! {
                        <ActionForm action=delete attr:class="inline-form">
                            <input type="hidden" name="id" value=id_for_delete />
                            <button type="submit" class="button button-small button-danger">
                                "Delete"
                            </button>
                        </ActionForm>
                    }
                })}
        </section>
    }
}
