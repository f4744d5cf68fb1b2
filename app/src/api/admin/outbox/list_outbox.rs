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
        // Without SMTP no email leaves: an admin of a local install reads
        // a fresh email's link here, for an hour; never anyone else's
        // after it was sent.
        let show_links = outbox::sends_no_email();
        let fresh_since = time::OffsetDateTime::now_utc() - outbox::SECRET_SHOWN_FOR;
        Ok(Page::new(rows, total, page, PER_PAGE).map(|e| {
            let link_shown =
                show_links && e.created_at > fresh_since && e.secret_body_text.is_some();
            OutboxView {
                id: e.id,
                state: match (e.sent_at, &e.last_error) {
                    (Some(_), _) => DeliveryState::Sent,
                    (None, Some(_)) => DeliveryState::Failed,
                    (None, None) => DeliveryState::Pending,
                },
                gave_up: e.sent_at.is_none() && e.attempts >= outbox::MAX_ATTEMPTS,
                recipient: e.recipient,
                subject: e.subject,
                body: if link_shown {
                    e.secret_body_text.unwrap_or(e.body_text)
                } else {
                    e.body_text
                },
                link_shown,
                created: format::time(e.created_at),
                sent: e.sent_at.map(format::time),
                attempts: e.attempts,
                last_error: e.last_error,
            }
        }))
    })
    .await
}
