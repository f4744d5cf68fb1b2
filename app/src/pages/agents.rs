//! The agent gallery (`/agents`: search, industries, paging, featured
//! first) and an agent's page (`/agents/{slug}`: what it does, example
//! prompts, linked datasets, model and price, and its request as code).
//! Public, rendered on the server, every state a URL: they work without
//! JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::load_error;
use crate::api::agents::{get_agent, list_agents, AgentCard, AgentView, GalleryView, PriceView};
use crate::api::playground::StartConversation;
use crate::components::form::{action_error, FormError};
use crate::components::pager::pager;
use crate::components::session::use_session;
use crate::components::snippets::CodeBlock;
use crate::components::ui::{Badge, EmptyState, PageHeader, Tone};
use crate::domain::agents::{GalleryParams, GalleryQuery};
use crate::format;
use crate::href;

/// `/agents`.
#[component]
pub fn AgentsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let query = query.read();
        let get = |name: &str| query.get(name).unwrap_or_default();
        GalleryParams {
            q: get("q"),
            industry: get("industry"),
            page: get("page"),
        }
    });
    let gallery = Resource::new(move || params.get(), list_agents);
    view! {
        <Title text="Agents" />
        <section class="container page">
            <PageHeader
                title="Agent gallery"
                lead="Industry agents built by the Lab: each pairs a model with careful instructions and, where useful, a dataset it can query. Try them in the browser with your credits, or call them from your code."
            />
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match gallery.await {
                        Ok(view) => gallery_view(view).into_any(),
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The gallery's URL for `query` with `industry` chosen (empty: any).
fn gallery_href(query: &GalleryQuery, industry: &str) -> String {
    href::with_query(
        href::agents(),
        &[("q", query.q.as_str()), ("industry", industry)],
    )
}

fn gallery_view(view: GalleryView) -> impl IntoView {
    let GalleryView {
        query,
        results,
        industries,
    } = view;
    let filtered = !query.q.is_empty() || query.industry.is_some();
    let industry_value = query
        .industry
        .map(|i| i.as_str().to_owned())
        .unwrap_or_default();
    let nav_params: Vec<(&'static str, String)> =
        vec![("q", query.q.clone()), ("industry", industry_value.clone())];
    let shown = if results.total == 0 {
        if filtered {
            view! {
                <EmptyState title="No agent matches">
                    <p>"Try other words, or another industry."</p>
                    <a class="button" href=href::agents()>
                        "Show every agent"
                    </a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No agents are published yet">
                    <p>
                        "Lab staff publish agents here as they are reviewed. Create an account now and you can try them as soon as they appear."
                    </p>
                    <a class="button button-primary" href=href::sign_up()>
                        "Create an account"
                    </a>
                </EmptyState>
            }
            .into_any()
        }
    } else {
        let nav = pager(&results, href::agents(), &nav_params);
        let count = if results.total == 1 {
            "1 agent".to_owned()
        } else {
            format!("{} agents", format::grouped(results.total))
        };
        view! {
            <p class="muted" role="status">
                {count}
            </p>
            <ul class="agent-grid">{results.items.into_iter().map(agent_card).collect_view()}</ul>
            {nav}
        }
        .into_any()
    };
    let any_chosen = query.industry.is_none();
    let all_link = gallery_href(&query, "");
    let industry_links = industries
        .into_iter()
        .map(|industry| {
            let link = gallery_href(&query, &industry.value);
            let current = industry.chosen.then_some("page");
            view! {
                <li>
                    <a href=link aria-current=current class:facet-chosen=industry.chosen>
                        <span>{industry.label}</span>
                        <span class="facet-count">{format::grouped(industry.count)}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <Form method="GET" action=href::agents() attr:class="filter-bar" attr:role="search">
            <div class="field">
                <label for="agent-q">"Search agents"</label>
                <input
                    id="agent-q"
                    name="q"
                    type="search"
                    value=query.q.clone()
                    placeholder="e.g. credit memo, delays, scrap"
                />
            </div>
            {(!industry_value.is_empty())
                .then(|| {
                    view! { <input type="hidden" name="industry" value=industry_value.clone() /> }
                })}
            <button type="submit" class="button">
                "Search"
            </button>
        </Form>
        <nav class="agent-industries" aria-label="Industries">
            <ul>
                <li>
                    <a
                        href=all_link
                        aria-current=any_chosen.then_some("page")
                        class:facet-chosen=any_chosen
                    >
                        "All industries"
                    </a>
                </li>
                {industry_links}
            </ul>
        </nav>
        {shown}
    }
}

/// "0.5 in · 1.5 out credits per million tokens".
fn price_text(price: &PriceView) -> String {
    format!(
        "{} in · {} out credits per million tokens",
        price.input, price.output
    )
}

fn agent_card(card: AgentCard) -> impl IntoView {
    let price = card
        .price
        .as_ref()
        .map_or_else(|| "Model unavailable now".to_owned(), price_text);
    view! {
        <li>
            <article class="card agent-card">
                <h2 class="agent-card-title">
                    <span class="agent-icon" aria-hidden="true">
                        {card.icon}
                    </span>
                    <a href=href::agent(&card.slug)>{card.name}</a>
                </h2>
                <p class="dataset-badges">
                    <Badge tone=Tone::Accent text=card.industry />
                    {card.featured.then(|| view! { <Badge tone=Tone::Good text="Featured" /> })}
                </p>
                <p>{card.summary}</p>
                <p class="muted agent-model">
                    <code>{card.model}</code>
                    {format!(" · {price}")}
                </p>
            </article>
        </li>
    }
}

/// `/agents/{slug}`.
#[component]
pub fn AgentPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let agent = Resource::new(move || slug.get(), get_agent);
    view! {
        <Suspense fallback=|| {
            view! {
                <section class="container page">
                    <p class="muted">"Loading…"</p>
                </section>
            }
        }>
            {move || Suspend::new(async move {
                match agent.await {
                    Ok(view) => agent_view(view).into_any(),
                    Err(e) => {
                        view! {
                            <Title text="Agent not found" />
                            <section class="container page">{load_error(e)}</section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn agent_view(agent: AgentView) -> impl IntoView {
    let AgentView {
        slug,
        name,
        industry,
        industry_value,
        summary,
        description_html,
        icon,
        model,
        price,
        temperature,
        top_p,
        max_tokens,
        opening_message,
        example_prompts,
        datasets,
        tools,
        version,
        preview,
        featured,
        code,
    } = agent;
    let industry_link = href::with_query(href::agents(), &[("industry", industry_value.as_str())]);
    let price_line = price.as_ref().map_or_else(
        || "This model is not served now, so the agent cannot be tried.".to_owned(),
        price_text,
    );
    let linked = if datasets.is_empty() {
        view! { <p class="muted">"This agent works from what you give it; it links no dataset."</p> }
            .into_any()
    } else {
        view! {
            <ul class="agent-datasets">
                {datasets
                    .into_iter()
                    .map(|d| {
                        view! {
                            <li>
                                <a href=href::dataset(&d.slug)>{d.title}</a>
                                <span class="muted">{format!(" — {}", d.summary)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {(!tools.is_empty())
                .then(|| {
                    view! {
                        <p class="muted">
                            {format!(
                                "Tools it may call over them: {}. Each call and its result are shown in the chat.",
                                tools.join(", "),
                            )}
                        </p>
                    }
                })}
        }
        .into_any()
    };
    view! {
        <Title text=name.clone() />
        <section class="container page agent-page">
            {preview
                .then(|| {
                    view! {
                        <p class="notice" role="note">
                            {format!(
                                "Preview of version {version}: only staff see it until it is published.",
                            )}
                        </p>
                    }
                })} <p class="agent-icon agent-icon-large" aria-hidden="true">
                {icon}
            </p> <PageHeader eyebrow="Agent" title=name.clone() lead=summary>
                <p class="dataset-badges">
                    <a href=industry_link class="badge-link">
                        <Badge tone=Tone::Accent text=industry />
                    </a>
                    {featured.then(|| view! { <Badge tone=Tone::Good text="Featured" /> })}
                    <Badge tone=Tone::Neutral text=format!("Version {version}") />
                </p>
            </PageHeader> <div class="dataset-layout">
                <div class="agent-main">
                    <TryIt slug=slug.clone() name=name.clone() available=price.is_some() />
                    <section aria-labelledby="agent-what">
                        <h2 id="agent-what">"What it does"</h2>
                        <div class="dataset-card-body prose" inner_html=description_html></div>
                    </section>
                    <section aria-labelledby="agent-examples">
                        <h2 id="agent-examples">"Things to ask it"</h2>
                        {(!opening_message.is_empty())
                            .then(|| {
                                view! {
                                    <blockquote class="agent-opening">{opening_message}</blockquote>
                                }
                            })}
                        <ul class="agent-examples">
                            {example_prompts
                                .into_iter()
                                .map(|prompt| view! { <li>{prompt}</li> })
                                .collect_view()}
                        </ul>
                    </section>
                    <section aria-labelledby="agent-code">
                        <h2 id="agent-code">"Call it from your code"</h2>
                        <p class="muted">
                            "The same request the agent makes, sent to the API with your key: its system prompt and parameters, and the first example as the question."
                        </p>
                        {code
                            .into_iter()
                            .map(|(language, code)| {
                                view! { <CodeBlock label=language code=code /> }
                            })
                            .collect_view()}
                    </section>
                </div>
                <aside class="dataset-meta agent-aside" aria-label="Model and data">
                    <section>
                        <h2>"Model and price"</h2>
                        <p>
                            <code>{model}</code>
                        </p>
                        <p>{price_line}</p>
                        <dl class="agent-parameters">
                            <dt>"Temperature"</dt>
                            <dd>{temperature.to_string()}</dd>
                            <dt>"Top p"</dt>
                            <dd>{top_p.to_string()}</dd>
                            <dt>"Longest reply"</dt>
                            <dd>{format!("{} tokens", format::grouped(i64::from(max_tokens)))}</dd>
                        </dl>
                    </section>
                    <section>
                        <h2>"Linked datasets"</h2>
                        {linked}
                    </section>
                </aside>
            </div>
        </section>
    }
}

/// "Try it": a conversation started for a signed-in user; a visitor is
/// asked to sign in first (and brought back).
#[component]
fn TryIt(slug: String, name: String, available: bool) -> impl IntoView {
    let start = ServerAction::<StartConversation>::new();
    let error = action_error(start.value());
    let user = use_session().user;
    let back = href::sign_in_then(&href::agent(&slug));
    view! {
        <section class="agent-try" aria-labelledby="agent-try">
            <h2 id="agent-try">"Try it"</h2>
            {if available {
                view! {
                    <Suspense fallback=|| ()>
                        {
                            let (slug, back, name) = (slug.clone(), back.clone(), name.clone());
                            Suspend::new(async move {
                                match user.await {
                                    Ok(Some(_)) => {
                                        view! {
                                            <FormError error=error />
                                            <ActionForm action=start>
                                                <input type="hidden" name="slug" value=slug />
                                                <button type="submit" class="button button-primary">
                                                    {format!("Chat with {name}")}
                                                </button>
                                            </ActionForm>
                                            <p class="muted">
                                                "Each reply is charged to your credits; you see its cost as it is written."
                                            </p>
                                        }
                                            .into_any()
                                    }
                                    _ => {
                                        view! {
                                            <p>
                                                <a class="button button-primary" href=back>
                                                    "Sign in to chat with it"
                                                </a>
                                            </p>
                                        }
                                            .into_any()
                                    }
                                }
                            })
                        }
                    </Suspense>
                }
                    .into_any()
            } else {
                view! {
                    <p class="muted">"Its model cannot be used now, so it cannot be tried."</p>
                }
                    .into_any()
            }}
        </section>
    }
}
