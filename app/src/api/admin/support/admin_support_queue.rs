//! The staff queue.

use leptos::prelude::*;

use super::SupportQueue;
use crate::error::AppError;

/// One page of support requests for the queue's filters (`status`:
/// `active` (default), `all` or one status; `category`; `assignee`: `me` or
/// `none`; `sla`: `breached` or `due_soon`; `q`: words of the subject or
/// the requester's email, or `#42`), with the queue's health.
#[server(endpoint = "admin_support_queue")]
pub async fn admin_support_queue(
    #[server(default)] status: String,
    #[server(default)] category: String,
    #[server(default)] assignee: String,
    #[server(default)] sla: String,
    #[server(default)] q: String,
    #[server(default)] page: String,
) -> Result<SupportQueue, AppError> {
    use crate::api::support::SupportListView;
    use crate::domain::support::QueueQuery;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let query = QueueQuery::from_params(|name| match name {
            "status" => Some(status.as_str()),
            "category" => Some(category.as_str()),
            "assignee" => Some(assignee.as_str()),
            "sla" => Some(sla.as_str()),
            "q" => Some(q.as_str()),
            "page" => Some(page.as_str()),
            _ => None,
        });
        let (rows, health) = tokio::try_join!(
            support::queue(&state.pool, caller.user_id, &query),
            support::queue_health(&state.pool),
        )?;
        let now = time::OffsetDateTime::now_utc();
        Ok(SupportQueue {
            page: rows.map(|row| SupportListView::from_row(row, now)),
            health: health.into(),
        })
    })
    .await
}
