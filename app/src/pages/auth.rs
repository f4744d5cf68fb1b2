//! Sign-in and sign-up pages.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Sign in to an existing account.
#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <section class="container page narrow">
            <h1>"Sign in"</h1>
            <p class="notice" role="status">
                "Accounts are not open yet on this installation. The Lab will announce when sign-in is available."
            </p>
            <p>
                "New here? " <A href="/signup">"Read about creating an account"</A> "."
            </p>
        </section>
    }
}

/// Create a new account.
#[component]
pub fn SignUpPage() -> impl IntoView {
    view! {
        <Title text="Sign up" />
        <section class="container page narrow">
            <h1>"Create your account"</h1>
            <p class="notice" role="status">
                "Registration is not open yet on this installation."
            </p>
            <p>
                "When it opens you will sign up with your email, verify it, and send a short onboarding application; approved members receive starter credits."
            </p>
        </section>
    }
}
