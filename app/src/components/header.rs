//! The site header: one row. Visitors see the public pages and sign-in
//! links; signed-in people see their own pages, their balance and an
//! account menu.

use leptos::ev;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::api::accounts::SessionUser;
use crate::api::notifications::unread_notifications;
use crate::components::session::{use_session, Session};
use crate::domain::credits::Credits;
use crate::{format, href};

/// Site-wide header. On narrow screens the navigation collapses behind a
/// menu button once the page is hydrated (Escape closes it); without
/// JavaScript it stays open.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let (open, set_open) = signal(false);
    let toggle = NodeRef::<leptos::html::Button>::new();
    // Close the menu after navigating, so the new page is not hidden behind it.
    let location = use_location();
    let (pathname, search) = (location.pathname, location.search);
    Effect::new(move |_| {
        location.pathname.track();
        set_open.set(false);
    });
    let escape = window_event_listener(ev::keydown, move |event| {
        if event.key() == "Escape" && open.get_untracked() {
            set_open.set(false);
            if let Some(button) = toggle.get_untracked() {
                // Focus returns to the button that opened the menu.
                let _ = button.focus();
            }
        }
    });
    on_cleanup(move || escape.remove());
    let session = use_session();
    // The bell's count, read again on every navigation (opening a
    // notification or marking all read lands on a new address), and only
    // for someone signed in. Blocking, as the session is: without
    // JavaScript the count is in the HTML.
    let unread = Resource::new_blocking(
        move || (pathname.get(), search.get()),
        move |_| async move {
            match session.user.await {
                Ok(Some(_)) => unread_notifications().await,
                _ => Ok(0),
            }
        },
    );

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
                    node_ref=toggle
                    aria-controls="site-nav"
                    aria-expanded=move || if open.get() { "true" } else { "false" }
                    on:click=move |_| set_open.update(|o| *o = !*o)
                >
                    <span class="visually-hidden">"Menu"</span>
                    <span aria-hidden="true" class="menu-icon"></span>
                </button>
                <nav id="site-nav" class="site-nav" class:open=open aria-label="Main">
                    <Suspense fallback=visitor_links>
                        {move || Suspend::new(async move {
                            match session.user.await {
                                Ok(Some(user)) => {
                                    let unread = unread.await.unwrap_or(0);
                                    member_links(user, session, unread).into_any()
                                }
                                _ => visitor_links().into_any(),
                            }
                        })}
                    </Suspense>
                </nav>
            </div>
        </header>
    }
}

fn visitor_links() -> impl IntoView {
    view! {
        <ul class="nav-links">
            <li>
                <A href=href::agents()>"Agents"</A>
            </li>
            <li>
                <A href=href::datasets()>"Datasets"</A>
            </li>
            <li>
                <A href=href::models()>"Models & pricing"</A>
            </li>
            <li>
                <a href="/#universities">"Universities"</a>
            </li>
        </ul>
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

fn member_links(user: SessionUser, session: Session, unread: i64) -> impl IntoView {
    let balance = format::credits_brief(Credits::from_micros(user.available));
    let sign_out = session.sign_out;
    let acting = (!user.organizations.is_empty()).then(|| acting_for(&user, session));
    view! {
        <ul class="nav-links">
            <li>
                <A href=href::dashboard()>"Dashboard"</A>
            </li>
            <li>
                <A href=href::keys()>"Keys"</A>
            </li>
            <li>
                <A href=href::usage()>"Usage"</A>
            </li>
            <li>
                <A href=href::credits()>"Credits"</A>
            </li>
            <li>
                <A href=href::organizations()>"Organizations"</A>
            </li>
            {user
                .is_admin
                .then(|| {
                    view! {
                        <li>
                            <A href=href::admin()>"Admin"</A>
                        </li>
                    }
                })}
        </ul>
        <ul class="nav-account">
            {acting} <li>{bell(unread)}</li> <li>
                <A
                    href=href::credits()
                    attr:class="balance-pill"
                    attr:title="Credits you can spend"
                >
                    <span class="visually-hidden">"Balance: "</span>
                    {balance}
                    <span class="balance-unit">" credits"</span>
                </A>
            </li> <li>
                <details class="account-menu">
                    <summary>
                        <span class="visually-hidden">"Account: "</span>
                        <span class="account-name">{user.display_name.clone()}</span>
                    </summary>
                    <div class="account-menu-panel">
                        <p class="account-menu-email">{user.email.clone()}</p>
                        <A href=href::profile()>"Profile"</A>
                        <A href=href::support()>"Support requests"</A>
                        <ActionForm action=sign_out attr:class="inline">
                            <button type="submit" class="button">
                                "Sign out"
                            </button>
                        </ActionForm>
                    </div>
                </details>
            </li>
        </ul>
    }
}

/// The bell: a link to the notifications whose name says how many are
/// unread ("Notifications, 3 unread"); the count shows beside it.
fn bell(unread: i64) -> impl IntoView {
    let label = match unread {
        0 => "Notifications".to_owned(),
        n => format!("Notifications, {n} unread"),
    };
    let shown = match unread {
        0 => None,
        1..=99 => Some(unread.to_string()),
        _ => Some("99+".to_owned()),
    };
    view! {
        <A
            href=href::notifications()
            attr:class="bell"
            attr:aria-label=label.clone()
            attr:title=label
        >
            <svg class="bell-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
            </svg>
            {shown
                .map(|n| {
                    view! {
                        <span class="bell-count" aria-hidden="true">
                            {n}
                        </span>
                    }
                })}
        </A>
    }
}

/// Which organization the person acts for, and the switch to another (or
/// to themselves): a form that works without JavaScript, coming back to
/// the page it was sent from.
fn acting_for(user: &SessionUser, session: Session) -> impl IntoView {
    let location = use_location();
    let back = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    let current = user.acting_for.clone().unwrap_or_default();
    let acting_name = user
        .acting()
        .map_or_else(|| "Personal".to_owned(), |o| o.name.clone());
    let options = user
        .organizations
        .iter()
        .map(|org| {
            let selected = org.slug == current;
            view! {
                <option value=org.slug.clone() selected=selected>
                    {org.name.clone()}
                </option>
            }
        })
        .collect_view();
    view! {
        <li class="acting-for">
            <ActionForm action=session.switch attr:class="acting-for-form">
                <label for="acting-for">
                    "Acting for"
                    <span class="visually-hidden">{format!(" (now: {acting_name})")}</span>
                </label>
                <select id="acting-for" name="slug">
                    <option value="" selected=current.is_empty()>
                        "Personal"
                    </option>
                    {options}
                </select>
                <input type="hidden" name="back" value=back />
                <button type="submit" class="button button-small">
                    "Switch"
                </button>
            </ActionForm>
        </li>
    }
}
