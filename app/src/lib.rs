//! Lab Portal's user interface: the page shell, routes, pages and components,
//! rendered on the server and hydrated in the browser.

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
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::components::{footer::SiteFooter, header::SiteHeader};
use crate::pages::{
    admin,
    auth::{
        CheckEmailPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage,
        VerifyEmailPage,
    },
    catalog::{AgentsPage, DatasetsPage},
    credits::CreditsPage,
    dashboard::DashboardPage,
    home::HomePage,
    keys::KeysPage,
    models::ModelsPage,
    not_found::NotFoundPage,
    onboarding::OnboardingPage,
    profile::ProfilePage,
    usage::UsagePage,
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
    #[cfg(feature = "ssr")]
    set_security_headers();

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
                    <Route path=path!("/models") view=ModelsPage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/signup") view=SignUpPage />
                    <Route path=path!("/signup/check-email") view=CheckEmailPage />
                    <Route path=path!("/verify-email") view=VerifyEmailPage />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=ResetPasswordPage />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/credits") view=CreditsPage ssr=SsrMode::Async />
                    <Route path=path!("/keys") view=KeysPage ssr=SsrMode::Async />
                    <Route path=path!("/usage") view=UsagePage ssr=SsrMode::Async />
                    <Route path=path!("/onboarding") view=OnboardingPage ssr=SsrMode::Async />
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=admin::AdminHomePage ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/users")
                        view=admin::AdminUsersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/users/:id")
                        view=admin::AdminUserPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/applications")
                        view=admin::AdminApplicationsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/credits")
                        view=admin::AdminCreditsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/credits/bulk")
                        view=admin::AdminBulkCreditsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/models")
                        view=admin::AdminModelsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/models/new")
                        view=admin::AdminNewModelPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/models/providers/new")
                        view=admin::AdminNewProviderPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/models/providers/:id")
                        view=admin::AdminEditProviderPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/models/:id")
                        view=admin::AdminEditModelPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/outbox")
                        view=admin::AdminOutboxPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/audit")
                        view=admin::AdminAuditPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
            <SiteFooter />
        </Router>
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

/// Entry point of the WebAssembly bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
