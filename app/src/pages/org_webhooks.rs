//! `/orgs/{slug}/webhooks`: an organization's webhooks, for its owners —
//! adding one (its signing secret shown once), sending it a test event,
//! turning it off and on, deleting it (asked first, at `?delete=<id>`),
//! and the log of the last deliveries with every attempt's answer.
//!
//! Every form works without JavaScript: a change lands back here with
//! `?done=…`.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::organizations::{
    org_webhooks, AddOrgWebhook, DeleteOrgWebhook, NewWebhookSecret, OrgWebhooksView,
    SendOrgWebhookTest, SetOrgWebhookActive, WebhookDeliveryView, WebhookView,
};
use crate::components::form::{action_error, field_error, kept_fields, FormError, TextField};
use crate::components::guard::RequireUser;
use crate::components::ui::{Badge, ConfirmDialog, EmptyState, Flash, PageHeader, Tone};
use crate::domain::notifications::WebhookEvent;
use crate::href;
use leptos::server_fn::ServerFn;

/// `/orgs/{slug}/webhooks`.
#[component]
pub fn OrganizationWebhooksPage() -> impl IntoView {
    view! {
        <Title text="Organization webhooks" />
        <RequireUser children=|_| view! { <OrganizationWebhooks /> } />
    }
}

/// Every action of the page, so one change reads the page again.
#[derive(Clone, Copy)]
struct Actions {
    add: ServerAction<AddOrgWebhook>,
    active: ServerAction<SetOrgWebhookActive>,
    delete: ServerAction<DeleteOrgWebhook>,
    test: ServerAction<SendOrgWebhookTest>,
}

impl Actions {
    fn versions(self) -> [usize; 4] {
        [
            self.add.version().get(),
            self.active.version().get(),
            self.delete.version().get(),
            self.test.version().get(),
        ]
    }
}

/// What a `?done=` after a change says.
fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "added" => "The webhook is added.",
        "enabled" => "The webhook is on: events are sent to it again.",
        "disabled" => "The webhook is off: events wait until it is on again.",
        "deleted" => "The webhook and its delivery log are deleted.",
        "test_sent" => "A test event is on its way; its delivery shows below within seconds.",
        _ => return None,
    })
}

