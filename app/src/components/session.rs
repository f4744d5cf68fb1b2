//! Who is signed in: read once per navigation (and after signing out) and
//! shared by the header and every guarded page, so a navigation asks the
//! server once.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::accounts::{current_user, SessionUser, SignOut};
use crate::api::organizations::SwitchOrganization;
use crate::error::AppError;

/// The signed-in user of the page shown, the sign-out action and the
/// header's switch of the organization acted for.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    pub sign_out: ServerAction<SignOut>,
    pub switch: ServerAction<SwitchOrganization>,
}

/// Provides the session to the pages under the router.
///
/// The lookup blocks the first chunk of the page, so the header's links
/// are in the HTML itself and work without JavaScript.
pub fn provide_session() -> Session {
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    let switch = ServerAction::<SwitchOrganization>::new();
    let user = Resource::new_blocking(
        move || {
            (
                location.pathname.get(),
                sign_out.version().get(),
                switch.version().get(),
            )
        },
        |_| current_user(),
    );
    let session = Session {
        user,
        sign_out,
        switch,
    };
    provide_context(session);
    session
}

/// The session [`provide_session`] provided.
pub fn use_session() -> Session {
    use_context::<Session>().unwrap_or_else(provide_session)
}
