//! Support requests, for the people who open them: `/support` (their
//! requests), `/support/new` (a request, opened from any page with
//! `?from=`), and `/support/{number}` (the thread, replies, rating).
//!
//! The request forms are plain `multipart/form-data` posts (they carry
//! files), so they work the same with or without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::support::{
    get_support_request, my_support_requests, AttachmentView, ContextView, MessageView,
    OpenSupportRequest, RateSupportRequest, ReplySupportRequest, SupportListView,
    SupportRequestView,
};
use crate::components::form::{action_error, field_error, FormError};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::ui::{Badge, EmptyState, Flash, PageHeader, Tone};
use crate::domain::credits::Credits;
use crate::domain::paging::Page;
use crate::domain::support::{Category, Priority, Status, MAX_BODY, MAX_SUBJECT};
use crate::error::AppError;
use crate::{format, href};

/// The error of a plain post to the server function at `path`, when the
/// server sent the browser back with it (see `kept_form_middleware`).
pub(crate) fn post_error(path: &'static str) -> Signal<Option<AppError>> {
    use leptos::server_fn::error::ServerFnUrlError;
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        if query.get_str("__path") != Some(path) {
            return None;
        }
        query
            .get_str("__err")
            .map(ServerFnUrlError::<AppError>::decode_err)
    })
}

/// How a status reads as a badge.
pub(crate) fn status_tone(status: Status) -> Tone {
    match status {
        Status::Open | Status::Reopened | Status::WaitingOnStaff => Tone::Warning,
        Status::WaitingOnRequester => Tone::Accent,
        Status::Resolved | Status::Closed => Tone::Good,
    }
}

/// How a priority reads as a badge.
pub(crate) fn priority_tone(priority: Priority) -> Tone {
    match priority {
        Priority::Urgent => Tone::Bad,
        Priority::High => Tone::Warning,
        Priority::Normal | Priority::Low => Tone::Neutral,
    }
}

/// `/support`.
#[component]
pub fn SupportPage() -> impl IntoView {
    view! {
        <Title text="Support" />
        <RequireUser children=|_| view! { <SupportList /> } />
    }
}

