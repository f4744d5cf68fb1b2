//! `/keys`: the signed-in user's API keys: create one (its secret is shown
//! once), list them, revoke one; and a quick start for calling the API.
//!
//! Without JavaScript everything works too: creating answers with a
//! redirect that carries the new key to this page once (see
//! `api::keys::flash`), and revoking asks for confirmation at an address
//! of its own (`?revoke=<id>`), which becomes a modal dialog once the page
//! runs ([`ConfirmDialog`]).

use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::keys::{
    api_quick_start, list_api_keys, take_created_key, CreateApiKey, CreatedKey, KeyStatus, KeyView,
    ModelView, QuickStart, RevokeApiKey,
};
use crate::api::onboarding::{my_application, ApplicationView};
use crate::components::form::{
    action_error, field_error, kept_fields, FormError, Notice, SelectField, TextField,
};
use crate::components::guard::RequireUser;
use crate::components::snippets::{copy_to_clipboard, export_key, snippets, CodeBlock};
use crate::components::ui::{ConfirmDialog, Flash, PageHeader, Tone};
use crate::domain::credits::Credits;
use crate::domain::model::ModelKind;
use crate::domain::role::ApplicationStatus;
use crate::href;
use leptos::server_fn::ServerFn;

/// `/keys`.
#[component]
pub fn KeysPage() -> impl IntoView {
    view! {
        <Title text="API keys" />
        <RequireUser children=|user| {
            view! { <Keys available=user.available /> }
        } />
    }
}

#[component]
fn Keys(
    /// The caller's available credit, in micro-credits.
    available: i64,
) -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    // Only a page rendered right after a form posted without JavaScript
    // finds a key here.
    let flashed = Resource::new(|| (), |_| take_created_key());
    let quick_start = Resource::new(|| (), |_| api_quick_start());
    let revoking = Memo::new(move |_| query.read().get("revoke").filter(|id| !id.is_empty()));
    let revoked = Signal::derive(move || {
        let q = query.read();
        q.get_str("done") == Some("revoked") && q.get_str("__err").is_none()
    });
    let revoke_error = action_error(revoke.value());
    // The newest key created here stays shown until the page is left, even
    // if a later attempt fails.
    let created = Memo::new(move |previous: Option<&Option<CreatedKey>>| {
        let latest = create.value().get().and_then(Result::ok);
        latest.or_else(|| previous.cloned().flatten())
    });

    view! {
        <section class="container page keys-page">
            <PageHeader
                eyebrow="Inference API"
                title="API keys"
                lead="Keys let your code call models through the OpenAI-compatible API. Every request is charged to your credits."
            />
            <Notice
                show=revoked
                message="The key is revoked. Requests made with it are refused from now on."
            />
            <FormError error=revoke_error />
            {(available <= 0).then(|| view! { <NoCreditYet /> })}
            <Suspense fallback=|| ()>
                {move || {
                    let from_form = created.get();
                    Suspend::new(async move {
                        let from_redirect = flashed.await.ok().flatten();
                        from_form.or(from_redirect).map(|created| view! { <NewKeyPanel created /> })
                    })
                }}
            </Suspense>
            <CreateKeyForm create />
            <section class="keys-section" aria-labelledby="keys-heading">
                <h2 id="keys-heading">"Your keys"</h2>
                <Suspense fallback=|| {
                    view! { <p class="muted">"Loading…"</p> }
                }>
                    {move || {
                        let revoking = revoking.get();
                        Suspend::new(async move {
                            match keys.await {
                                Ok(list) => {
                                    let confirming = revoking
                                        .and_then(|id| {
                                            list.iter()
                                                .find(|k| k.id == id && k.status != KeyStatus::Revoked)
                                                .cloned()
                                        });
                                    view! {
                                        {confirming
                                            .map(|key| view! { <RevokeConfirm key revoke /> })}
                                        {keys_table(list)}
                                    }
                                        .into_any()
                                }
                                Err(e) => {
                                    view! {
                                        <p class="form-error" role="alert">
                                            {e.to_string()}
                                        </p>
                                    }
                                        .into_any()
                                }
                            }
                        })
                    }}
                </Suspense>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    quick_start.await.ok().map(|qs| view! { <QuickStartSection qs /> })
                })}
            </Suspense>
        </section>
    }
}

