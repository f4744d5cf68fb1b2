//! Public catalog pages: the agent gallery and the dataset catalog.

use crate::href;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The public gallery of industry agents.
#[component]
pub fn AgentsPage() -> impl IntoView {
    view! {
        <Title text="Agents" />
        <section class="container page">
            <h1>"Agent gallery"</h1>
            <p class="lead">
                "Industry agents built by the Lab: each one pairs a model with instructions and, where useful, a dataset. Try them in the browser with your credits."
            </p>
            <EmptyState
                title="No agents are published yet"
                body="Lab staff publish agents here as they are reviewed. Create an account now and you will be able to try them as soon as they appear."
            />
        </section>
    }
}

/// The public catalog of curated datasets.
#[component]
pub fn DatasetsPage() -> impl IntoView {
    view! {
        <Title text="Datasets" />
        <section class="container page">
            <h1>"Dataset catalog"</h1>
            <p class="lead">
                "Curated datasets for industry AI work, each with a card describing its source, license, schema and a preview."
            </p>
            <EmptyState
                title="No datasets are published yet"
                body="Datasets appear here once Lab staff have curated and published them."
            />
        </section>
    }
}

/// What a list shows when it has nothing to show, with a way forward.
#[component]
fn EmptyState(title: &'static str, body: &'static str) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <h2>{title}</h2>
            <p>{body}</p>
            <A href=href::sign_up() attr:class="button button-primary">
                "Create an account"
            </A>
        </div>
    }
}
