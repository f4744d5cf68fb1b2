//! What the quick-start snippets on the keys page need.

use leptos::prelude::*;

use super::QuickStart;
use crate::error::AppError;

/// The inference API's base URL (this portal's origin + `/v1`) and the
/// models it serves.
#[server(endpoint = "api_quick_start")]
pub async fn api_quick_start() -> Result<QuickStart, AppError> {
    use super::ModelView;
    use crate::server::services::keys;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        crate::server::require_user()?;
        let models = keys::served_models(&state.pool).await?;
        Ok(QuickStart {
            base_url: format!("{}/v1", origin(&state)),
            models: models
                .into_iter()
                .map(|m| ModelView {
                    id: m.public_id,
                    kind: m.kind,
                })
                .collect(),
        })
    })
    .await
}

/// The origin people reach the portal at: the configured public URL, else
/// the `Host` of this request (as the CSRF check reads it).
#[cfg(feature = "ssr")]
fn origin(state: &crate::server::AppState) -> String {
    if state.public_url_configured {
        return state.public_url.clone();
    }
    let scheme = state
        .public_url
        .split_once("://")
        .map_or("http", |(scheme, _)| scheme);
    let host = use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    match host {
        Some(host) if is_host(&host) => format!("{scheme}://{host}"),
        _ => state.public_url.clone(),
    }
}

/// A plausible `host[:port]`: nothing that could break out of a snippet.
#[cfg(feature = "ssr")]
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hosts_are_echoed() {
        assert!(is_host("lab.example.org"));
        assert!(is_host("127.0.0.1:3000"));
        assert!(is_host("[::1]:3000"));
        assert!(!is_host(""));
        assert!(!is_host("evil.org\"; rm -rf /"));
        assert!(!is_host("a b"));
    }
}
