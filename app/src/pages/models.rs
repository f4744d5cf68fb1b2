//! `/models`: the models and pricing page, for everyone. Every model the
//! inference API serves, one table per kind, with its prices in credits,
//! context window and output limit; what a credit is and how a request is
//! charged; and a request to try. Rendered on the server, so it works
//! without JavaScript; on a phone each table row becomes a labelled card.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::models::{list_models, CostExample, PriceList, PricedModel};
use crate::components::snippets::{export_key, snippets, CodeBlock};
use crate::components::ui::{EmptyState, PageHeader};
use crate::domain::credits::Credits;
use crate::domain::model::ModelKind;
use crate::format;
use crate::href;

/// `/models`.
#[component]
pub fn ModelsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_models());
    view! {
        <Title text="Models and pricing" />
        <section class="container page models-page">
            <PageHeader
                eyebrow="Inference API"
                title="Models and pricing"
                lead="The models you can call through the Lab's OpenAI-compatible API, and what each one costs in credits."
            />
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => view! { <PriceListView list /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {e.to_string()}
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

/// The tables (or the empty state), how charging works, and "try it".
#[component]
fn PriceListView(list: PriceList) -> impl IntoView {
    let PriceList {
        base_url,
        models,
        example,
    } = list;
    let tables = if models.is_empty() {
        view! {
            <EmptyState title="No models are available yet">
                <p>
                    "The Lab's staff are setting models up. They are listed here, with their prices, as soon as you can call them."
                </p>
            </EmptyState>
        }
        .into_any()
    } else {
        ModelKind::ALL
            .into_iter()
            .map(|kind| {
                let of_kind: Vec<PricedModel> =
                    models.iter().filter(|m| m.kind == kind).cloned().collect();
                (!of_kind.is_empty()).then(|| kind_section(kind, of_kind))
            })
            .collect_view()
            .into_any()
    };
    let tried = models
        .iter()
        .find(|m| m.kind == ModelKind::Chat)
        .or_else(|| models.first())
        .map(|m| (m.id.as_str(), m.kind));
    let curl = snippets(&base_url, tried)
        .into_iter()
        .next()
        .map(|(_, code)| code)
        .unwrap_or_default();
    view! {
        {tables}
        {charges(example)}
        <section class="models-section" aria-labelledby="try-heading">
            <h2 id="try-heading">"Try it"</h2>
            <p>
                "The API speaks the OpenAI protocol at " <code class="base-url">{base_url}</code>
                ". Create a key on your " <A href=href::keys()>"API keys page"</A>
                " (which also has Python and JavaScript examples) and keep it in an environment variable:"
            </p>
            <CodeBlock label="Setting the key in a shell" code=export_key() />
            <p>"Then call a model:"</p>
            <CodeBlock label="curl example" code=curl />
        </section>
    }
}

/// One kind's table: its heading, the endpoint serving it and its models.
fn kind_section(kind: ModelKind, models: Vec<PricedModel>) -> impl IntoView {
    let (title, endpoint) = match kind {
        ModelKind::Chat => ("Chat models", "/v1/chat/completions"),
        ModelKind::Embedding => ("Embedding models", "/v1/embeddings"),
    };
    let heading = format!("{}-models-heading", kind.as_str());
    let chat = kind == ModelKind::Chat;
    let note = if chat {
        "Prices are in credits per million tokens; the context window counts the prompt and the answer together."
    } else {
        "Prices are in credits per million tokens. An embedding has no output tokens: only its input is charged."
    };
    view! {
        <section class="models-section" aria-labelledby=heading.clone()>
            <h2 id=heading.clone()>{title}</h2>
            <p>"Called with " <code>{format!("POST {endpoint}")}</code> ". " {note}</p>
            <div class="table-wrap" tabindex="0">
                <table class="models-table" role="table">
                    <caption class="visually-hidden">
                        {format!("{title}, with their prices in credits per million tokens")}
                    </caption>
                    <thead class="models-table-head">
                        <tr role="row">
                            <th scope="col" role="columnheader">
                                "Model"
                            </th>
                            <th scope="col" role="columnheader" class="num">
                                {INPUT}
                            </th>
                            {chat
                                .then(|| {
                                    view! {
                                        <th scope="col" role="columnheader" class="num">
                                            {OUTPUT}
                                        </th>
                                    }
                                })}
                            <th scope="col" role="columnheader" class="num">
                                {CONTEXT}
                            </th>
                            {chat
                                .then(|| {
                                    view! {
                                        <th scope="col" role="columnheader" class="num">
                                            {MAX_OUTPUT}
                                        </th>
                                    }
                                })}
                        </tr>
                    </thead>
                    <tbody>{models.into_iter().map(model_row).collect_view()}</tbody>
                </table>
            </div>
        </section>
    }
}

const INPUT: &str = "Input, credits per 1M tokens";
const OUTPUT: &str = "Output, credits per 1M tokens";
const CONTEXT: &str = "Context window, tokens";
const MAX_OUTPUT: &str = "Max output, tokens";

/// A model's row. Each cell carries its column's name (`data-label`), shown
/// beside the value when a phone stacks the row into a card.
fn model_row(m: PricedModel) -> impl IntoView {
    let chat = m.kind == ModelKind::Chat;
    view! {
        <tr role="row">
            <th scope="row" role="rowheader">
                <code>{m.id}</code>
            </th>
            <td role="cell" class="num" data-label=INPUT>
                {price(m.input_price)}
            </td>
            {chat
                .then(|| {
                    view! {
                        <td role="cell" class="num" data-label=OUTPUT>
                            {price(m.output_price)}
                        </td>
                    }
                })}
            <td role="cell" class="num" data-label=CONTEXT>
                {format::grouped(m.context_window)}
            </td>
            {chat
                .then(|| {
                    view! {
                        <td role="cell" class="num" data-label=MAX_OUTPUT>
                            {format::grouped(m.max_output_tokens)}
                        </td>
                    }
                })}
        </tr>
    }
}

/// Micro-credits per million tokens, as credits per million tokens.
fn price(micros: i64) -> String {
    format::credits(Credits::from_micros(micros))
}

/// What a credit is and how a request is charged, as the metering charges
/// it (`server::metering::models::cost`), with a worked example.
fn charges(example: Option<CostExample>) -> impl IntoView {
    view! {
        <section class="models-section models-charges" aria-labelledby="charges-heading">
            <h2 id="charges-heading">"What a credit is and how requests are charged"</h2>
            <p>
                "Every request is paid for with credits from your account. One credit is 1,000,000 micro-credits; a micro-credit (0.000001 credit) is the smallest amount charged. The Lab grants you credits; your balance and every movement are on your "
                <A href=href::credits()>"credits page"</A> "."
            </p>
            <p>
                "A request costs its input tokens times the model's input price, plus its output tokens times the output price, each divided by a million and rounded up to the next micro-credit. The tokens are those the model's provider reports, or the portal's own count when it reports none."
            </p>
            {example.map(example_text)}
            <ul>
                <li>
                    "Nothing is charged for a request that is refused (a wrong key, too little credit, a rate limit, an unknown model) or that the provider fails or does not answer in time."
                </li>
                <li>
                    "A streamed answer that stops early (you disconnect, or the provider fails midway) is charged for the tokens generated until then."
                </li>
                <li>
                    "While a request runs, the most it could cost is set aside from your credit; what it did not use is returned when it ends. Each answer says what it cost in its "
                    <code>"x-credits-charged"</code> " header, and what you have left in "
                    <code>"x-credits-remaining"</code> "."
                </li>
            </ul>
        </section>
    }
}

/// "For example, a request to `m` with 1,000 input tokens and 500 output
/// tokens costs 0.002 + 0.003 = 0.005 credits."
fn example_text(e: CostExample) -> impl IntoView {
    let credits = |micros: i64| format::credits(Credits::from_micros(micros));
    let total = credits(e.input_cost.saturating_add(e.output_cost));
    let sum = if e.output_tokens == 0 {
        format!(
            "{} input tokens costs {total} credits.",
            format::grouped(e.input_tokens)
        )
    } else {
        format!(
            "{} input tokens and {} output tokens costs {} + {} = {total} credits.",
            format::grouped(e.input_tokens),
            format::grouped(e.output_tokens),
            credits(e.input_cost),
            credits(e.output_cost),
        )
    };
    view! {
        <p class="models-example">
            "For example, a request to " <code>{e.model}</code> " with " {sum}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_show_as_credits_per_million_tokens() {
        assert_eq!(price(2_000_000), "2");
        assert_eq!(price(100_000), "0.1");
        assert_eq!(price(1_250_000_000), "1,250");
        assert_eq!(price(1), "0.000001");
        assert_eq!(price(0), "0");
    }
}
