//! The list of the signed-in person's notifications.

use leptos::prelude::*;

use super::NotificationsView;
use crate::error::AppError;

/// A page of the caller's notifications, newest first, and how many are
/// unread.
#[server(endpoint = "my_notifications")]
pub async fn my_notifications(#[server(default)] page: i64) -> Result<NotificationsView, AppError> {
    use super::{NotificationView, PER_PAGE};
    use crate::domain::notifications::NotificationKind;
    use crate::domain::paging::{clamp_page, Page};
    use crate::server::internal;
    use crate::server::services::notifications;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let page = clamp_page(page);
        let (rows, total) = notifications::list(&state.pool, caller.user_id, page, PER_PAGE)
            .await
            .map_err(internal)?;
        let unread = notifications::unread(&state.pool, caller.user_id)
            .await
            .map_err(internal)?;
        let notifications = Page::new(rows, total, page, PER_PAGE).map(|row| NotificationView {
            id: row.id.to_string(),
            kind: NotificationKind::parse(&row.kind),
            title: row.title,
            body: row.body,
            link: row.link,
            time: crate::format::time(row.created_at),
            unread: row.read_at.is_none(),
        });
        Ok(NotificationsView {
            notifications,
            unread,
        })
    })
    .await
}
