//! The provider and model forms of `/admin/models`: add and edit.
//!
//! `/admin/models/providers/new`, `/admin/models/providers/:id`,
//! `/admin/models/new` and `/admin/models/:id`. Each saves and returns to
//! the list, with or without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::models::{grouped, model_status, simulator_tag};
use super::{admin_frame, empty_state, load_error};
use crate::api::admin::{
    model_catalog, CatalogView, CreateModel, CreateProvider, ModelView, ProviderView,
    SetModelEnabled, UpdateModel, UpdateProvider,
};
use crate::components::form::{action_error, field_error, FormError, SelectField, TextField};
use crate::components::ui::PageHeader;
use crate::domain::credits::Credits;
use crate::domain::model::ModelKind;
use crate::error::AppError;
use crate::href;

/// `/admin/models/providers/new`.
#[component]
pub fn AdminNewProviderPage() -> impl IntoView {
    admin_frame("New provider", || view! { <NewProvider /> })
}

/// `/admin/models/providers/:id`.
#[component]
pub fn AdminEditProviderPage() -> impl IntoView {
    admin_frame("Edit provider", || view! { <EditProvider /> })
}

/// `/admin/models/new`.
#[component]
pub fn AdminNewModelPage() -> impl IntoView {
    admin_frame("New model", || view! { <NewModel /> })
}

/// `/admin/models/:id`.
#[component]
pub fn AdminEditModelPage() -> impl IntoView {
    admin_frame("Edit model", || view! { <EditModel /> })
}

fn back_link() -> impl IntoView {
    view! {
        <p>
            <a href=href::admin_models()>"← Providers and models"</a>
        </p>
    }
}

/// The `:id` of the current URL.
fn id_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").unwrap_or_default())
}

/// The whole catalog, loaded for the page.
fn catalog() -> Resource<Result<CatalogView, AppError>> {
    Resource::new(|| (), |_| model_catalog())
}

/// What an edit page shows when `what` does not exist (a 404 page).
fn not_found(what: &'static str) -> AnyView {
    let error = AppError::NotFound(format!("There is no such {what}."));
    super::error_status(&error);
    view! {
        <PageHeader title=format!("No such {what}") />
        <p>
            {format!("There is no {what} at this address. ")}
            <a href=href::admin_models()>"See all providers and models."</a>
        </p>
    }
    .into_any()
}

/// Provider fields, shared by the add and edit forms.
#[derive(Clone, Default)]
struct ProviderValues {
    name: Option<String>,
    base_url: Option<String>,
    secret_env: Option<String>,
    timeout_ms: Option<String>,
}

fn provider_fields(error: Signal<Option<AppError>>, values: ProviderValues) -> impl IntoView {
    view! {
        <TextField
            label="Name"
            name="name"
            required=true
            maxlength=60
            autocomplete="off"
            hint="Up to 60 characters, unique. Shown to admins only."
            value=values.name.unwrap_or_default()
            error=field_error(error, "name")
        />
        <TextField
            label="Base URL"
            name="base_url"
            kind="url"
            required=true
            maxlength=500
            autocomplete="off"
            hint="The OpenAI-compatible API root, like https://api.example.org/v1 (http or https)."
            value=values.base_url.unwrap_or_default()
            error=field_error(error, "base_url")
        />
        <TextField
            label="Secret environment variable"
            name="secret_env"
            maxlength=128
            autocomplete="off"
            hint="The NAME of the server's environment variable that holds the API key, like ACME_API_KEY — never the key itself. Leave empty when the upstream needs no key."
            value=values.secret_env.unwrap_or_default()
            error=field_error(error, "secret_env")
        />
        {timeout_field(error, values.timeout_ms)}
    }
}

fn timeout_field(error: Signal<Option<AppError>>, value: Option<String>) -> impl IntoView {
    view! {
        <TextField
            label="Timeout (milliseconds)"
            name="timeout_ms"
            kind="number"
            required=true
            autocomplete="off"
            hint="How long to wait for the upstream: 100 to 600000 ms."
            value=value.unwrap_or_else(|| "60000".to_owned())
            error=field_error(error, "timeout_ms")
        />
    }
}

#[component]
fn NewProvider() -> impl IntoView {
    let action = ServerAction::<CreateProvider>::new();
    let error = action_error(action.value());
    view! {
        {back_link()}
        <PageHeader
            title="Add a provider"
            lead="An OpenAI-compatible upstream the API forwards requests to."
        />
        <ActionForm action attr:class="form admin-edit-form">
            <FormError error />
            {provider_fields(error, ProviderValues::default())}
            <button
                type="submit"
                class="button button-primary"
                disabled=move || action.pending().get()
            >
                "Add provider"
            </button>
        </ActionForm>
    }
}

