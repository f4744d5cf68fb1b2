//! The caller's conversations and one conversation's page.

use leptos::prelude::*;

use super::{ConversationView, ConversationsView};
use crate::error::AppError;

/// The signed-in user's conversations whose title holds `q`, newest first.
#[server(endpoint = "my_conversations")]
pub async fn my_conversations(
    #[server(default)] q: String,
    #[server(default)] page: String,
) -> Result<ConversationsView, AppError> {
    use super::{ConversationItem, PER_PAGE};
    use crate::domain::credits::Credits;
    use crate::domain::paging::{page_from_query, Page};
    use crate::domain::search::Search;
    use crate::server::services::conversations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let q = Search::parse(&q)
            .map_err(|message| AppError::field("q", message))?
            .as_str()
            .to_owned();
        let page = page_from_query(Some(&page));
        let (rows, total) = conversations::list(&state.pool, caller.user_id, &q, page, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        let (spent, cap) = conversations::month_spending(&state.pool, caller.user_id)
            .await
            .map_err(crate::server::internal)?;
        let items = rows
            .into_iter()
            .map(|row| ConversationItem {
                id: row.id.to_string(),
                title: row.title,
                agent_name: row.agent_name,
                agent_icon: row.agent_icon,
                updated: crate::format::time(row.updated_at),
                credits: crate::format::credits(Credits::from_micros(row.credits)),
            })
            .collect();
        Ok(ConversationsView {
            q,
            results: Page::new(items, total, page, PER_PAGE),
            month_spent: crate::format::credits(Credits::from_micros(spent)),
            cap: cap.map(|c| crate::format::credits(Credits::from_micros(c))),
        })
    })
    .await
}

/// The signed-in user's conversation `id`, its messages (replies rendered
/// from Markdown and sanitized) and what it has cost.
#[server(endpoint = "get_conversation")]
pub async fn get_conversation(id: String) -> Result<ConversationView, AppError> {
    use super::{BillToView, MessageView, ShareView};
    use crate::api::agents::PriceView;
    use crate::domain::credits::Credits;
    use crate::server::datasets::card;
    use crate::server::services::conversations;
    use crate::server::services::{cohorts, organizations};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let not_found = || AppError::NotFound("There is no such conversation.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        let page = conversations::page(&state.pool, caller.user_id, id)
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(not_found)?;
        let (row, messages, version) = (page.conversation, page.messages, page.version);
        let (orgs, courses) = tokio::try_join!(
            organizations::mine(&state.pool, caller.user_id),
            cohorts::my_courses(&state.pool, caller.user_id),
        )?;
        let bill_choices = orgs
            .into_iter()
            .map(|m| BillToView {
                slug: m.slug,
                name: m.name,
                course: false,
            })
            .chain(
                courses
                    .into_iter()
                    .filter(|c| c.status == "joined")
                    .map(|c| BillToView {
                        slug: format!("course:{}", c.slug),
                        name: format!("{} ({})", c.name, c.course_code),
                        course: true,
                    }),
            )
            .collect();
        let now = time::OffsetDateTime::now_utc();
        let shares = conversations::shares(&state.pool, caller.user_id, id)
            .await
            .map_err(crate::server::internal)?
            .into_iter()
            .map(|share| {
                let (state, active) = match (share.revoked_at, share.expires_at) {
                    (Some(at), _) => (format!("Revoked {}", crate::format::time(at)), false),
                    (None, Some(at)) if at <= now => {
                        (format!("Expired {}", crate::format::time(at)), false)
                    }
                    (None, Some(at)) => (format!("Expires {}", crate::format::time(at)), true),
                    (None, None) => ("Never expires".to_owned(), true),
                };
                ShareView {
                    id: share.id.to_string(),
                    audience: if share.visibility == "public" {
                        "Anyone with the link".to_owned()
                    } else {
                        "Signed-in users with the link".to_owned()
                    },
                    created: crate::format::time(share.created_at),
                    state,
                    active,
                }
            })
            .collect();
        let credits = |micros: i64| crate::format::credits(Credits::from_micros(micros));
        let results: std::collections::HashMap<String, String> = messages
            .iter()
            .filter(|m| m.role == "tool")
            .filter_map(|m| Some((m.tool_call_id.clone()?, m.content.clone())))
            .collect();
        let messages = messages
            .into_iter()
            .filter(|m| m.role != "tool")
            .map(|m| MessageView {
                tools: tool_views(&m, &results),
                position: m.position,
                html: if m.role == "assistant" {
                    card::render(&m.content)
                } else {
                    String::new()
                },
                tokens: m.input_tokens.zip(m.output_tokens).map(|(i, o)| {
                    format!(
                        "{} in · {} out",
                        crate::format::grouped(i),
                        crate::format::grouped(o)
                    )
                }),
                credits: m.credits.map(credits),
                role: m.role,
                text: m.content,
                status: m.status,
            })
            .collect();
        Ok(ConversationView {
            id: row.id.to_string(),
            title: row.title,
            agent_slug: row.agent_slug,
            agent_name: row.agent_name,
            agent_icon: row.agent_icon,
            agent_version: row.agent_version,
            opening_message: version.opening_message,
            example_prompts: version.example_prompts,
            model: version.model,
            price: page.price.map(|(i, o)| PriceView::of(i, o)),
            messages,
            credits: credits(row.credits),
            balance: credits(page.available),
            bill_to: match (row.course_slug, row.course_name) {
                (Some(slug), Some(name)) => Some(BillToView {
                    slug: format!("course:{slug}"),
                    name,
                    course: true,
                }),
                _ => row
                    .bill_to_slug
                    .zip(row.bill_to_name)
                    .map(|(slug, name)| BillToView {
                        slug,
                        name,
                        course: false,
                    }),
            },
            bill_choices,
            month_spent: credits(page.month_spent),
            cap: page.cap.map(credits),
            shares,
        })
    })
    .await
}