/// The new key, shown this once, with a copy button.
#[component]
fn NewKeyPanel(created: CreatedKey) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let (copied, set_copied) = signal(None::<&'static str>);
    // Bring the key into view and focus, so it is the next thing read.
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let key = created.key.clone();
    let copy = move |_| {
        if let Some(input) = input.get_untracked() {
            input.select();
        }
        let message = if copy_to_clipboard(&key) {
            "Copied to the clipboard."
        } else {
            "Could not copy: the key is selected, copy it with your keyboard."
        };
        set_copied.set(Some(message));
    };
    view! {
        <section class="new-key" aria-labelledby="new-key-heading" data-testid="new-key">
            <h2 id="new-key-heading">{format!("Your new key “{}”", created.name)}</h2>
            <p class="new-key-warning">
                <strong>"Copy it now: you won't see it again."</strong>
                " We keep only a fingerprint of it. If you lose it, revoke it and create another."
            </p>
            <label for="new-key-value">"API key"</label>
            <div class="copy-row">
                <input
                    id="new-key-value"
                    class="key-value"
                    type="text"
                    readonly=true
                    spellcheck="false"
                    autocomplete="off"
                    value=created.key.clone()
                    node_ref=input
                />
                <button type="button" class="button button-primary js-only" on:click=copy>
                    "Copy"
                </button>
            </div>
            <p class="field-hint" role="status">
                {move || copied.get()}
            </p>
        </section>
    }
}

#[component]
fn CreateKeyForm(create: ServerAction<CreateApiKey>) -> impl IntoView {
    let error = action_error(create.value());
    let kept = kept_fields(CreateApiKey::PATH);
    let form = NodeRef::<html::Form>::new();
    let session = crate::components::session::use_session();
    let courses = Resource::new(|| (), |_| crate::api::cohorts::my_courses());
    let bill_to_kept = kept.get("bill_to");
    // A created key empties the form for the next one.
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    view! {
        <section class="card keys-create" aria-labelledby="create-heading">
            <h2 id="create-heading">"Create a key"</h2>
            <ActionForm action=create node_ref=form attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Name"
                    name="name"
                    required=true
                    maxlength=80
                    autocomplete="off"
                    hint="So you can tell your keys apart, like “laptop” or “staging server”."
                    value=kept.get("name").unwrap_or_default()
                    error=field_error(error, "name")
                />
                <Suspense fallback=|| ()>
                    {move || {
                        let kept = bill_to_kept.clone();
                        Suspend::new(async move {
                            let user = session.user.await.ok().flatten();
                            let selected = kept
                                .or_else(|| user.as_ref().and_then(|u| u.acting_for.clone()))
                                .unwrap_or_default();
                            let orgs = user.map(|u| u.organizations).unwrap_or_default();
                            let courses: Vec<_> = courses
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|c| c.status == "Joined")
                                .collect();
                            (!orgs.is_empty() || !courses.is_empty())
                                .then(|| {
                                    let mut options = vec![
                                        ("".to_owned(), "Your own credits".to_owned()),
                                    ];
                                    options
                                        .extend(
                                            orgs
                                                .into_iter()
                                                .map(|o| (
                                                    o.slug,
                                                    format!("{} (organization pool)", o.name),
                                                )),
                                        );
                                    options
                                        .extend(
                                            courses
                                                .into_iter()
                                                .map(|c| (
                                                    format!("course:{}", c.slug),
                                                    format!(
                                                        "{} ({}: your course credit)",
                                                        c.name,
                                                        c.course_code,
                                                    ),
                                                )),
                                        );
                                    // What the form kept after an error, else the
                                    // organization the header says they act for.
                                    view! {
                                        <SelectField
                                            label="Bill to"
                                            name="bill_to"
                                            options
                                            hint="An organization's pool pays for keys billed to it, within your budget there; a course's key spends your allocation in it and stops when the term ends."
                                            selected
                                            error=field_error(error, "bill_to")
                                        />
                                    }
                                })
                        })
                    }}
                </Suspense>
                <fieldset class="keys-limits">
                    <legend>"Limits (optional)"</legend>
                    <TextField
                        label="Spend cap in credits"
                        name="spend_cap"
                        autocomplete="off"
                        hint="The key stops working once it has spent this much. Up to 6 decimals."
                        value=kept.get("spend_cap").unwrap_or_default()
                        error=field_error(error, "spend_cap")
                    />
                    <TextField
                        label="Requests per minute"
                        name="rpm_limit"
                        kind="number"
                        autocomplete="off"
                        value=kept.get("rpm_limit").unwrap_or_default()
                        error=field_error(error, "rpm_limit")
                    />
                    <TextField
                        label="Tokens per minute"
                        name="tpm_limit"
                        kind="number"
                        autocomplete="off"
                        value=kept.get("tpm_limit").unwrap_or_default()
                        error=field_error(error, "tpm_limit")
                    />
                    <TextField
                        label="Expires on"
                        name="expires_on"
                        kind="date"
                        hint="The key stops working at the end of this day (UTC)."
                        value=kept.get("expires_on").unwrap_or_default()
                        error=field_error(error, "expires_on")
                    />
                </fieldset>
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || create.pending().get()
                    >
                        "Create key"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// "Revoke this key?" with the button that does it.
#[component]
fn RevokeConfirm(key: KeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <ConfirmDialog
            heading_id="revoke-heading"
            title=format!("Revoke “{}”?", key.name)
            cancel_href=href::keys()
        >
            <p>
                "Programs using " <code>{key.prefix.clone()}</code>
                " are refused within seconds. This cannot be undone; the key and its usage stay listed."
            </p>
            <ActionForm action=revoke attr:class="confirm-actions">
                <input type="hidden" name="key_id" value=key.id.clone() />
                <button
                    type="submit"
                    class="button button-danger"
                    disabled=move || revoke.pending().get()
                >
                    "Revoke key"
                </button>
                // Plain links: not the current page's navigation
                // (`aria-current`), and no jump to the top.
                <a href=href::keys() class="button" data-noscroll=true>
                    "Cancel"
                </a>
            </ActionForm>
        </ConfirmDialog>
    }
}