#[component]
fn OrganizationWebhooks() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let actions = Actions {
        add: ServerAction::new(),
        active: ServerAction::new(),
        delete: ServerAction::new(),
        test: ServerAction::new(),
    };
    let page = Resource::new(
        move || (slug.get(), actions.versions()),
        |(slug, _)| org_webhooks(slug),
    );
    let errors = [
        action_error(actions.active.value()),
        action_error(actions.delete.value()),
        action_error(actions.test.value()),
    ];
    let done = move || {
        let q = query.read();
        let text = q.get_str("done").and_then(done_text);
        (q.get_str("__err").is_none())
            .then_some(text)
            .flatten()
            .map(|text| view! { <Flash tone=Tone::Good>{text}</Flash> })
    };
    view! {
        <section class="container page org-webhooks-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || {
                    let delete = query.read().get("delete");
                    Suspend::new(async move {
                        match page.await {
                            Ok(view) => {
                                let added = actions.add.value();
                                let from_page = view.new_secret.clone();
                                let secret = move || {
                                    added
                                        .get()
                                        .and_then(Result::ok)
                                        .or_else(|| from_page.clone())
                                        .map(secret_reveal)
                                };
                                // With JavaScript the secret comes in the
                                // add form's answer; without, in the page's.
                                view! {
                                    <Title text=format!("{} — webhooks", view.organization) />
                                    {header(&view)}
                                    {done}
                                    {errors.map(|error| view! { <FormError error /> })}
                                    {secret}
                                    {confirm_delete(&view, delete, actions.delete)}
                                    {webhook_list(&view, actions)}
                                    <AddWebhookForm view=view.clone() add=actions.add />
                                    {delivery_log(&view)}
                                    {signature_help()}
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <PageHeader title="Organization webhooks" />
                                    {crate::pages::load_error(e)}
                                    <p>
                                        <a href=href::organizations()>"Your organizations"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

fn header(view: &OrgWebhooksView) -> impl IntoView {
    let back = href::organization(&view.slug);
    view! {
        <PageHeader
            eyebrow="Organization"
            title=format!("{} — webhooks", view.organization)
            lead="Your own systems hear of budget and balance events as they happen: each is POSTed as JSON, signed with the webhook's secret, and tried again with growing pauses until your endpoint answers 2xx."
        >
            <a href=back class="button">
                "Back to the organization"
            </a>
        </PageHeader>
    }
}

fn secret_reveal(secret: NewWebhookSecret) -> impl IntoView {
    view! {
        <section class="new-key" aria-labelledby="new-secret-heading" data-testid="webhook-secret">
            <h2 id="new-secret-heading">"The webhook's signing secret"</h2>
            <p class="new-key-warning">
                <strong>"Copy it now: you won't see it again."</strong>
                " Your endpoint checks each delivery's X-Lab-Signature with it. If you lose it, delete the webhook and add it again."
            </p>
            <label for="new-secret-value">"Signing secret"</label>
            <input
                id="new-secret-value"
                class="key-value"
                type="text"
                readonly=true
                spellcheck="false"
                autocomplete="off"
                value=secret.secret
            />
        </section>
    }
}

fn event_names(events: &[String]) -> String {
    events.join(", ")
}

fn webhook_list(view: &OrgWebhooksView, actions: Actions) -> impl IntoView {
    if view.webhooks.is_empty() {
        return view! {
            <EmptyState title="No webhooks yet">
                <p>
                    "Add one below to have budget and balance events sent to an address of yours."
                </p>
            </EmptyState>
        }
        .into_any();
    }
    let rows = view
        .webhooks
        .iter()
        .cloned()
        .map(|hook| webhook_row(&view.slug, hook, actions))
        .collect_view();
    view! {
        <section class="org-section" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            <div class="table-wrap" role="region" aria-label="Webhooks table" tabindex="0">
                <table class="data-table">
                    <caption class="visually-hidden">"The organization's webhooks"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"URL"</th>
                            <th scope="col">"Events"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Added"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

fn webhook_row(slug: &str, hook: WebhookView, actions: Actions) -> impl IntoView {
    let label = format!(" for {}", hook.url);
    let (slug_a, slug_b) = (slug.to_owned(), slug.to_owned());
    let (id_a, id_b) = (hook.id.clone(), hook.id.clone());
    let delete_href = href::with_query(&href::organization_webhooks(slug), &[("delete", &hook.id)]);
    let (status, tone) = if hook.active {
        ("Active", Tone::Good)
    } else {
        ("Off", Tone::Neutral)
    };
    let toggle = if hook.active { "Turn off" } else { "Turn on" };
    let added = match &hook.created_by {
        Some(by) => format!("{} by {by}", hook.created),
        None => hook.created.clone(),
    };
    let (label_a, label_b, label_c) = (label.clone(), label.clone(), label);
    view! {
        <tr data-webhook=hook.url.clone()>
            <th scope="row" class="admin-break">
                <code>{hook.url.clone()}</code>
            </th>
            <td data-label="Events">{event_names(&hook.events)}</td>
            <td data-label="Status">
                <Badge tone text=status />
            </td>
            <td data-label="Added" class="nowrap">
                {added}
            </td>
            <td class="row-actions">
                <ActionForm action=actions.test attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug_a />
                    <input type="hidden" name="webhook_id" value=id_a />
                    <button type="submit" class="button button-small">
                        "Send test event"
                        <span class="visually-hidden">{label_a}</span>
                    </button>
                </ActionForm>
                <ActionForm action=actions.active attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug_b />
                    <input type="hidden" name="webhook_id" value=id_b />
                    <input type="hidden" name="active" value=(!hook.active).to_string() />
                    <button type="submit" class="button button-small">
                        {toggle}
                        <span class="visually-hidden">{label_b}</span>
                    </button>
                </ActionForm>
                <a href=delete_href class="button button-small" data-noscroll=true>
                    "Delete…"
                    <span class="visually-hidden">{label_c}</span>
                </a>
            </td>
        </tr>
    }
}

fn confirm_delete(
    view: &OrgWebhooksView,
    delete: Option<String>,
    action: ServerAction<DeleteOrgWebhook>,
) -> Option<impl IntoView> {
    let hook = view
        .webhooks
        .iter()
        .find(|w| Some(&w.id) == delete.as_ref())?
        .clone();
    let (slug, back) = (view.slug.clone(), href::organization_webhooks(&view.slug));
    Some(view! {
        <ConfirmDialog
            heading_id="delete-webhook-heading"
            title="Delete this webhook?"
            cancel_href=back.clone()
        >
            <p>
                "Events stop going to " <code>{hook.url.clone()}</code>
                ", and its delivery log is deleted with it. The audit trail keeps that it existed."
            </p>
            <ActionForm action attr:class="confirm-actions">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="webhook_id" value=hook.id.clone() />
                <button type="submit" class="button button-danger">
                    "Delete webhook"
                </button>
                <a href=back class="button" data-noscroll=true>
                    "Cancel"
                </a>
            </ActionForm>
        </ConfirmDialog>
    })
}

#[component]
fn AddWebhookForm(view: OrgWebhooksView, add: ServerAction<AddOrgWebhook>) -> impl IntoView {
    let error = action_error(add.value());
    let kept = kept_fields(AddOrgWebhook::PATH);
    let restored = !kept.is_empty();
    let hint = if view.private_targets {
        "Where events are POSTed. This portal also allows http:// and private addresses."
    } else {
        "Where events are POSTed: an https:// address your systems answer at, on the public internet."
    };
    let full = i64::try_from(view.webhooks.len()).unwrap_or(i64::MAX) >= view.max_webhooks;
    let boxes = WebhookEvent::ALL
        .into_iter()
        .map(|event| {
            let name = match event {
                WebhookEvent::BudgetThreshold => "event_budget_threshold",
                WebhookEvent::BalanceLow => "event_balance_low",
            };
            // Both are ticked on a fresh form.
            let checked = !restored || kept.get(name).is_some();
            view! {
                <div class="field field-checkbox">
                    <input type="checkbox" id=name name=name value="on" checked=checked />
                    <label for=name>
                        <code>{event.as_str()}</code>
                        {format!(": {}", event.description())}
                    </label>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="org-section card" aria-labelledby="add-webhook-heading">
            <h2 id="add-webhook-heading">"Add a webhook"</h2>
            {if full {
                view! {
                    <p>
                        {format!(
                            "An organization may have {} webhooks. Delete one to add another.",
                            view.max_webhooks,
                        )}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ActionForm action=add attr:class="form" attr:novalidate=true>
                        <FormError error />
                        <input type="hidden" name="slug" value=view.slug.clone() />
                        <TextField
                            label="Endpoint URL"
                            name="url"
                            kind="url"
                            required=true
                            autocomplete="off"
                            hint
                            value=kept.get("url").unwrap_or_default()
                            error=field_error(error, "url")
                        />
                        <fieldset aria-describedby="events-error">
                            <legend>"Events"</legend>
                            {boxes}
                            <p id="events-error" class="field-error" role="alert">
                                {move || field_error(error, "events").get()}
                            </p>
                        </fieldset>
                        <div class="actions">
                            <button type="submit" class="button button-primary">
                                "Add webhook"
                            </button>
                        </div>
                    </ActionForm>
                }
                    .into_any()
            }}
        </section>
    }
}

fn delivery_log(view: &OrgWebhooksView) -> impl IntoView {
    let body = if view.deliveries.is_empty() {
        view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
    } else {
        let urls: Vec<(String, String)> = view
            .webhooks
            .iter()
            .map(|w| (w.id.clone(), w.url.clone()))
            .collect();
        let rows = view
            .deliveries
            .iter()
            .cloned()
            .map(|d| {
                let url = urls
                    .iter()
                    .find(|(id, _)| *id == d.webhook_id)
                    .map(|(_, url)| url.clone())
                    .unwrap_or_default();
                delivery_row(d, url)
            })
            .collect_view();
        view! {
            <div class="table-wrap" role="region" aria-label="Delivery log" tabindex="0">
                <table class="data-table">
                    <caption class="visually-hidden">"Deliveries, newest first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Attempts"</th>
                            <th scope="col">"Answers"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="org-section" aria-labelledby="deliveries-heading">
            <h2 id="deliveries-heading">"Deliveries"</h2>
            <p>"The last 20 events of each webhook, with what its endpoint answered each time."</p>
            {body}
        </section>
    }
}

fn delivery_row(delivery: WebhookDeliveryView, url: String) -> impl IntoView {
    let tone = match delivery.status.as_str() {
        "Delivered" => Tone::Good,
        "Gave up" => Tone::Bad,
        _ => Tone::Warning,
    };
    let next = delivery
        .next_attempt
        .clone()
        .map(|at| view! { <span class="cell-detail">{format!("Next try {at}")}</span> });
    let answers = delivery
        .attempt_log
        .iter()
        .map(|a| {
            let status = a
                .status
                .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
            let said = a
                .response
                .clone()
                .or_else(|| a.error.clone())
                .unwrap_or_default();
            view! {
                <li>
                    <span class="nowrap">{format!("#{} · {} · {status}", a.number, a.time)}</span>
                    {(!said.is_empty())
                        .then(|| {
                            // Focusable: a long answer scrolls in its box,
                            // by keyboard too.
                            view! {
                                <pre class="webhook-answer" tabindex="0">
                                    {said}
                                </pre>
                            }
                        })}
                </li>
            }
        })
        .collect_view();
    view! {
        <tr data-delivery=delivery.id.clone()>
            <th scope="row">
                <code>{delivery.event.clone()}</code>
                <span class="cell-detail admin-break">{url}</span>
            </th>
            <td data-label="Time" class="nowrap">
                {delivery.time.clone()}
            </td>
            <td data-label="Status">
                <Badge tone text=delivery.status.clone() />
                {next}
            </td>
            <td data-label="Attempts">{delivery.attempts}</td>
            <td data-label="Answers">
                <ol class="webhook-attempts">{answers}</ol>
            </td>
        </tr>
    }
}

/// How a receiver checks a delivery: the same words as the README.
fn signature_help() -> impl IntoView {
    view! {
        <section class="org-section" aria-labelledby="signature-heading">
            <h2 id="signature-heading">"Checking a delivery"</h2>
            <p>
                "Each delivery is a POST with a JSON body and the headers "
                <code>"X-Lab-Event"</code> ", " <code>"X-Lab-Delivery"</code> " (its id) and "
                <code>"X-Lab-Signature: t=<unix seconds>,v1=<hex>"</code>
                ". To check it, compute HMAC-SHA256 with the secret as key over "
                <code>"<t>.<the raw body>"</code>
                ", compare it with v1 in constant time, and refuse a t more than five minutes old. A retry keeps its delivery id: use it to ignore repeats."
            </p>
        </section>
    }
}
