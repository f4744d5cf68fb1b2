//! Lab Portal's user interface: the page shell, routes, pages and components,
//! rendered on the server and hydrated in the browser.

// Hydrating a lazily loaded page asynchronously nests the types of its whole
// view in one future, deeper than the compiler's default limit.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod format;
pub mod href;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{provide_meta_context, Link, Meta, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::components::{footer::SiteFooter, header::SiteHeader};
use crate::pages::{
    agents::{AgentPage, AgentsPage},
    auth::{
        CheckEmailPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage,
        VerifyEmailPage,
    },
    dataset_viewer::DatasetViewerPage,
    datasets::{DatasetPage, DatasetsPage},
    home::HomePage,
    lazy,
    models::ModelsPage,
    not_found::NotFoundPage,
    organizations::InvitationPage,
};

/// The HTML document every page is rendered into on the server.
#[cfg(feature = "ssr")]
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    let bundle = Bundle::current();
    let script = bundle.script();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" href=bundle.css />
                <link rel="modulepreload" href=bundle.js />
                {bundle
                    .loader
                    .clone()
                    .map(|loader| view! { <link rel="modulepreload" href=loader /> })}
                // `crossorigin` (anonymous) as the fetch that uses it, or the
                // browser fetches the WebAssembly twice.
                <link
                    rel="preload"
                    href=bundle.wasm
                    r#as="fetch"
                    r#type="application/wasm"
                    crossorigin=""
                />
                {server::kept_form_cookie::restore_error_script()
                    .map(|script| {
                        view! { <script nonce=leptos::nonce::use_nonce()>{script}</script> }
                    })}
                <script type="module" nonce=leptos::nonce::use_nonce()>
                    {script}
                </script>
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
    #[cfg(feature = "ssr")]
    set_security_headers();

    view! {
        <Link rel="icon" href="/favicon.ico" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Lab Portal".to_owned() } else { format!("{page} · Lab Portal") }
        } />
        <Meta
            name="description"
            content="The developer portal of the AI Innovation Lab: token credits, curated datasets, industry AI agents and an OpenAI-compatible API."
        />
        <Router>
            <Layout />
        </Router>
    }
}

