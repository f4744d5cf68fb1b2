//! Lab Portal's user interface: the page shell, routes, pages and components,
//! rendered on the server and hydrated in the browser.

pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::components::{footer::SiteFooter, header::SiteHeader};
use crate::pages::{
    auth::{SignInPage, SignUpPage},
    catalog::{AgentsPage, DatasetsPage},
    home::HomePage,
    not_found::NotFoundPage,
};

/// The HTML document every page is rendered into on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: document metadata, layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();

    view! {
        <Stylesheet id="leptos" href="/pkg/lab-portal.css" />
        <Link rel="icon" href="/favicon.ico" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Lab Portal".to_owned() } else { format!("{page} · Lab Portal") }
        } />
        <Meta
            name="description"
            content="The developer portal of the AI Innovation Lab: token credits, curated datasets, industry AI agents and an OpenAI-compatible API."
        />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <SiteHeader />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/agents") view=AgentsPage />
                    <Route path=path!("/datasets") view=DatasetsPage />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/signup") view=SignUpPage />
                </Routes>
            </main>
            <SiteFooter />
        </Router>
    }
}

/// Marks `<body data-hydrated>` once the browser has taken over the page.
///
/// Styles use it to switch to JavaScript-only affordances (the collapsible
/// menu), and browser tests wait for it before they click.
fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            // Failing to set a marker attribute changes nothing a user sees.
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Entry point of the WebAssembly bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