#[component]
fn SupportList() -> impl IntoView {
    let query = use_query_map();
    let page = Memo::new(move |_| query.read().get("page").unwrap_or_default());
    let requests = Resource::new(move || page.get(), my_support_requests);
    view! {
        <section class="container page support-page">
            <PageHeader
                eyebrow="Support"
                title="Your support requests"
                lead="Ask the Lab about credits, the API and models, datasets, agents, your account, or your organization or course. We answer here and by email."
            >
                <a class="button button-primary" href=href::support_new()>
                    "New request"
                </a>
            </PageHeader>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match requests.await {
                        Ok(found) => request_list(found).into_any(),
                        Err(e) => crate::pages::load_error(e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn request_list(found: Page<SupportListView>) -> impl IntoView {
    if found.total == 0 {
        return view! {
            <EmptyState title="No requests yet">
                <p>
                    "When something is not right, open a request: we see your balance, your organizations and courses, and your latest failed requests with it, so you do not have to explain them."
                </p>
                <a class="button button-primary" href=href::support_new()>
                    "Open a request"
                </a>
            </EmptyState>
        }
        .into_any();
    }
    let nav = pager(&found, href::support(), &[]);
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Your requests, latest activity first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Request"</th>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last activity"</th>
                    </tr>
                </thead>
                <tbody>
                    {found
                        .items
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td data-label="Request">{format!("#{}", r.number)}</td>
                                    <td data-label="Subject">
                                        <A href=href::support_request(r.number)>{r.subject}</A>
                                    </td>
                                    <td data-label="Category">{r.category.label()}</td>
                                    <td data-label="Status">
                                        <Badge tone=status_tone(r.status) text=r.status.label() />
                                    </td>
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

/// `/support/new`.
#[component]
pub fn NewSupportPage() -> impl IntoView {
    view! {
        <Title text="New support request" />
        <RequireUser children=|_| view! { <NewSupport /> } />
    }
}

#[component]
fn NewSupport() -> impl IntoView {
    let query = use_query_map();
    let from = query.read_untracked().get("from").unwrap_or_default();
    let chosen = query.read_untracked().get("category").unwrap_or_default();
    let from = crate::domain::support::parse_from_page(&from);
    let error = post_error(<OpenSupportRequest as ServerFn>::PATH);
    let open_path = <OpenSupportRequest as ServerFn>::PATH;
    view! {
        <section class="container page support-new">
            <PageHeader
                eyebrow="Support"
                title="New support request"
                lead="Tell us what happened and what you expected. Lab staff answer here and by email."
            />
            <div class="support-columns">
                <form
                    method="post"
                    action=open_path
                    enctype="multipart/form-data"
                    class="form card"
                >
                    <FormError error />
                    <input type="hidden" name="from" value=from.clone().unwrap_or_default() />
                    <div class="field">
                        <label for="category">"What is it about?"</label>
                        <select
                            id="category"
                            name="category"
                            required=true
                            aria-invalid=move || {
                                field_error(error, "category").get().map(|_| "true")
                            }
                            aria-describedby="category-error"
                        >
                            <option value="">"Choose…"</option>
                            {Category::ALL
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <option value=c.as_str() selected=c.as_str() == chosen>
                                            {c.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <p class="field-error" id="category-error">
                            {move || field_error(error, "category").get()}
                        </p>
                    </div>
                    <div class="field">
                        <label for="subject">"Subject"</label>
                        <input
                            id="subject"
                            name="subject"
                            required=true
                            maxlength=MAX_SUBJECT.to_string()
                            autocomplete="off"
                            aria-invalid=move || {
                                field_error(error, "subject").get().map(|_| "true")
                            }
                            aria-describedby="subject-error"
                        />
                        <p class="field-error" id="subject-error">
                            {move || field_error(error, "subject").get()}
                        </p>
                    </div>
                    <MessageFields error required=true />
                    <button type="submit" class="button button-primary">
                        "Send the request"
                    </button>
                </form>
                <aside class="card support-aside" aria-labelledby="attached-heading">
                    <h2 id="attached-heading">"Sent with your request"</h2>
                    <p>"So you need not explain your setup, Lab staff see with your request:"</p>
                    <ul>
                        <li>"your account and current balance;"</li>
                        <li>"your organizations and courses;"</li>
                        <li>"your latest failed API requests, with their request ids;"</li>
                        {from
                            .map(|page| {
                                view! { <li>"the page you came from: " <code>{page}</code></li> }
                            })}
                    </ul>
                    <p class="muted">"Never your API keys or passwords: do not paste them here."</p>
                </aside>
            </div>
        </section>
    }
}

/// The message box and attachments of a support form.
#[component]
pub(crate) fn MessageFields(
    error: Signal<Option<AppError>>,
    #[prop(optional)] required: bool,
    /// The text it starts with (a canned reply).
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(default = "Message")] label: &'static str,
) -> impl IntoView {
    let body_error = field_error(error, "body");
    let file_error = field_error(error, "file");
    view! {
        <div class="field">
            <label for="body">{label}</label>
            <textarea
                id="body"
                name="body"
                rows=8
                required=required
                maxlength=MAX_BODY.to_string()
                aria-invalid=move || body_error.get().map(|_| "true")
                aria-describedby="body-hint body-error"
            >
                {value.unwrap_or_default()}
            </textarea>
            <p class="field-hint" id="body-hint">
                "Markdown works: **bold**, `code`, lists and links."
            </p>
            <p class="field-error" id="body-error">
                {move || body_error.get()}
            </p>
        </div>
        <div class="field">
            <label for="file">"Attachments (optional)"</label>
            <input
                id="file"
                name="file"
                type="file"
                multiple=true
                aria-invalid=move || file_error.get().map(|_| "true")
                aria-describedby="file-hint file-error"
            />
            <p class="field-hint" id="file-hint">
                "Up to 3 files of 10 MiB each: logs, screenshots, a request that fails."
            </p>
            <p class="field-error" id="file-error">
                {move || file_error.get()}
            </p>
        </div>
    }
}

/// `/support/{number}`.
#[component]
pub fn SupportRequestPage() -> impl IntoView {
    view! {
        <Title text="Support request" />
        <RequireUser children=|_| view! { <SupportRequest /> } />
    }
}

#[component]
fn SupportRequest() -> impl IntoView {
    let params = use_params_map();
    let number = Memo::new(move |_| params.read().get("number").unwrap_or_default());
    let rate = ServerAction::<RateSupportRequest>::new();
    let request = Resource::new(
        move || (number.get(), rate.version().get()),
        |(number, _)| get_support_request(number),
    );
    view! {
        <section class="container page support-request">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match request.await {
                        Ok(request) => request_view(request, rate).into_any(),
                        Err(e) => {
                            view! {
                                <PageHeader title="Support request" />
                                {crate::pages::load_error(e)}
                                <p>
                                    <A href=href::support()>"Your support requests"</A>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "opened" => "Your request is with the Lab. We will answer here and by email.",
        "replied" => "Your reply is sent.",
        "rated" => "Thank you for rating the help you got.",
        _ => return None,
    })
}

fn request_view(
    request: SupportRequestView,
    rate: ServerAction<RateSupportRequest>,
) -> impl IntoView {
    let query = use_query_map();
    let done = query
        .read_untracked()
        .get("done")
        .filter(|_| query.read_untracked().get("__err").is_none())
        .and_then(|d| done_message(&d));
    let status = request.status;
    let number = request.number;
    let reply_error = post_error(<ReplySupportRequest as ServerFn>::PATH);
    let reply_path = <ReplySupportRequest as ServerFn>::PATH;
    let rateable = matches!(status, Status::Resolved | Status::Closed);
    view! {
        <PageHeader
            eyebrow="Support"
            title=format!("#{} {}", request.number, request.subject)
            title_extra=view! { <Badge tone=status_tone(status) text=status.label() /> }.into_any()
            lead=format!("{} · opened {}", request.category.label(), request.opened)
        >
            <A href=href::support()>"All your requests"</A>
        </PageHeader>
        {done.map(|message| view! { <Flash tone=Tone::Good>{message}</Flash> })}
        {(request.granted > 0)
            .then(|| {
                view! {
                    <p class="muted">
                        {format!(
                            "{} credits were granted to you from this request.",
                            format::credits(Credits::from_micros(request.granted)),
                        )}
                    </p>
                }
            })}
        <div class="support-columns">
            <div>
                {thread(request.messages)}
                {if request.open_for_replies {
                    view! {
                        <form
                            method="post"
                            action=reply_path
                            enctype="multipart/form-data"
                            class="form card"
                            aria-labelledby="reply-heading"
                        >
                            <h2 id="reply-heading">"Reply"</h2>
                            <FormError error=reply_error />
                            <input type="hidden" name="number" value=number.to_string() />
                            <MessageFields error=reply_error required=true label="Your reply" />
                            {(status == Status::Resolved)
                                .then(|| {
                                    view! {
                                        <p class="field-hint">
                                            "Replying opens the request again."
                                        </p>
                                    }
                                })}
                            <button type="submit" class="button button-primary">
                                "Send reply"
                            </button>
                        </form>
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="muted">
                            "This request is closed. "
                            <a href=href::support_new()>"Open a new request"</a>
                            " and mention its number if it is about the same thing."
                        </p>
                    }
                        .into_any()
                }}
                {rateable
                    .then(|| rating_form(number, request.rating, request.rating_comment, rate))}
            </div>
            <aside class="card support-aside" aria-labelledby="context-heading">
                <h2 id="context-heading">"Sent with your request"</h2>
                {context_view(request.context)}
            </aside>
        </div>
    }
}

fn rating_form(
    number: i64,
    rating: Option<i16>,
    comment: Option<String>,
    rate: ServerAction<RateSupportRequest>,
) -> impl IntoView {
    let error = action_error(rate.value());
    let labels = ["Poor", "Fair", "Good", "Very good", "Excellent"];
    view! {
        <ActionForm action=rate attr:class="form card" attr:aria-labelledby="rate-heading">
            <h2 id="rate-heading">"How was the help you got?"</h2>
            <FormError error />
            <input type="hidden" name="number" value=number.to_string() />
            <fieldset class="rating">
                <legend>"Your rating"</legend>
                {(1_i16..=5)
                    .zip(labels)
                    .map(|(value, label)| {
                        let id = format!("rating-{value}");
                        let label_for = id.clone();
                        view! {
                            <label for=label_for class="rating-choice">
                                <input
                                    type="radio"
                                    id=id
                                    name="rating"
                                    value=value.to_string()
                                    required=true
                                    checked=rating == Some(value)
                                />
                                {format!(" {value} · {label}")}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="field">
                <label for="comment">"Comment (optional)"</label>
                <textarea id="comment" name="comment" rows=3 maxlength="2000">
                    {comment.unwrap_or_default()}
                </textarea>
            </div>
            <button type="submit" class="button">
                {if rating.is_some() { "Change rating" } else { "Rate" }}
            </button>
        </ActionForm>
    }
}

/// The thread, oldest first.
pub(crate) fn thread(messages: Vec<MessageView>) -> impl IntoView {
    view! {
        <ol class="thread" aria-label="Messages">
            {messages.into_iter().map(message_item).collect_view()}
        </ol>
    }
}

/// One message of a thread.
pub(crate) fn message_item(message: MessageView) -> impl IntoView {
    let (class, who) = match (&message.author, message.from_staff) {
        (None, _) => ("message message-system", "Lab Portal".to_owned()),
        (Some(name), true) => ("message message-staff", format!("{name} · Lab staff")),
        (Some(name), false) => ("message", name.clone()),
    };
    view! {
        <li class=class>
            <p class="message-meta">
                <strong>{who}</strong>
                " · "
                <span>{message.when}</span>
            </p>
            <div class="message-body prose" inner_html=message.html></div>
            {attachments(message.attachments)}
        </li>
    }
}

fn attachments(files: Vec<AttachmentView>) -> Option<impl IntoView> {
    (!files.is_empty()).then(|| {
        view! {
            <ul class="attachments" aria-label="Attachments">
                {files
                    .into_iter()
                    .map(|f| {
                        let download = f.name.clone();
                        view! {
                            <li>
                                <a href=f.href download=download rel="external">
                                    {f.name}
                                </a>
                                {format!(" ({})", f.size)}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// What the portal attached to a request.
pub(crate) fn context_view(context: ContextView) -> impl IntoView {
    view! {
        <dl class="context-list">
            <dt>"Account"</dt>
            <dd>
                {format!("{} <{}>", context.name, context.email)}
                {(!context.account_kind.is_empty())
                    .then(|| format!(" · {} · since {}", context.account_kind, context.joined))}
            </dd>
            <dt>"Balance then"</dt>
            <dd>
                {format!(
                    "{} credits available{}",
                    format::credits(Credits::from_micros(context.available)),
                    if context.reserved > 0 {
                        format!(
                            ", {} held",
                            format::credits(Credits::from_micros(context.reserved)),
                        )
                    } else {
                        String::new()
                    },
                )}
            </dd>
            <dt>"Organizations and courses"</dt>
            <dd>
                {if context.teams.is_empty() {
                    view! { "None" }.into_any()
                } else {
                    view! {
                        <ul>
                            {context
                                .teams
                                .into_iter()
                                .map(|(kind, name, role, link)| {
                                    view! {
                                        <li>
                                            {format!("{kind}: ")} <a href=link>{name}</a>
                                            {format!(" ({role})")}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </dd>
            <dt>"Latest failed requests"</dt>
            <dd>
                {if context.failed_requests.is_empty() {
                    view! { "None" }.into_any()
                } else {
                    view! {
                        <ul class="failed-requests">
                            {context
                                .failed_requests
                                .into_iter()
                                .map(|(id, model, status, at)| {
                                    view! {
                                        <li>
                                            <code>{id}</code>
                                            {format!(" · {model} · HTTP {status} · {at}")}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </dd>
            <dt>"Opened from"</dt>
            <dd>
                {match context.from_page {
                    Some(page) => view! { <code>{page}</code> }.into_any(),
                    None => view! { "—" }.into_any(),
                }}
            </dd>
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_done_code_the_functions_send_has_a_message() {
        for done in ["opened", "replied", "rated"] {
            assert!(done_message(done).is_some(), "{done}");
        }
    }
}
