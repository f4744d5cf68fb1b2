//! The portal's own short-lived cookies (besides the session's), built and
//! read with the `cookie` crate that `tower_sessions` re-exports: never a
//! hand-written `Set-Cookie` line.
//!
//! Every one is `HttpOnly` (scripts never read it), `SameSite=Strict` (only
//! this site's own pages send it) and `Secure` when the portal is served
//! over https.

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use tower_sessions::cookie::time::Duration;
use tower_sessions::cookie::{Cookie, SameSite};

/// Whether cookies must be `Secure`: the portal's public URL is https.
pub fn secure(public_url: &str) -> bool {
    public_url.starts_with("https://")
}

/// A cookie `name=value` sent back only to `path` and below, for
/// `max_age_seconds`.
pub fn short_lived(
    name: &str,
    value: &str,
    path: &str,
    max_age_seconds: i64,
    secure: bool,
) -> Option<HeaderValue> {
    let cookie = Cookie::build((name, value))
        .path(path)
        .max_age(Duration::seconds(max_age_seconds))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// The cookie that clears `name` (at `path`) in the browser.
pub fn cleared(name: &str, path: &str, secure: bool) -> Option<HeaderValue> {
    short_lived(name, "", path, 0, secure)
}

/// The value of the cookie `name` among `headers`' `Cookie` headers.
pub fn find(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_scoped_short_lived_and_hidden_from_scripts() {
        let set = short_lived("lab_new_key", "lp_x", "/keys", 300, true).expect("a cookie");
        let set = set.to_str().expect("ascii");
        assert!(set.starts_with("lab_new_key=lp_x; "), "{set}");
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/keys",
            "Max-Age=300",
        ] {
            assert!(set.split("; ").any(|p| p == part), "{part} in {set}");
        }
        let plain = short_lived("a", "b", "/", 60, false).expect("a cookie");
        assert!(!plain.to_str().expect("ascii").contains("Secure"));
    }

    #[test]
    fn a_cleared_cookie_is_empty_and_expires_at_once() {
        let clear = cleared("lab_form", "/", false).expect("a cookie");
        let clear = clear.to_str().expect("ascii");
        assert!(clear.starts_with("lab_form=;"), "{clear}");
        assert!(clear.contains("Max-Age=0"), "{clear}");
    }

    #[test]
    fn a_cookie_is_found_among_the_request_s_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("id=abc; lab_form=xyz"));
        headers.append(COOKIE, HeaderValue::from_static("other=1"));
        assert_eq!(find(&headers, "lab_form").as_deref(), Some("xyz"));
        assert_eq!(find(&headers, "other").as_deref(), Some("1"));
        assert_eq!(find(&headers, "missing"), None);
        assert!(secure("https://lab.example") && !secure("http://127.0.0.1:3000"));
    }
}