/// Everything under the router: the session the header and guarded pages
/// share, the skip link, header, routed page and footer.
#[component]
fn Layout() -> impl IntoView {
    components::session::provide_session();
    let announced = announce_navigation();
    clean_error_from_address();
    view! {
        <a class="skip-link" href="#main" on:click=skip_to_main>
            "Skip to content"
        </a>
        <p class="visually-hidden" aria-live="polite" aria-atomic="true">
            {announced}
        </p>
        <SiteHeader />
        <main id="main" tabindex="-1">
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/agents") view=AgentsPage ssr=SsrMode::Async />
                <Route path=path!("/agents/:slug") view=AgentPage ssr=SsrMode::Async />
                <Route path=path!("/datasets") view=DatasetsPage ssr=SsrMode::Async />
                <Route path=path!("/datasets/:slug") view=DatasetPage ssr=SsrMode::Async />
                <Route
                    path=path!("/datasets/:slug/v/:version")
                    view=DatasetPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/datasets/:slug/viewer")
                    view=DatasetViewerPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/datasets/:slug/v/:version/viewer")
                    view=DatasetViewerPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/models") view=ModelsPage ssr=SsrMode::Async />
                <Route path=path!("/signin") view=SignInPage />
                <Route path=path!("/signup") view=SignUpPage />
                <Route path=path!("/signup/check-email") view=CheckEmailPage />
                <Route path=path!("/verify-email") view=VerifyEmailPage />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                <Route path=path!("/reset-password") view=ResetPasswordPage />
                <Route path=path!("/dashboard") view=lazy::dashboard() ssr=SsrMode::Async />
                <Route path=path!("/credits") view=lazy::credits() ssr=SsrMode::Async />
                <Route path=path!("/keys") view=lazy::keys() ssr=SsrMode::Async />
                <Route path=path!("/orgs") view=lazy::organizations() ssr=SsrMode::Async />
                <Route path=path!("/orgs/:slug") view=lazy::organization() ssr=SsrMode::Async />
                <Route
                    path=path!("/orgs/:slug/keys")
                    view=lazy::organization_keys()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/orgs/:slug/usage")
                    view=lazy::organization_usage()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/orgs/:slug/audit")
                    view=lazy::organization_audit()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/orgs/:slug/webhooks")
                    view=lazy::organization_webhooks()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/notifications") view=lazy::notifications() ssr=SsrMode::Async />
                <Route
                    path=path!("/notifications/:id")
                    view=lazy::notification()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/settings/notifications")
                    view=lazy::notification_settings()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/invitations/:token") view=InvitationPage ssr=SsrMode::Async />
                <Route
                    path=path!("/institutions/:slug")
                    view=lazy::institution()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/courses/:slug") view=lazy::course() ssr=SsrMode::Async />
                <Route
                    path=path!("/courses/:slug/usage")
                    view=lazy::course_usage()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/courses/:slug/students/:id")
                    view=lazy::course_student()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/courses/:slug/audit")
                    view=lazy::course_audit()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/join") view=lazy::join() ssr=SsrMode::Async />
                <Route path=path!("/join/:code") view=lazy::join() ssr=SsrMode::Async />
                <Route path=path!("/usage") view=lazy::usage() ssr=SsrMode::Async />
                <Route path=path!("/support") view=lazy::support() ssr=SsrMode::Async />
                <Route path=path!("/support/new") view=lazy::support_new() ssr=SsrMode::Async />
                <Route
                    path=path!("/support/:number")
                    view=lazy::support_request()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/playground") view=lazy::playground() ssr=SsrMode::Async />
                <Route path=path!("/playground/:id") view=lazy::conversation() ssr=SsrMode::Async />
                <Route path=path!("/shared/:token") view=lazy::shared() ssr=SsrMode::Async />
                <Route path=path!("/onboarding") view=lazy::onboarding() ssr=SsrMode::Async />
                <Route path=path!("/profile") view=lazy::profile() ssr=SsrMode::Async />
                <Route path=path!("/admin") view=lazy::admin_home() ssr=SsrMode::Async />
                <Route path=path!("/design") view=lazy::design() ssr=SsrMode::Async />
                <Route path=path!("/admin/agents") view=lazy::admin_agents() ssr=SsrMode::Async />
                <Route
                    path=path!("/admin/agents/:slug")
                    view=lazy::admin_agent()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/users") view=lazy::admin_users() ssr=SsrMode::Async />
                <Route
                    path=path!("/admin/organizations")
                    view=lazy::admin_organizations()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/institutions")
                    view=lazy::admin_institutions()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/users/:id") view=lazy::admin_user() ssr=SsrMode::Async />
                <Route
                    path=path!("/admin/applications")
                    view=lazy::admin_applications()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/datasets/access")
                    view=lazy::admin_dataset_access()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/datasets")
                    view=lazy::admin_datasets()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/datasets/new")
                    view=lazy::admin_new_dataset()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/datasets/:slug")
                    view=lazy::admin_dataset()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/credits") view=lazy::admin_credits() ssr=SsrMode::Async />
                <Route
                    path=path!("/admin/credits/bulk")
                    view=lazy::admin_bulk_credits()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/models") view=lazy::admin_models() ssr=SsrMode::Async />
                <Route
                    path=path!("/admin/models/new")
                    view=lazy::admin_new_model()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/models/providers/new")
                    view=lazy::admin_new_provider()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/models/providers/:id")
                    view=lazy::admin_edit_provider()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/models/:id")
                    view=lazy::admin_edit_model()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/outbox") view=lazy::admin_outbox() ssr=SsrMode::Async />
                <Route path=path!("/admin/support") view=lazy::admin_support() ssr=SsrMode::Async />
                <Route
                    path=path!("/admin/support/canned")
                    view=lazy::admin_support_canned()
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/support/:number")
                    view=lazy::admin_support_request()
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/audit") view=lazy::admin_audit() ssr=SsrMode::Async />
            </Routes>
        </main>
        <SiteFooter />
    }
}

