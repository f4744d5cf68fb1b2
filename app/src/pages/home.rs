//! The landing page: what the Lab offers and how to start.

use crate::href;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

const INDUSTRIES: [(&str, &str); 6] = [
    (
        "Finance",
        "Reconciliation, credit memos, regulatory summaries.",
    ),
    (
        "Healthcare",
        "Clinical note structuring, coding assistance, triage scripts.",
    ),
    (
        "Logistics",
        "Shipment exceptions, route notes, customs paperwork.",
    ),
    (
        "Manufacturing",
        "Maintenance logs, quality reports, work instructions.",
    ),
    (
        "Retail",
        "Catalogue enrichment, support replies, demand notes.",
    ),
    (
        "Energy",
        "Grid incident reports, field inspections, tariff questions.",
    ),
];

const QUICKSTART: &str = r#"curl https://<this portal>/v1/chat/completions \
  -H "Authorization: Bearer $LAB_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"model": "<model id>", "messages": [{"role": "user", "content": "Hello"}]}'"#;

/// The public landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="hero">
            <div class="container">
                <p class="eyebrow">"AI Innovation Lab"</p>
                <h1>"Build with AI models, datasets and agents — paid for in credits."</h1>
                <p class="lead">
                    "Lab Portal is where developers, businesses and university cohorts get token credits, explore curated datasets, try industry agents and call models through one OpenAI-compatible API."
                </p>
                <div class="actions">
                    <A href=href::sign_up() attr:class="button button-primary button-large">
                        "Create your account"
                    </A>
                    <A href=href::agents() attr:class="button button-large">
                        "Browse agents"
                    </A>
                </div>
            </div>
        </section>

        <section class="container features" aria-labelledby="offer-heading">
            <h2 id="offer-heading">"What the Lab gives you"</h2>
            <ul class="card-grid">
                <li class="card" id="credits">
                    <h3>"Token credits"</h3>
                    <p>
                        "Approved members receive credits that pay for model calls. Every token is metered, every movement is recorded in a ledger you can read, and a request you cannot afford is refused before it runs — never billed after."
                    </p>
                </li>
                <li class="card">
                    <h3>"Curated datasets"</h3>
                    <p>
                        "Datasets chosen for industry work, each with a card describing its source, license, schema and a preview, so you know what you are downloading before you accept its license."
                    </p>
                </li>
                <li class="card">
                    <h3>"Industry agents"</h3>
                    <p>
                        "Ready-made agents for finance, healthcare, logistics, manufacturing, retail and energy. Try them in the browser with your credits, then call the same models from your code."
                    </p>
                </li>
                <li class="card" id="universities">
                    <h3>"Cohorts for universities"</h3>
                    <p>
                        "Coordinators create cohorts, invite students by link, code or CSV, give each student an allocation from the institution's pool, and follow usage through the term."
                    </p>
                </li>
            </ul>
        </section>

        <section class="container how" aria-labelledby="how-heading">
            <h2 id="how-heading">"How it works"</h2>
            <ol class="steps">
                <li>
                    <h3>"Sign up and tell us what you build"</h3>
                    <p>"Verify your email and send a short onboarding application."</p>
                </li>
                <li>
                    <h3>"Get approved, receive credits"</h3>
                    <p>"Lab staff review applications; approval comes with starter credits."</p>
                </li>
                <li>
                    <h3>"Create an API key"</h3>
                    <p>"Keys can carry their own spend cap and rate limits."</p>
                </li>
                <li>
                    <h3>"Call models"</h3>
                    <p>"Use any OpenAI client: only the base URL and the key change."</p>
                </li>
            </ol>
        </section>

        <section class="container api" id="api" aria-labelledby="api-heading">
            <h2 id="api-heading">"One API, the one you already know"</h2>
            <p>
                "The inference endpoint speaks the OpenAI wire format — chat completions with streaming, embeddings and the model list — so existing SDKs and tools work unchanged."
            </p>
            <pre class="code" tabindex="0" aria-label="Example request">
                <code>{QUICKSTART}</code>
            </pre>
        </section>

        <section class="container industries" aria-labelledby="industries-heading">
            <h2 id="industries-heading">"Built for six industries"</h2>
            <ul class="industry-list">
                {INDUSTRIES
                    .iter()
                    .map(|(name, examples)| {
                        view! {
                            <li>
                                <strong>{*name}</strong>
                                <span class="muted">{*examples}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
