//! Handing a new key to a browser without JavaScript.
//!
//! A form posted without JavaScript is answered with a redirect, so the key
//! cannot travel in the answer's body. It travels in a short-lived cookie,
//! scoped to `/keys` and readable only by the server, which the keys page
//! shows once and clears. It never touches the database (sessions live
//! there); the page checks that the key is the caller's, unrevoked and new.

use http::header::SET_COOKIE;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::server::cookies;

const NAME: &str = "lab_new_key";

/// How long the cookie (and the key's reveal) lasts.
pub const MAX_AGE_SECONDS: i64 = 300;

/// The cookie is sent back only to the keys page.
fn path() -> &'static str {
    crate::href::keys()
}

/// Sets the cookie carrying `key` on this response.
pub fn set(key: &str, secure: bool) {
    // Keys are `[A-Za-z0-9_]`: nothing to escape in a cookie value.
    if let (Some(response), Some(value)) = (
        use_context::<ResponseOptions>(),
        cookies::short_lived(NAME, key, path(), MAX_AGE_SECONDS, secure),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

/// The key in this request's cookie, if any; the response clears it.
pub fn take(secure: bool) -> Option<String> {
    let key = crate::server::request_cookie(NAME)?;
    if let (Some(response), Some(value)) = (
        use_context::<ResponseOptions>(),
        cookies::cleared(NAME, path(), secure),
    ) {
        response.append_header(SET_COOKIE, value);
    }
    Some(key)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_scoped_to_the_keys_page_and_short_lived() {
        let set =
            cookies::short_lived(NAME, "lp_x", path(), MAX_AGE_SECONDS, true).expect("a cookie");
        let set = set.to_str().expect("ascii");
        assert!(set.starts_with("lab_new_key=lp_x; "), "{set}");
        assert!(
            set.contains("Path=/keys") && set.contains("Max-Age=300"),
            "{set}"
        );
    }
}
