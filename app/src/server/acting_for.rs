//! The organization a signed-in person acts for, chosen in the header: a
//! cookie naming its slug. It is only a preference: whoever reads it checks
//! that the caller still belongs to the organization, and anything else
//! (no cookie, a team they left) means acting for themselves.

use http::header::SET_COOKIE;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::server::cookies;

const NAME: &str = "lab_acting_for";

/// A year: the choice lasts until changed.
const MAX_AGE_SECONDS: i64 = 365 * 24 * 60 * 60;

/// The slug this request's cookie names, if any.
pub fn slug() -> Option<String> {
    crate::server::request_cookie(NAME).filter(|s| !s.is_empty())
}

/// Sets (or, with `None`, clears) the cookie on this response.
pub fn set(slug: Option<&str>, secure: bool) {
    let value = match slug {
        // Slugs are `[a-z0-9-]`: nothing to escape in a cookie value.
        Some(slug) => cookies::short_lived(NAME, slug, "/", MAX_AGE_SECONDS, secure),
        None => cookies::cleared(NAME, "/", secure),
    };
    if let (Some(response), Some(value)) = (use_context::<ResponseOptions>(), value) {
        response.append_header(SET_COOKIE, value);
    }
}
