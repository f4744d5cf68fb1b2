//! Routed pages, one module per area.

pub mod admin;
pub mod agents;
pub mod auth;
pub mod cohorts;
pub mod course_console;
pub mod credits;
pub mod dashboard;
pub mod dataset_viewer;
pub mod datasets;
pub mod design;
pub mod home;
pub mod keys;
pub mod lazy;
pub mod models;
pub mod not_found;
pub mod notifications;
pub mod onboarding;
pub mod org_webhooks;
pub mod organizations;
pub mod playground;
pub mod profile;
pub mod support;
pub mod usage;

use leptos::prelude::*;

use crate::error::AppError;

/// Answers the page with `error`'s HTTP status when it is rendered on the
/// server (a missing user is a 404 page, not a 200 one).
pub(crate) fn error_status(error: &AppError) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

/// What a page shows when its data could not be loaded.
pub(crate) fn load_error(error: AppError) -> impl IntoView {
    error_status(&error);
    view! {
        <p class="form-error" role="alert">
            {error.explanation()}
        </p>
    }
}

/// Whether `?done=` is `value` and no error came back with the URL (a
/// form posted without JavaScript that failed keeps the earlier `done`).
pub(crate) fn done_flag(value: &'static str) -> Signal<bool> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || {
        let query = query.read();
        query.get_str("done") == Some(value) && query.get_str("__err").is_none()
    })
}