fn keys_table(keys: Vec<KeyView>) -> impl IntoView {
    if keys.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <h3>"No keys yet"</h3>
                <p>"Create a key above to call models from your code."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="Keys table" tabindex="0">
            <table class="keys-table data-table">
                <caption class="visually-hidden">"Your API keys, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Bills"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Spent"</th>
                        <th scope="col">"Limits"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{keys.into_iter().map(key_row).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn key_row(key: KeyView) -> impl IntoView {
    let status_class = match key.status {
        KeyStatus::Active => "key-status key-status-active",
        KeyStatus::Revoked => "key-status key-status-revoked",
        KeyStatus::Expired => "key-status key-status-expired",
    };
    let spent = match key.spend_cap {
        Some(cap) => format!(
            "{} of {}",
            Credits::from_micros(key.spent),
            Credits::from_micros(cap)
        ),
        None => Credits::from_micros(key.spent).to_string(),
    };
    let limits = limits_text(key.rpm_limit, key.tpm_limit);
    let revocable = key.status != KeyStatus::Revoked;
    // Without JavaScript the browser scrolls to the confirmation itself.
    let revoke_href = format!(
        "{}#revoke-heading",
        href::with_query(href::keys(), &[("revoke", &key.id.to_string())])
    );
    let revoke_label = format!(" key {}", key.name);
    view! {
        <tr data-key-id=key.id.clone()>
            <th scope="row" class="key-name">
                {key.name.clone()}
            </th>
            <td data-label="Key">
                <code class="key-prefix">{key.prefix}</code>
            </td>
            <td data-label="Status">
                <span class=status_class>{key.status.label()}</span>
            </td>
            <td data-label="Bills">{key.organization.unwrap_or_else(|| "You".to_owned())}</td>
            <td data-label="Created" class="nowrap">
                {key.created}
            </td>
            <td data-label="Last used" class="nowrap">
                {key.last_used.unwrap_or_else(|| "Never".to_owned())}
            </td>
            <td data-label="Spent" class="num nowrap">
                {spent}
            </td>
            <td data-label="Limits" class="nowrap">
                {limits}
            </td>
            <td data-label="Expires" class="nowrap">
                {key.expires.unwrap_or_else(|| "Never".to_owned())}
            </td>
            <td>
                {revocable
                    .then(|| {
                        view! {
                            <a href=revoke_href class="button button-small" data-noscroll=true>
                                "Revoke"
                                <span class="visually-hidden">{revoke_label}</span>
                            </a>
                        }
                    })}
            </td>
        </tr>
    }
}

/// `60 requests/min · 10,000 tokens/min`, or "None".
fn limits_text(rpm: Option<i32>, tpm: Option<i32>) -> String {
    let parts: Vec<String> = [
        rpm.map(|n| format!("{} requests/min", crate::format::grouped(n))),
        tpm.map(|n| format!("{} tokens/min", crate::format::grouped(n))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "None".to_owned()
    } else {
        parts.join(" · ")
    }
}

#[component]
fn QuickStartSection(qs: QuickStart) -> impl IntoView {
    let model = qs
        .models
        .iter()
        .find(|m| m.kind == ModelKind::Chat)
        .or_else(|| qs.models.first())
        .map(|m| (m.id.as_str(), m.kind));
    let snippets = snippets(&qs.base_url, model);
    let models = qs.models;
    view! {
        <section class="keys-section quick-start" aria-labelledby="quick-start-heading">
            <h2 id="quick-start-heading">"Quick start"</h2>
            <p>
                "The API speaks the OpenAI protocol at "
                <code class="base-url">{qs.base_url.clone()}</code>
                ", so the official OpenAI libraries work unchanged. Keep your key in an environment variable:"
            </p>
            <CodeBlock label="Setting the key in a shell" code=export_key() />
            <h3>"Models"</h3>
            {models_list(models)}
            <p>
                <A href=href::models()>
                    "Prices, context windows and output limits of every model"
                </A>
            </p>
            {snippets
                .into_iter()
                .map(|(language, code)| {
                    view! {
                        <h3>{language}</h3>
                        <CodeBlock label=format!("{language} example") code />
                    }
                })
                .collect_view()}
        </section>
    }
}

fn models_list(models: Vec<ModelView>) -> impl IntoView {
    if models.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <h4>"No models to call yet"</h4>
                <p>
                    "The Lab's staff are setting models up. The examples below work as soon as one is listed here."
                </p>
            </div>
        }
        .into_any();
    }
    view! {
        <ul class="model-list">
            {models
                .into_iter()
                .map(|m| {
                    let kind = if m.kind == ModelKind::Embedding { "embeddings" } else { "chat" };
                    view! {
                        <li>
                            <code>{m.id}</code>
                            <span class="muted">{format!(" · {kind}")}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_words() {
        assert_eq!(limits_text(None, None), "None");
        assert_eq!(limits_text(Some(60), None), "60 requests/min");
        assert_eq!(
            limits_text(Some(1200), Some(100_000)),
            "1,200 requests/min · 100,000 tokens/min"
        );
    }
}

/// Why keys of an account without credit cannot be used yet, and what
/// brings credit: keys may be made before (to set up an integration while
/// the application is reviewed), and every request with them is refused
/// for want of credit until then.
#[component]
fn NoCreditYet() -> impl IntoView {
    let application = Resource::new(|| (), |_| my_application());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let status = application.await.ok().flatten().map(|a: ApplicationView| a.status);
                view! {
                    <Flash tone=Tone::Warning>
                        {match status {
                            Some(ApplicationStatus::Pending) => {
                                view! {
                                    <p>
                                        <strong>"Your application is under review."</strong>
                                        " You can create keys now, but requests with them are refused until it is approved and your starter credits arrive. "
                                        <a href=href::onboarding()>"See your application"</a>
                                        "."
                                    </p>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <p>
                                        <strong>"This account has no credits yet."</strong>
                                        " Requests with your keys are refused until it has some. Tell us what you are building to receive starter credits: "
                                        <a href=href::onboarding()>"apply for access"</a>
                                        "."
                                    </p>
                                }
                                    .into_any()
                            }
                            Some(_) => {
                                view! {
                                    <p>
                                        <strong>"You have no credits left."</strong>
                                        " Requests with your keys are refused until credits are added. "
                                        <a href=href::credits()>"See your credit history"</a>
                                        "."
                                    </p>
                                }
                                    .into_any()
                            }
                        }}
                    </Flash>
                }
            })}
        </Suspense>
    }
}