#[component]
fn EditProvider() -> impl IntoView {
    let id = id_param();
    let catalog = catalog();
    let action = ServerAction::<UpdateProvider>::new();
    view! {
        {back_link()}
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let id = id.get();
                match catalog.await {
                    Ok(c) => {
                        match c.providers.into_iter().find(|p| p.id.to_string() == id) {
                            Some(p) => provider_editor(p, action).into_any(),
                            None => not_found("provider"),
                        }
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn provider_editor(p: ProviderView, action: ServerAction<UpdateProvider>) -> impl IntoView {
    let error = action_error(action.value());
    let id = p.id.to_string();
    if p.is_simulator {
        let badge = simulator_tag().into_any();
        return view! {
            <PageHeader
                title=p.name.clone()
                title_extra=badge
                lead="The simulator ships with the portal and answers like an upstream without calling one. Its name and base URL are managed by the server; only its timeout can be changed here."
            />
            <dl class="admin-facts">
                <dt>"Base URL"</dt>
                <dd class="admin-break">{p.base_url.clone()}</dd>
                <dt>"Models"</dt>
                <dd>{p.models}</dd>
            </dl>
            <ActionForm action attr:class="form admin-edit-form">
                <FormError error />
                <input type="hidden" name="id" value=id />
                {timeout_field(error, Some(p.timeout_ms.to_string()))}
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || action.pending().get()
                >
                    "Save timeout"
                </button>
            </ActionForm>
        }
        .into_any();
    }
    let values = ProviderValues {
        name: Some(p.name.clone()),
        base_url: Some(p.base_url.clone()),
        secret_env: p.secret_env.clone(),
        timeout_ms: Some(p.timeout_ms.to_string()),
    };
    let variable = match (&p.secret_env, p.secret_set) {
        (None, _) => "No secret is sent to this upstream.".to_owned(),
        (Some(name), true) => format!("{name} is set in the server's environment."),
        (Some(name), false) => format!(
            "{name} is not set in the server's environment: requests to this provider will fail until it is."
        ),
    };
    view! {
        <PageHeader
            title=format!("Edit {}", p.name)
            lead=format!("Used by {} model(s). {variable}", p.models)
        />
        <ActionForm action attr:class="form admin-edit-form">
            <FormError error />
            <input type="hidden" name="id" value=id />
            {provider_fields(error, values)}
            <button
                type="submit"
                class="button button-primary"
                disabled=move || action.pending().get()
            >
                "Save provider"
            </button>
        </ActionForm>
    }
    .into_any()
}

/// Model fields, shared by the add and edit forms.
#[derive(Clone, Default)]
struct ModelValues {
    public_id: Option<String>,
    provider_id: Option<String>,
    upstream_model: Option<String>,
    kind: Option<String>,
    input_price: Option<String>,
    output_price: Option<String>,
    context_window: Option<String>,
    max_output_tokens: Option<String>,
    tokenizer: Option<String>,
}

impl ModelValues {
    fn of(m: &ModelView) -> Self {
        let price = |p: Option<i64>| p.map(|m| Credits::from_micros(m).to_string());
        Self {
            public_id: Some(m.public_id.clone()),
            provider_id: Some(m.provider_id.to_string()),
            upstream_model: Some(m.upstream_model.clone()),
            kind: Some(m.kind.clone()),
            input_price: price(m.input_price),
            output_price: price(m.output_price),
            context_window: Some(m.context_window.to_string()),
            max_output_tokens: Some(m.max_output_tokens.to_string()),
            tokenizer: Some(m.tokenizer.clone()),
        }
    }
}

fn model_fields(
    error: Signal<Option<AppError>>,
    catalog: &CatalogView,
    values: ModelValues,
) -> impl IntoView {
    let providers = &catalog.providers;
    let providers = providers
        .iter()
        .map(|p| {
            let label = if p.is_simulator {
                format!("{} (Simulator)", p.name)
            } else {
                p.name.clone()
            };
            (p.id.to_string(), label)
        })
        .collect();
    let kinds = ModelKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let tokenizers = catalog.tokenizers.clone();
    view! {
        <TextField
            label="Model id"
            name="public_id"
            required=true
            maxlength=100
            autocomplete="off"
            hint="The id clients send as \"model\", like lab-chat-small. Letters, digits and . _ : / -; unique."
            value=values.public_id.unwrap_or_default()
            error=field_error(error, "public_id")
        />
        <SelectField
            label="Provider"
            name="provider_id"
            options=providers
            placeholder="Choose a provider"
            required=true
            selected=values.provider_id.unwrap_or_default()
            error=field_error(error, "provider_id")
        />
        <TextField
            label="Upstream model"
            name="upstream_model"
            required=true
            maxlength=200
            autocomplete="off"
            hint="The model name the provider expects."
            value=values.upstream_model.unwrap_or_default()
            error=field_error(error, "upstream_model")
        />
        <SelectField
            label="Kind"
            name="kind"
            options=kinds
            required=true
            selected=values.kind.unwrap_or_else(|| "chat".to_owned())
            error=field_error(error, "kind")
        />
        <TextField
            label="Input price (credits per 1M tokens)"
            name="input_price"
            autocomplete="off"
            hint="Up to 6 decimals, like 0.5; 0 for free. Empty: unpriced, and the model is not served."
            value=values.input_price.unwrap_or_default()
            error=field_error(error, "input_price")
        />
        <TextField
            label="Output price (credits per 1M tokens)"
            name="output_price"
            autocomplete="off"
            hint="Up to 6 decimals, like 1.5; 0 for free. Empty: unpriced, and the model is not served."
            value=values.output_price.unwrap_or_default()
            error=field_error(error, "output_price")
        />
        <TextField
            label="Context window (tokens)"
            name="context_window"
            kind="number"
            required=true
            autocomplete="off"
            hint="The most tokens a request and its answer may hold together."
            value=values.context_window.unwrap_or_else(|| "8192".to_owned())
            error=field_error(error, "context_window")
        />
        <TextField
            label="Max output (tokens)"
            name="max_output_tokens"
            kind="number"
            required=true
            autocomplete="off"
            hint="The most tokens one answer may have; at most the context window."
            value=values.max_output_tokens.unwrap_or_else(|| "4096".to_owned())
            error=field_error(error, "max_output_tokens")
        />
        <SelectField
            label="Tokenizer"
            name="tokenizer"
            options=tokenizers
            required=true
            hint="Counts tokens when the provider reports no usage. Hugging Face folders (tokenizer.json and chat template) are listed from the server's tokenizers directory."
            selected=values.tokenizer.unwrap_or_else(|| "heuristic".to_owned())
            error=field_error(error, "tokenizer")
        />
    }
}

/// What the model pages show while there is no provider to choose.
fn no_providers() -> AnyView {
    view! {
        {empty_state(
            "No providers yet",
            "A model is served through a provider. Add a provider first.".to_owned(),
        )}
        <p>
            <a class="button" href=href::admin_new_provider()>
                "Add a provider"
            </a>
        </p>
    }
    .into_any()
}

#[component]
fn NewModel() -> impl IntoView {
    let catalog = catalog();
    let action = ServerAction::<CreateModel>::new();
    let error = action_error(action.value());
    view! {
        {back_link()}
        <PageHeader
            title="Add a model"
            lead="A model the API serves under its own id, forwarded to a provider. It is enabled when added."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Ok(c) if c.providers.is_empty() => no_providers(),
                    Ok(c) => {
                        view! {
                            <ActionForm action attr:class="form admin-edit-form">
                                <FormError error />
                                {model_fields(error, &c, ModelValues::default())}
                                <button
                                    type="submit"
                                    class="button button-primary"
                                    disabled=move || action.pending().get()
                                >
                                    "Add model"
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditModel() -> impl IntoView {
    let id = id_param();
    let catalog = catalog();
    let save = ServerAction::<UpdateModel>::new();
    let toggle = ServerAction::<SetModelEnabled>::new();
    view! {
        {back_link()}
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let id = id.get();
                match catalog.await {
                    Ok(c) => {
                        match c.models.iter().find(|m| m.id.to_string() == id) {
                            Some(m) => model_editor(m, &c, save, toggle).into_any(),
                            None => not_found("model"),
                        }
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn model_editor(
    m: &ModelView,
    catalog: &CatalogView,
    save: ServerAction<UpdateModel>,
    toggle: ServerAction<SetModelEnabled>,
) -> impl IntoView {
    let error = action_error(save.value());
    let toggle_error = action_error(toggle.value());
    let (id, toggle_id) = (m.id.to_string(), m.id.to_string());
    let public_id = m.public_id.clone();
    let caps = format!(
        "{} tokens of context, {} of output",
        grouped(m.context_window),
        grouped(m.max_output_tokens),
    );
    let fields = model_fields(error, catalog, ModelValues::of(m));
    let status = model_status(m.enabled, m.unpriced());
    let (toggle_label, toggle_hint, enable) = if m.enabled {
        (
            "Disable model",
            "The API stops serving it at once; its settings and usage stay.",
            "false",
        )
    } else {
        (
            "Enable model",
            "The API serves it again (when both prices are set).",
            "true",
        )
    };
    view! {
        <PageHeader title="Edit" title_extra=view! { <code>{public_id}</code> }.into_any() />
        <dl class="admin-facts">
            <dt>"Status"</dt>
            <dd>{status}</dd>
            <dt>"Caps"</dt>
            <dd>{caps}</dd>
        </dl>
        <ActionForm action=toggle attr:class="form admin-action-form">
            <FormError error=toggle_error />
            <input type="hidden" name="id" value=toggle_id />
            <input type="hidden" name="enabled" value=enable />
            <p class="field-hint" id="toggle-hint">
                {toggle_hint}
            </p>
            <button
                type="submit"
                class="button"
                aria-describedby="toggle-hint"
                disabled=move || toggle.pending().get()
            >
                {toggle_label}
            </button>
        </ActionForm>
        <h2>"Settings"</h2>
        <ActionForm action=save attr:class="form admin-edit-form">
            <FormError error />
            <input type="hidden" name="id" value=id />
            {fields}
            <button
                type="submit"
                class="button button-primary"
                disabled=move || save.pending().get()
            >
                "Save model"
            </button>
        </ActionForm>
    }
}