/// Renames the signed-in user's conversation `id`.
#[server(endpoint = "rename_conversation")]
pub async fn rename_conversation(id: String, title: String) -> Result<(), AppError> {
    use crate::server::services::conversations::{self, MAX_TITLE};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let title = title.trim();
        if title.is_empty()
            || title.chars().count() > MAX_TITLE
            || title.chars().any(char::is_control)
        {
            return Err(AppError::field(
                "title",
                format!("Write a title of 1 to {MAX_TITLE} characters on one line."),
            ));
        }
        let not_found = || AppError::NotFound("There is no such conversation.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        if !conversations::rename(&state.pool, caller.user_id, id, title)
            .await
            .map_err(crate::server::internal)?
        {
            return Err(not_found());
        }
        crate::server::redirect(&crate::href::playground(&id.to_string()));
        Ok(())
    })
    .await
}

/// Deletes the signed-in user's conversation `id` (its share links too).
#[server(endpoint = "delete_conversation")]
pub async fn delete_conversation(id: String) -> Result<(), AppError> {
    use crate::server::services::conversations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let not_found = || AppError::NotFound("There is no such conversation.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        if !conversations::delete(&state.pool, caller.user_id, id)
            .await
            .map_err(crate::server::internal)?
        {
            return Err(not_found());
        }
        crate::server::redirect(&crate::href::with_query(
            crate::href::playground_list(),
            &[("done", "deleted")],
        ));
        Ok(())
    })
    .await
}

/// The tool calls of `message` with their results (by call id), pretty
/// printed.
#[cfg(feature = "ssr")]
pub(crate) fn tool_views(
    message: &crate::server::services::conversations::MessageRow,
    results: &std::collections::HashMap<String, String>,
) -> Vec<super::ToolView> {
    use crate::domain::agent_tools::ToolCall;
    let pretty = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| text.to_owned())
    };
    message
        .tool_calls
        .as_ref()
        .and_then(|calls| calls.0.as_array())
        .map(|calls| {
            calls
                .iter()
                .filter_map(ToolCall::from_wire)
                .map(|call| super::ToolView {
                    result: results
                        .get(&call.id)
                        .map(|r| pretty(r))
                        .unwrap_or_else(|| "(no result)".to_owned()),
                    arguments: pretty(&call.arguments),
                    name: call.name,
                })
                .collect()
        })
        .unwrap_or_default()
}
