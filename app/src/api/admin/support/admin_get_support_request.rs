//! A support request, for staff.

use leptos::prelude::*;

use super::StaffRequestView;
use crate::error::AppError;

/// The request `number` with its context, thread and internal notes, the
/// staff it may be assigned to, the canned replies, and, when `canned`
/// names one, that reply filled in for this request.
#[server(endpoint = "admin_get_support_request")]
pub async fn admin_get_support_request(
    number: String,
    #[server(default)] canned: String,
) -> Result<StaffRequestView, AppError> {
    use super::{CannedView, NoteView, StaffEntry};
    use crate::api::support::{parse_number, SupportRequestView};
    use crate::format;
    use crate::server::datasets::card;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let number = parse_number(&number)?;
        let request = support::for_staff(&state.pool, number).await?;
        let (messages, notes, staff, canned_rows) = tokio::try_join!(
            support::thread(&state.pool, request.id),
            support::notes(&state.pool, request.id),
            support::staff(&state.pool),
            support::canned(&state.pool),
        )?;
        let draft = match uuid::Uuid::parse_str(canned.trim()) {
            Ok(id) => Some(support::render_canned(&state.pool, &caller, id, &request).await?),
            Err(_) => None,
        };
        let now = time::OffsetDateTime::now_utc();
        let breached = request.breached(now);
        let due = format::time(request.first_response_due);
        let first_response = request.first_response_at.map(format::time);
        let assignee_id = request.assignee_id.map(|id| id.to_string());
        // Messages and notes, merged by time (each list comes oldest first).
        let order: Vec<(time::OffsetDateTime, bool)> = {
            let mut order: Vec<_> = messages
                .iter()
                .map(|m| (m.created_at, false))
                .chain(notes.iter().map(|n| (n.created_at, true)))
                .collect();
            order.sort_by_key(|(at, _)| *at);
            order
        };
        let mut view = SupportRequestView::build(request, messages);
        let mut messages = std::mem::take(&mut view.messages).into_iter();
        let mut notes = notes.into_iter();
        let timeline = order
            .into_iter()
            .filter_map(|(_, note)| {
                if note {
                    notes.next().map(|n| {
                        StaffEntry::Note(NoteView {
                            author: n.author_name,
                            html: card::render(&n.body),
                            when: format::time(n.created_at),
                        })
                    })
                } else {
                    messages.next().map(StaffEntry::Message)
                }
            })
            .collect();
        Ok(StaffRequestView {
            request: view,
            timeline,
            assignee_id,
            staff: staff
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect(),
            canned: canned_rows
                .into_iter()
                .map(|c| CannedView {
                    id: c.id.to_string(),
                    title: c.title,
                    body: c.body,
                })
                .collect(),
            draft,
            breached,
            due,
            first_response,
            grant_key: uuid::Uuid::new_v4().to_string(),
        })
    })
    .await
}
