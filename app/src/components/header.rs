//! The site header: brand, primary navigation and account links.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::api::accounts::{current_user, SessionUser, SignOut};
use crate::href;

/// Site-wide header. On narrow screens the navigation collapses behind a
/// menu button once the page is hydrated; without JavaScript it stays open.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let (open, set_open) = signal(false);
    // Close the menu after navigating, so the new page is not hidden behind it.
    let location = use_location();
    Effect::new(move |_| {
        location.pathname.track();
        set_open.set(false);
    });

    view! {
        <header class="site-header">
            <div class="container header-bar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">
                        "◆"
                    </span>
                    <span>"Lab Portal"</span>
                </A>
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded=move || if open.get() { "true" } else { "false" }
                    on:click=move |_| set_open.update(|o| *o = !*o)
                >
                    <span class="visually-hidden">"Menu"</span>
                    <span aria-hidden="true" class="menu-icon"></span>
                </button>
                <nav id="site-nav" class="site-nav" class:open=open aria-label="Main">
                    <ul class="nav-links">
                        <li>
                            <A href=href::agents()>"Agents"</A>
                        </li>
                        <li>
                            <A href=href::datasets()>"Datasets"</A>
                        </li>
                        <li>
                            <A href=href::models()>"Models"</A>
                        </li>
                        <li>
                            <a href="/#credits">"Credits"</a>
                        </li>
                        <li>
                            <a href="/#universities">"Universities"</a>
                        </li>
                    </ul>
                    <AccountLinks />
                </nav>
            </div>
        </header>
    }
}

/// Sign-in links for visitors; dashboard, profile and sign-out for members.
///
/// The lookup blocks the first chunk of the page, so the links are in the
/// HTML itself and work without JavaScript.
#[component]
fn AccountLinks() -> impl IntoView {
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    // Re-read after every navigation (signing in ends in one) and after
    // signing out, which may land on the page already shown.
    let user = Resource::new_blocking(
        move || (location.pathname.get(), sign_out.version().get()),
        |_| current_user(),
    );
    view! {
        <Suspense fallback=visitor_links>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => member_links(u, sign_out).into_any(),
                    _ => visitor_links().into_any(),
                }
            })}
        </Suspense>
    }
}

fn visitor_links() -> impl IntoView {
    view! {
        <ul class="nav-account">
            <li>
                <A href=href::sign_in()>"Sign in"</A>
            </li>
            <li>
                <A href=href::sign_up() attr:class="button button-primary">
                    "Sign up"
                </A>
            </li>
        </ul>
    }
}

fn member_links(user: SessionUser, sign_out: ServerAction<SignOut>) -> impl IntoView {
    view! {
        <ul class="nav-account">
            {user
                .is_admin
                .then(|| {
                    view! {
                        <li>
                            <A href=href::admin()>"Admin"</A>
                        </li>
                    }
                })} <li>
                <A href=href::dashboard()>"Dashboard"</A>
            </li> <li>
                <A href=href::keys()>"API keys"</A>
            </li> <li>
                <A href=href::usage()>"Usage"</A>
            </li> <li>
                <A href=href::profile() attr:title=user.email.clone()>
                    {user.display_name.clone()}
                </A>
            </li> <li>
                <ActionForm action=sign_out attr:class="inline">
                    <button type="submit" class="button">
                        "Sign out"
                    </button>
                </ActionForm>
            </li>
        </ul>
    }
}
