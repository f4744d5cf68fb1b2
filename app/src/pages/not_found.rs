//! The page for addresses that match no route, served with HTTP 404.

use crate::components::ui::PageHeader;
use crate::href;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for any unknown address; sets the response status to 404 on the server.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found" />
        <section class="container page narrow not-found">
            <PageHeader
                eyebrow="404"
                title="We could not find that page"
                lead="The address may be mistyped, or the page may have moved."
            />
            <div class="actions">
                <A href="/" attr:class="button button-primary">
                    "Go to the home page"
                </A>
                <A href=href::datasets() attr:class="button">
                    "Browse datasets"
                </A>
            </div>
        </section>
    }
}