/// Moves focus to the page's content. The router would treat `#main` as a
/// navigation and leave focus where it was.
fn skip_to_main(event: leptos::ev::MouseEvent) {
    event.prevent_default();
    focus_main();
}

fn focus_main() {
    use leptos::wasm_bindgen::JsCast;
    if let Some(main) = document()
        .get_element_by_id("main")
        .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    {
        let _ = main.focus();
    }
}

/// Once hydrated, takes a failed plain post's error parameters (`__path`,
/// `__err`, restored for hydration) out of the address bar again.
fn clean_error_from_address() {
    Effect::new(move |_| {
        let location = window().location();
        let (Ok(path), Ok(search), Ok(hash)) =
            (location.pathname(), location.search(), location.hash())
        else {
            return;
        };
        if !search.contains("__err=") {
            return;
        }
        let kept: Vec<&str> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| !pair.starts_with("__err=") && !pair.starts_with("__path="))
            .collect();
        let query = if kept.is_empty() {
            String::new()
        } else {
            format!("?{}", kept.join("&"))
        };
        if let Ok(history) = window().history() {
            let state = history
                .state()
                .unwrap_or(leptos::wasm_bindgen::JsValue::NULL);
            let _ =
                history.replace_state_with_url(&state, "", Some(&format!("{path}{query}{hash}")));
        }
    });
}

/// After each in-app navigation (not the first page), focus moves to the
/// new page's content and its title is announced, as a full page load
/// would. Returns the announcement.
fn announce_navigation() -> ReadSignal<String> {
    let (announced, announce) = signal(String::new());
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            // The new page sets its title as it renders.
            set_timeout(
                move || {
                    focus_main();
                    announce.set(document().title());
                },
                std::time::Duration::from_millis(100),
            );
        }
        path
    });
    announced
}

/// The browser bundle's paths, fingerprinted when the site was bundled with
/// `lab-portal assets`.
#[cfg(feature = "ssr")]
struct Bundle {
    js: String,
    wasm: String,
    css: String,
    /// The split chunks' loader, which the script imports.
    loader: Option<String>,
}

#[cfg(feature = "ssr")]
impl Bundle {
    fn current() -> Self {
        let assets = use_context::<server::state::AppState>()
            .map(|state| (*state.assets).clone())
            .unwrap_or_default();
        Self {
            js: format!("/pkg/{}", assets.js),
            wasm: format!("/pkg/{}", assets.wasm),
            css: format!("/pkg/{}", assets.css),
            loader: assets.loader.map(|loader| format!("/pkg/{loader}")),
        }
    }

    /// Loads the bundle and hydrates the page.
    fn script(&self) -> String {
        let js = serde_json::to_string(&self.js).unwrap_or_default();
        let wasm = serde_json::to_string(&self.wasm).unwrap_or_default();
        format!(
            "import({js}).then(m => m.default({{module_or_path: {wasm}}}).then(() => m.hydrate()));"
        )
    }
}

/// A Content-Security-Policy allowing only this origin's scripts, the
/// hydration script carrying this response's nonce, and WebAssembly.
#[cfg(feature = "ssr")]
fn set_security_headers() {
    use http::header::{HeaderName, HeaderValue};
    let (Some(response), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(HeaderName::from_static("content-security-policy"), value);
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

/// Entry point of the WebAssembly bundle: hydrates the server-rendered page
/// once the chunk of a lazily loaded page ([`pages::lazy`]) is in.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(App);
}
