//! What a person typed into a form posted without JavaScript, kept across
//! the redirect that answers a failed post.
//!
//! Without JavaScript a failed form post is answered with a redirect back to
//! the form, and the browser loads it empty. The server keeps the submitted
//! fields (never passwords, tokens or secrets) in a short-lived cookie,
//! readable only by the server and only by this site's own pages; the form's
//! page fills its fields from it once and clears it. Nothing is stored on
//! the server.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::SET_COOKIE;
use http::HeaderValue;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use serde::{Deserialize, Serialize};

use crate::components::form::KeptFields;
use crate::server::cookies;

const NAME: &str = "lab_form";

/// How long kept fields wait for the form's page to load.
pub const MAX_AGE_SECONDS: i64 = 60;

/// Above this, a cookie may be dropped by the browser: nothing is kept.
const MAX_COOKIE_VALUE: usize = 3_800;

/// Request extension: the query the browser's address must have before the
/// page hydrates, set on a page load whose address carried error
/// parameters (`__path=…&__err=…`, which are never trusted: anyone can
/// write them into a link) or whose failed plain post's error the server
/// kept (see the binary's `kept_form_middleware`): the server renders the
/// page from it, and the shell puts it in the address, so the browser
/// renders what the server rendered.
#[derive(Debug, Clone)]
pub struct AddressQuery(pub String);

/// The script setting the address to this request's [`AddressQuery`], if
/// it has one.
pub fn restore_error_script() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let AddressQuery(query) = parts.extensions.get::<AddressQuery>()?;
    let search = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    // A JavaScript string; `<` escaped so nothing in it can end the script.
    let search = serde_json::to_string(&search).ok()?.replace('<', "\\u003c");
    Some(format!(
        "history.replaceState(history.state, \"\", location.pathname + {search} + location.hash);"
    ))
}

#[derive(Serialize, Deserialize)]
struct Kept {
    /// The server function's path the form posted to.
    form: String,
    fields: Vec<(String, String)>,
}

/// Whether a field's value may be kept in a cookie: never a password, a
/// token, a secret or an API key.
pub fn keepable(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !["password", "token", "secret", "key", "csrf"]
        .iter()
        .any(|word| name.contains(word))
}

/// The `Set-Cookie` value keeping the keepable ones of `fields`, posted to
/// the server function at `form`; `None` when nothing is worth keeping or
/// it would not fit in a cookie.
pub fn set_cookie(form: &str, fields: Vec<(String, String)>, secure: bool) -> Option<HeaderValue> {
    let fields: Vec<_> = fields
        .into_iter()
        .filter(|(name, value)| keepable(name) && !value.is_empty())
        .collect();
    if fields.is_empty() {
        return None;
    }
    let kept = Kept {
        form: form.to_owned(),
        fields,
    };
    let value = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&kept).ok()?);
    if value.len() > MAX_COOKIE_VALUE {
        return None;
    }
    cookies::short_lived(NAME, &value, "/", MAX_AGE_SECONDS, secure)
}

/// The fields kept for the form posting to `form`, from this request's
/// cookie; the response clears the cookie. Empty when there are none.
pub fn take(form: &str) -> KeptFields {
    let Some(kept) = crate::server::request_cookie(NAME)
        .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
        .and_then(|json| serde_json::from_slice::<Kept>(&json).ok())
        .filter(|kept| kept.form == form)
    else {
        return KeptFields::default();
    };
    let secure = crate::server::state().is_ok_and(|s| cookies::secure(&s.public_url));
    if let (Some(response), Some(clear)) = (
        use_context::<ResponseOptions>(),
        cookies::cleared(NAME, "/", secure),
    ) {
        response.append_header(SET_COOKIE, clear);
    }
    KeptFields::new(kept.fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_kept() {
        for name in [
            "password",
            "new_password",
            "token",
            "api_key",
            "client_secret",
        ] {
            assert!(!keepable(name), "{name}");
        }
        for name in ["email", "display_name", "amount", "reason", "country"] {
            assert!(keepable(name), "{name}");
        }
        let cookie = set_cookie(
            "/api/sign_up",
            vec![
                ("email".into(), "ada@example.org".into()),
                ("password".into(), "hunter2 hunter2".into()),
            ],
            true,
        )
        .expect("a cookie");
        let cookie = cookie.to_str().expect("ascii");
        assert!(cookie.starts_with("lab_form="), "{cookie}");
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(cookie.split("; ").any(|p| p == part), "{part} in {cookie}");
        }
        let value = cookie
            .trim_start_matches("lab_form=")
            .split(';')
            .next()
            .unwrap_or_default();
        let kept: Kept =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(value).expect("base64")).expect("json");
        assert_eq!(kept.form, "/api/sign_up");
        assert_eq!(
            kept.fields,
            vec![("email".to_owned(), "ada@example.org".to_owned())]
        );
    }

    #[test]
    fn nothing_is_kept_when_it_would_not_fit() {
        let long = "x".repeat(4_000);
        assert!(set_cookie("/api/f", vec![("reason".into(), long)], false).is_none());
        assert!(set_cookie("/api/f", vec![("password".into(), "p".into())], false).is_none());
    }
}
