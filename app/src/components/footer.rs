//! The site footer.

use crate::href;
use leptos::prelude::*;
use leptos_router::components::A;

/// Site-wide footer with secondary navigation.
#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-grid">
                <div>
                    <p class="brand">"Lab Portal"</p>
                    <p class="muted">
                        "The developer portal of the AI Innovation Lab: credits, datasets, agents and an OpenAI-compatible API in one place."
                    </p>
                </div>
                <nav aria-label="Footer">
                    <ul>
                        <li>
                            <A href=href::agents()>"Agent gallery"</A>
                        </li>
                        <li>
                            <A href=href::datasets()>"Dataset catalog"</A>
                        </li>
                        <li>
                            <a href="/#api">"The API"</a>
                        </li>
                        <li>
                            <A href=href::sign_up()>"Create an account"</A>
                        </li>
                        <li>
                            <A href=href::support_new()>"Get help"</A>
                        </li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}
