//! Signing in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::href;

/// The sign-in form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
    /// Where to go afterwards (a path on this site).
    #[serde(default)]
    pub next: String,
}

/// Checks the credentials, starts a login with a fresh session id and sends
/// the browser on.
#[server(endpoint = "sign_in")]
pub async fn sign_in(#[server(flatten)] form: SignInForm) -> Result<(), AppError> {
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let session = crate::server::session()?;
        let mut errors = crate::error::FieldErrors::default();
        if form.email.trim().is_empty() {
            errors.add("email", "Enter your email address.");
        } else {
            errors.check("email", crate::domain::search::one_line(&form.email));
        }
        if form.password.is_empty() {
            errors.add("password", "Enter your password.");
        }
        errors.finish()?;
        let user_agent = use_context::<http::request::Parts>().and_then(|p| {
            p.headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        let addr = crate::server::client_addr();
        accounts::sign_in(
            &state.pool,
            &session,
            &form.email,
            form.password,
            addr,
            user_agent.as_deref(),
        )
        .await?;
        crate::server::redirect(&safe_next(&form.next));
        Ok(())
    })
    .await
}

/// Only local paths: never an open redirect to another site.
pub fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://")
        && next.chars().all(|c| c.is_ascii_graphic());
    if local {
        next.to_owned()
    } else {
        href::dashboard().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;
    use crate::href;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(href::profile()), href::profile());
        assert_eq!(safe_next("//evil.example"), href::dashboard());
        assert_eq!(safe_next("https://evil.example/"), href::dashboard());
        assert_eq!(safe_next("/\\evil.example"), href::dashboard());
        assert_eq!(safe_next(""), href::dashboard());
        assert_eq!(safe_next("/a\r\nSet-Cookie: x"), href::dashboard());
        let tab = href::with_query(href::dashboard(), &[("tab", "keys")]);
        assert_eq!(safe_next(&tab), tab);
    }
}
