//! `/admin/models`: the upstream providers and the models the inference API
//! serves, with their prices, caps and whether each is served.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{admin_frame, done_flag, empty_state, load_error};
use crate::api::admin::{model_catalog, ModelView, ProviderView, SetModelEnabled};
use crate::components::form::{action_error, FormError, Notice};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::credits::Credits;
pub(super) use crate::format::grouped;
use crate::href;

/// `/admin/models`.
#[component]
pub fn AdminModelsPage() -> impl IntoView {
    admin_frame("Models", || view! { <ModelsView /> })
}

#[component]
fn ModelsView() -> impl IntoView {
    // Created once, so its result (and an error brought back in the URL
    // without JavaScript) survives re-fetches.
    let toggle = ServerAction::<SetModelEnabled>::new();
    let catalog = Resource::new(move || toggle.version().get(), |_| model_catalog());
    view! {
        <PageHeader
            title="Models"
            lead="The upstream providers and the models the inference API serves. A model is served only while it is enabled and has both prices."
        />
        <Notice show=done_flag("provider-created") message="The provider is added." />
        <Notice show=done_flag("provider-updated") message="The provider is saved." />
        <Notice show=done_flag("model-created") message="The model is added and enabled." />
        <Notice show=done_flag("model-updated") message="The model is saved." />
        <Notice show=done_flag("model-enabled") message="The model is enabled." />
        <Notice
            show=done_flag("model-disabled")
            message="The model is disabled: the API no longer serves it."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Ok(c) => {
                        let has_providers = !c.providers.is_empty();
                        view! {
                            <section aria-labelledby="providers-heading">
                                <h2 id="providers-heading">"Providers"</h2>
                                {provider_table(c.providers)}
                            </section>
                            <section aria-labelledby="models-heading">
                                <h2 id="models-heading">"Models"</h2>
                                {model_table(c.models, has_providers, toggle)}
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

/// The simulator's badge, shown wherever a provider is named.
pub(super) fn simulator_tag() -> impl IntoView {
    view! { <Badge tone=Tone::Accent text="Simulator" /> }
}

/// Whether a model is served, as badges: enabled or disabled, and
/// unpriced when a price is missing.
pub(super) fn model_status(enabled: bool, unpriced: bool) -> impl IntoView {
    view! {
        {if enabled {
            view! { <Badge tone=Tone::Good text="Enabled" /> }
        } else {
            view! { <Badge tone=Tone::Neutral text="Disabled" /> }
        }}
        {unpriced
            .then(|| {
                view! {
                    " "
                    <Badge tone=Tone::Warning text="Unpriced — not served" />
                }
            })}
    }
}

/// Micro-credits per million tokens, in credits; "—" when unpriced.
pub(super) fn price(micros: Option<i64>) -> String {
    micros.map_or_else(|| "—".to_owned(), |m| Credits::from_micros(m).to_string())
}

fn provider_table(providers: Vec<ProviderView>) -> impl IntoView {
    let add = view! {
        <p>
            <a class="button" href=href::admin_new_provider()>
                "Add a provider"
            </a>
        </p>
    };
    if providers.is_empty() {
        return view! {
            {empty_state(
                "No providers yet",
                "A provider is an OpenAI-compatible upstream the API forwards requests to. Add one to serve its models."
                    .to_owned(),
            )}
            {add}
        }
        .into_any();
    }
    view! {
        <p class="field-hint">
            "Secrets are never stored here: each provider names the environment variable of the portal's server that holds its secret. "
            "The Simulator ships with the portal; its base URL is managed by the server, and only its timeout can be changed."
        </p>
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Providers"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Base URL"</th>
                        <th scope="col">"Secret variable"</th>
                        <th scope="col">"Variable set"</th>
                        <th scope="col">"Timeout"</th>
                        <th scope="col">"Models"</th>
                    </tr>
                </thead>
                <tbody>{providers.into_iter().map(provider_row).collect_view()}</tbody>
            </table>
        </div>
        {add}
    }
    .into_any()
}

fn provider_row(p: ProviderView) -> impl IntoView {
    let (variable, set) = match &p.secret_env {
        Some(name) => (
            view! { <code>{name.clone()}</code> }.into_any(),
            if p.secret_set {
                view! { <Badge tone=Tone::Good text="Yes" /> }.into_any()
            } else {
                view! { <Badge tone=Tone::Warning text="No" /> }.into_any()
            },
        ),
        None => (
            view! { <span class="muted">"None"</span> }.into_any(),
            view! { <span class="muted">"—"</span> }.into_any(),
        ),
    };
    view! {
        <tr>
            <th scope="row" class="admin-row-head">
                <a href=href::admin_provider(p.id)>{p.name}</a>
                {p
                    .is_simulator
                    .then(|| {
                        view! {
                            " "
                            {simulator_tag()}
                        }
                    })}
            </th>
            <td data-label="Base URL" class="admin-break">
                {p.base_url}
            </td>
            <td data-label="Secret variable" class="admin-break">
                {variable}
            </td>
            <td data-label="Variable set">{set}</td>
            <td data-label="Timeout" class="num">
                {format!("{} ms", grouped(p.timeout_ms))}
            </td>
            <td data-label="Models" class="num">
                {p.models}
            </td>
        </tr>
    }
}

fn model_table(
    models: Vec<ModelView>,
    has_providers: bool,
    toggle: ServerAction<SetModelEnabled>,
) -> impl IntoView {
    let error = action_error(toggle.value());
    let add = has_providers.then(|| {
        view! {
            <p>
                <a class="button" href=href::admin_new_model()>
                    "Add a model"
                </a>
            </p>
        }
    });
    if models.is_empty() {
        let text = if has_providers {
            "Add a model to offer it through the API, with its prices per million tokens."
        } else {
            "Add a provider first; then add the models it serves."
        };
        return view! {
            {empty_state("No models yet", text.to_owned())}
            {add}
        }
        .into_any();
    }
    view! {
        <FormError error />
        <p class="field-hint">"Prices are in credits per million tokens."</p>
        <div class="table-wrap" tabindex="0">
            <table class="admin-wide-table data-table">
                <caption class="visually-hidden">"Models"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Model id and kind"</th>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Upstream model"</th>
                        <th scope="col">"Price per 1M, input / output"</th>
                        <th scope="col">"Context / max output tokens"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Action"</th>
                    </tr>
                </thead>
                <tbody>{models.into_iter().map(|m| model_row(m, toggle)).collect_view()}</tbody>
            </table>
        </div>
        {add}
    }
    .into_any()
}

fn model_row(m: ModelView, toggle: ServerAction<SetModelEnabled>) -> impl IntoView {
    let unpriced = m.unpriced();
    let status = model_status(m.enabled, unpriced);
    let (label, enable) = if m.enabled {
        ("Disable", "false")
    } else {
        ("Enable", "true")
    };
    // The button is named after its model with `aria-label`: hidden text
    // (absolutely positioned) would widen the page past the scrolled table.
    let name = format!("{label} {}", m.public_id);
    view! {
        <tr>
            <th scope="row" class="admin-row-head">
                <a href=href::admin_model(m.id)>
                    <code>{m.public_id}</code>
                </a>
                <span class="cell-detail">{m.kind}</span>
            </th>
            <td data-label="Provider">
                <div>
                    {m.provider_name}
                    {m
                        .provider_is_simulator
                        .then(|| {
                            view! {
                                " "
                                {simulator_tag()}
                            }
                        })}
                </div>
            </td>
            <td data-label="Upstream model" class="admin-break">
                <code>{m.upstream_model}</code>
            </td>
            <td data-label="Price per 1M, input / output" class="num">
                {format!("{} / {}", price(m.input_price), price(m.output_price))}
            </td>
            <td data-label="Context / max output tokens" class="num">
                {format!("{} / {}", grouped(m.context_window), grouped(m.max_output_tokens))}
            </td>
            <td data-label="Status">
                <div>{status}</div>
            </td>
            <td data-label="Action">
                <ActionForm action=toggle>
                    <input type="hidden" name="id" value=m.id.to_string() />
                    <input type="hidden" name="enabled" value=enable />
                    <button
                        type="submit"
                        class="button"
                        aria-label=name
                        disabled=move || toggle.pending().get()
                    >
                        {label}
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_easily() {
        assert_eq!(price(None), "—");
        assert_eq!(price(Some(0)), "0");
        assert_eq!(price(Some(2_500_000)), "2.5");
        assert_eq!(price(Some(1)), "0.000001");
    }
}
