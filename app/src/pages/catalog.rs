//! Public catalog pages: the agent gallery (the dataset catalog is
//! `pages/datasets.rs`).

use crate::components::ui::{EmptyState, PageHeader};
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
            <PageHeader
                title="Agent gallery"
                lead="Industry agents built by the Lab: each one pairs a model with instructions and, where useful, a dataset. Try them in the browser with your credits."
            />
            <EmptyState title="No agents are published yet">
                <p>
                    "Lab staff publish agents here as they are reviewed. Create an account now and you will be able to try them as soon as they appear."
                </p>
                <SignUpLink />
            </EmptyState>
        </section>
    }
}

/// The way forward from an empty catalog.
#[component]
fn SignUpLink() -> impl IntoView {
    view! {
        <A href=href::sign_up() attr:class="button button-primary">
            "Create an account"
        </A>
    }
}
