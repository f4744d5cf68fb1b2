//! Pages that need a signed-in user (or an admin).

use leptos::prelude::*;
#[cfg(not(feature = "ssr"))]
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::api::accounts::SessionUser;
use crate::components::session::use_session;
use crate::components::ui::PageHeader;

/// Renders `children` with the signed-in user; anonymous visitors are sent
/// to sign in (and brought back afterwards). With `admin`, non-admins see a
/// refusal. The server functions behind each page check again on their own.
#[component]
pub fn RequireUser<V: IntoView + 'static>(
    #[prop(optional)] admin: bool,
    children: impl Fn(SessionUser) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    let user = use_session().user;
    // A `Suspend` on its own, not inside a reactive closure: the server
    // walks a Suspense's children once to find their resources and then
    // renders them, and a closure would be called for each, building the
    // page (and running its queries) twice. The page is built once, for
    // the user of this navigation; a later refetch of the session (a name
    // changed on the profile) does not rebuild it.
    view! {
        <Suspense fallback=|| {
            view! { <p class="container page muted">"Loading…"</p> }
        }>
            {Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) if !admin || u.is_admin => children(u).into_any(),
                    Ok(Some(_)) => forbidden().into_any(),
                    Ok(None) => {
                        let next = crate::href::sign_in_then(&path);
                        #[cfg(feature = "ssr")]
                        {
                            crate::server::see_other(&next);
                            ().into_any()
                        }
                        #[cfg(not(feature = "ssr"))]
                        // The server answers a real redirect (no page); in
                        // the browser, the router navigates.
                        view! { <Redirect path=next /> }
                            .into_any()
                    }
                    Err(e) => {
                        view! { <p class="container page form-error">{e.to_string()}</p> }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <section class="container page narrow">
            <PageHeader title="Not allowed" />
            <p>"This page is for the Lab's staff."</p>
        </section>
    }
}
