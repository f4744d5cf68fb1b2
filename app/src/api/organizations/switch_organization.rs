//! Choosing the organization the caller acts for (the header's switch).

use leptos::prelude::*;

use crate::error::AppError;

/// Acts for the organization `slug` (one the caller belongs to) from now
/// on, or, with an empty `slug`, for themselves. New keys and playground
/// conversations bill to it unless chosen otherwise, and every page's
/// header names it. A form posted without JavaScript goes back to `back`
/// (a path of this site).
#[server(endpoint = "switch_organization")]
pub async fn switch_organization(
    #[server(default)] slug: String,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use crate::server::services::organizations;
    use crate::server::{acting_for, cookies};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let secure = cookies::secure(&state.public_url);
        match slug.trim() {
            "" => acting_for::set(None, secure),
            slug => {
                let (org, _) = organizations::membership(&state.pool, slug, caller.user_id).await?;
                acting_for::set(Some(&org.slug), secure);
            }
        }
        if crate::server::plain_form_post() {
            crate::server::redirect(local_path(&back).unwrap_or(crate::href::dashboard()));
        }
        Ok(())
    })
    .await
}

/// `back` if it is a path of this site (never another site's address).
#[cfg_attr(
    all(not(feature = "ssr"), not(test)),
    expect(dead_code, reason = "used on the server")
)]
fn local_path(back: &str) -> Option<&str> {
    let back = back.trim();
    (back.starts_with('/') && !back.starts_with("//") && !back.starts_with("/\\"))
        .then_some(back)
        .filter(|b| !b.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(local_path("/keys?x=1"), Some("/keys?x=1"));
        assert_eq!(local_path(" /orgs/acme "), Some("/orgs/acme"));
        for other in [
            "",
            "https://evil.test/",
            "//evil.test",
            "/\\evil.test",
            "keys",
            "/a\nb",
        ] {
            assert_eq!(local_path(other), None, "{other:?}");
        }
    }
}
