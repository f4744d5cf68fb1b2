//! The outbox: every email the portal queued.

use leptos::prelude::*;

use super::OutboxView;
use crate::domain::paging::Page;
use crate::error::AppError;

/// One page of emails, newest first, whose recipient contains `q`.
#[server(endpoint = "admin_list_outbox")]
pub async fn list_outbox(
    #[server(default)] q: String,
    #[server(default)] page: i64,
) -> Result<Page<OutboxView>, AppError> {
    use super::DeliveryState;
    use crate::api::admin::PER_PAGE;
    use crate::domain::paging::clamp_page;
    use crate::domain::search::Search;
    use crate::format;
    use crate::server::services::outbox;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let q = Search::parse(&q).map_err(|message| AppError::field("q", message))?;
        let page = clamp_page(page);
        let (rows, total) = outbox::list(&state.pool, Some(q.as_str()), page, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        Ok(Page::new(rows, total, page, PER_PAGE).map(|e| OutboxView {
            id: e.id,
            state: match (e.sent_at, &e.last_error) {
                (Some(_), _) => DeliveryState::Sent,
                (None, Some(_)) => DeliveryState::Failed,
                (None, None) => DeliveryState::Pending,
            },
            gave_up: e.sent_at.is_none() && e.attempts >= outbox::MAX_ATTEMPTS,
            recipient: e.recipient,
            subject: e.subject,
            body: e.body_text,
            created: format::time(e.created_at),
            sent: e.sent_at.map(format::time),
            attempts: e.attempts,
            last_error: e.last_error,
        }))
    })
    .await
}
