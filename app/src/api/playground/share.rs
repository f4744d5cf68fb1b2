//! Share links: a snapshot of a conversation as it is when shared, opened
//! read-only by anyone with the link (or anyone signed in, as its owner
//! chose), until it expires or its owner revokes it.
//!
//! The link's token is shown once: only its hash is stored. With
//! JavaScript the form's answer carries it; a form posted without
//! JavaScript is answered with a redirect, so the token travels back to the
//! conversation's page in a short-lived cookie the page shows once and
//! clears (as new API keys do).

use leptos::prelude::*;

use super::{NewShare, SharedView};
use crate::error::AppError;

/// How long a share link lives, chosen from a list: `never`, or a number
/// of days.
pub const EXPIRIES: [(&str, &str); 4] = [
    ("never", "Never"),
    ("1", "In 1 day"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
];

/// Shares the signed-in user's conversation `id` as it is now, for
/// `visibility` (`public` or `signed_in`), expiring after `expires`.
#[server(endpoint = "share_conversation")]
pub async fn share_conversation(
    id: String,
    #[server(default)] visibility: String,
    #[server(default)] expires: String,
) -> Result<NewShare, AppError> {
    use crate::server::services::conversations::{self, Visibility};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let visibility = Visibility::parse(visibility.trim()).ok_or_else(|| {
            AppError::field("visibility", "Choose who may open the link.".to_owned())
        })?;
        let days: Option<i64> = match expires.trim() {
            "never" | "" => None,
            days => Some(
                days.parse()
                    .ok()
                    .filter(|d| EXPIRIES.iter().any(|(v, _)| *v == days) && *d > 0)
                    .ok_or_else(|| {
                        AppError::field("expires", "Choose when the link expires.".to_owned())
                    })?,
            ),
        };
        let expires_at = days.map(|d| time::OffsetDateTime::now_utc() + time::Duration::days(d));
        let not_found = || AppError::NotFound("There is no such conversation.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        let token = conversations::share(&state.pool, caller.user_id, id, visibility, expires_at)
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(not_found)?;
        let share = NewShare {
            url: format!(
                "{}{}",
                state.public_url.trim_end_matches('/'),
                crate::href::shared(&token)
            ),
        };
        no_store();
        if crate::server::plain_form_post() {
            flash::set(
                id,
                &token,
                crate::server::cookies::secure(&state.public_url),
            );
            crate::server::redirect(&format!(
                "{}#share",
                crate::href::playground(&id.to_string())
            ));
        }
        Ok(share)
    })
    .await
}

/// The link this browser just made for conversation `id` without
/// JavaScript, once (the answer clears it).
#[server(endpoint = "take_new_share")]
pub async fn take_new_share(id: String) -> Result<Option<NewShare>, AppError> {
    crate::server::respond(async move {
        let state = crate::server::state()?;
        crate::server::require_user()?;
        let Some((shared_id, token)) =
            flash::take(crate::server::cookies::secure(&state.public_url))
        else {
            return Ok(None);
        };
        if id.trim() != shared_id {
            return Ok(None);
        }
        no_store();
        Ok(Some(NewShare {
            url: format!(
                "{}{}",
                state.public_url.trim_end_matches('/'),
                crate::href::shared(&token)
            ),
        }))
    })
    .await
}

/// Revokes the signed-in user's share link `share` of conversation `id`.
#[server(endpoint = "revoke_conversation_share")]
pub async fn revoke_conversation_share(id: String, share: String) -> Result<(), AppError> {
    use crate::server::services::conversations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let not_found = || AppError::NotFound("There is no such share link.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        let share = uuid::Uuid::parse_str(share.trim()).map_err(|_| not_found())?;
        if !conversations::revoke_share(&state.pool, caller.user_id, share)
            .await
            .map_err(crate::server::internal)?
        {
            return Err(not_found());
        }
        crate::server::redirect(&format!(
            "{}#share",
            crate::href::with_query(
                &crate::href::playground(&id.to_string()),
                &[("done", "revoked")]
            )
        ));
        Ok(())
    })
    .await
}

/// The conversation behind the share link `token`: its snapshot with the
/// agent's card, replies rendered from Markdown and sanitized. Anyone may
/// ask; a link for signed-in users asks a visitor to sign in first.
#[server(endpoint = "get_shared")]
pub async fn get_shared(token: String) -> Result<SharedView, AppError> {
    use super::SharedMessageView;
    use crate::server::datasets::card;
    use crate::server::services::{agents, conversations};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let signed_in = crate::server::require_user().is_ok();
        let gone = || {
            AppError::NotFound(
                "This link does not open a conversation: it was revoked, has expired, or never existed."
                    .to_owned(),
            )
        };
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(gone());
        }
        let snapshot = match conversations::shared(&state.pool, token, signed_in)
            .await
            .map_err(crate::server::internal)?
        {
            Ok(snapshot) => snapshot,
            Err(conversations::Unshared::Gone) => return Err(gone()),
            Err(conversations::Unshared::SignInFirst) => return Err(AppError::Unauthorized),
        };
        let summary = agents::agent(&state.pool, &snapshot.agent_slug, false)
            .await
            .map_err(crate::server::internal)?
            .map(|(agent, _, _)| agent.summary);
        no_store();
        Ok(SharedView {
            title: snapshot.title,
            agent_slug: snapshot.agent_slug,
            agent_name: snapshot.agent_name,
            agent_icon: snapshot.agent_icon,
            agent_version: snapshot.agent_version,
            agent_summary: summary,
            messages: snapshot
                .messages
                .into_iter()
                .filter(|m| m.role == "user" || m.role == "assistant")
                .filter(|m| !m.content.trim().is_empty())
                .map(|m| {
                    // A reply travels as its sanitized HTML only.
                    let (html, text) = if m.role == "assistant" {
                        (card::render(&m.content), String::new())
                    } else {
                        (String::new(), m.content)
                    };
                    SharedMessageView {
                        html,
                        text,
                        role: m.role,
                        tool: m.tool,
                    }
                })
                .collect(),
        })
    })
    .await
}

/// Tells the browser and any proxy not to keep the answer.
#[cfg(feature = "ssr")]
fn no_store() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}

/// The new link's token on its way back to a page loaded without
/// JavaScript: `{conversation id}.{token}` in a cookie sent only to the
/// playground's pages, for five minutes.
#[cfg(feature = "ssr")]
mod flash {
    use http::header::SET_COOKIE;
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::server::cookies;

    const NAME: &str = "lab_new_share";
    const MAX_AGE_SECONDS: i64 = 300;

    fn path() -> &'static str {
        crate::href::playground_list()
    }

    pub fn set(conversation: uuid::Uuid, token: &str, secure: bool) {
        // A uuid and a hex token: nothing to escape in a cookie value.
        let value = format!("{conversation}.{token}");
        if let (Some(response), Some(cookie)) = (
            use_context::<ResponseOptions>(),
            cookies::short_lived(NAME, &value, path(), MAX_AGE_SECONDS, secure),
        ) {
            response.append_header(SET_COOKIE, cookie);
        }
    }

    /// The conversation and token in this request's cookie, if any; the
    /// response clears it.
    pub fn take(secure: bool) -> Option<(String, String)> {
        let value = crate::server::request_cookie(NAME)?;
        if let (Some(response), Some(cookie)) = (
            use_context::<ResponseOptions>(),
            cookies::cleared(NAME, path(), secure),
        ) {
            response.append_header(SET_COOKIE, cookie);
        }
        let (id, token) = value.split_once('.')?;
        Some((id.to_owned(), token.to_owned()))
    }
}
