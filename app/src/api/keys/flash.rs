//! Handing a new key to a browser without JavaScript.
//!
//! A form posted without JavaScript is answered with a redirect, so the key
//! cannot travel in the answer's body. It travels in a short-lived cookie,
//! scoped to `/keys` and readable only by the server, which the keys page
//! shows once and clears. It never touches the database (sessions live
//! there); the page checks that the key is the caller's, unrevoked and new.

use http::header::SET_COOKIE;
use http::HeaderValue;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

const NAME: &str = "lab_new_key";

/// How long the cookie (and the key's reveal) lasts.
pub const MAX_AGE_SECONDS: i64 = 300;

fn cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{NAME}={value}; Path=/keys; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// Sets the cookie carrying `key` on this response.
pub fn set(key: &str, secure: bool) {
    // Keys are `[A-Za-z0-9_]`: nothing to escape in a cookie value.
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie(key, MAX_AGE_SECONDS, secure)),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

/// The key in this request's cookie, if any; the response clears it.
pub fn take(secure: bool) -> Option<String> {
    let key = crate::server::request_cookie(NAME)?;
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie("", 0, secure)),
    ) {
        response.append_header(SET_COOKIE, value);
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_scoped_short_lived_and_hidden_from_scripts() {
        let c = cookie("lp_x", 300, true);
        assert_eq!(
            c,
            "lab_new_key=lp_x; Path=/keys; Max-Age=300; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!cookie("", 0, false).contains("Secure"));
    }
}
