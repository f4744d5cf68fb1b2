//! `GET /playground/{id}/export.md` and `GET /playground/{id}/export.json`:
//! one of the signed-in user's conversations as a file to keep: Markdown to
//! read (each message under a heading, tool calls and results in fenced
//! blocks), or JSON to process (format `lab-portal-conversation/1`: every
//! message with its tokens, credits and status, amounts both as text and
//! as integer micro-credits).

use app::domain::credits::Credits;
use app::format;
use app::server::services::conversations::{self, ConversationRow, MessageRow};
use app::server::{AppState, CurrentCaller};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// The JSON export's format name.
pub const FORMAT: &str = "lab-portal-conversation/1";

/// `GET /playground/{id}/export.md`.
pub async fn markdown(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path(id): Path<String>,
) -> Response {
    export(&state, caller, &id, Kind::Markdown).await
}

/// `GET /playground/{id}/export.json`.
pub async fn json(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path(id): Path<String>,
) -> Response {
    export(&state, caller, &id, Kind::Json).await
}

#[derive(Clone, Copy)]
enum Kind {
    Markdown,
    Json,
}

async fn export(state: &AppState, caller: CurrentCaller, id: &str, kind: Kind) -> Response {
    let Some(caller) = caller.0 else {
        return (
            StatusCode::UNAUTHORIZED,
            "Please sign in to export your conversations.",
        )
            .into_response();
    };
    let not_found = || (StatusCode::NOT_FOUND, "There is no such conversation.").into_response();
    let Ok(id) = Uuid::parse_str(id) else {
        return not_found();
    };
    let (conversation, messages) = match conversations::get(&state.pool, caller.user_id, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "exporting a conversation failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
                .into_response();
        }
    };
    let (body, content_type, extension) = match kind {
        Kind::Markdown => (
            to_markdown(&conversation, &messages),
            "text/markdown; charset=utf-8",
            "md",
        ),
        Kind::Json => (
            serde_json::to_string_pretty(&to_json(&conversation, &messages)).unwrap_or_default(),
            "application/json",
            "json",
        ),
    };
    let disposition = format!(
        "attachment; filename=\"{}.{extension}\"",
        file_stem(&conversation.title)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A file name from a title: lowercase ASCII letters and digits joined by
/// dashes, at most 60 characters; `conversation` when nothing is left.
fn file_stem(title: &str) -> String {
    let mut stem = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
        if stem.len() >= 60 {
            break;
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        "conversation".to_owned()
    } else {
        stem.to_owned()
    }
}

fn timestamp(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The fence that holds `text` without being closed by it: one backtick
/// more than its longest run.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn to_markdown(conversation: &ConversationRow, messages: &[MessageRow]) -> String {
    let mut out = format!(
        "# {}\n\nWith {} (`{}`, version {}) · started {} · {} credits\n",
        conversation.title.trim(),
        conversation.agent_name,
        conversation.agent_slug,
        conversation.agent_version,
        format::time(conversation.created_at),
        format::credits(Credits::from_micros(conversation.credits)),
    );
    for m in messages {
        match m.role.as_str() {
            "user" => out.push_str("\n## You\n\n"),
            "assistant" => out.push_str(&format!("\n## {}\n\n", conversation.agent_name)),
            "tool" => {
                let name = m.tool_call_id.as_deref().unwrap_or("tool");
                let fence = fence(&m.content);
                out.push_str(&format!(
                    "\n### Result of `{name}`\n\n{fence}json\n{}\n{fence}\n",
                    m.content.trim_end()
                ));
                continue;
            }
            _ => continue,
        }
        if !m.content.trim().is_empty() {
            out.push_str(m.content.trim_end());
            out.push('\n');
        }
        if let Some(calls) = &m.tool_calls {
            let text = serde_json::to_string_pretty(&calls.0).unwrap_or_default();
            let fence = fence(&text);
            out.push_str(&format!("\nTool call:\n\n{fence}json\n{text}\n{fence}\n"));
        }
        let meta: Vec<String> = [
            (m.status != "complete").then(|| m.status.clone()),
            m.input_tokens
                .zip(m.output_tokens)
                .map(|(i, o)| format!("{i} tokens in, {o} out")),
            m.credits
                .map(|c| format!("{} credits", format::credits(Credits::from_micros(c)))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !meta.is_empty() {
            out.push_str(&format!("\n*{}*\n", meta.join(" · ")));
        }
    }
    out
}

fn to_json(conversation: &ConversationRow, messages: &[MessageRow]) -> Value {
    let credits = |micros: i64| format::credits_plain(Credits::from_micros(micros));
    json!({
        "format": FORMAT,
        "id": conversation.id,
        "title": conversation.title,
        "agent": {
            "slug": conversation.agent_slug,
            "name": conversation.agent_name,
            "version": conversation.agent_version,
        },
        "created_at": timestamp(conversation.created_at),
        "updated_at": timestamp(conversation.updated_at),
        "credits": credits(conversation.credits),
        "credits_micros": conversation.credits,
        "messages": messages.iter().map(|m| json!({
            "position": m.position,
            "role": m.role,
            "content": m.content,
            "tool_calls": m.tool_calls.as_ref().map(|c| &c.0),
            "tool_call_id": m.tool_call_id,
            "status": m.status,
            "input_tokens": m.input_tokens,
            "output_tokens": m.output_tokens,
            "credits": m.credits.map(credits),
            "credits_micros": m.credits,
            "created_at": timestamp(m.created_at),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_letters_and_digits() {
        assert_eq!(file_stem("Delays at JFK, 2013?"), "delays-at-jfk-2013");
        assert_eq!(file_stem("«»"), "conversation");
        assert!(file_stem(&"a".repeat(500)).len() <= 60);
    }

    #[test]
    fn a_fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
