//! The audit log.

use leptos::prelude::*;

use super::AuditPage;
use crate::error::AppError;

/// One page of the audit log, newest first, optionally only `action`.
#[server(endpoint = "admin_list_audit")]
pub async fn list_audit(
    #[server(default)] action: String,
    #[server(default)] page: i64,
) -> Result<AuditPage, AppError> {
    use super::AuditView;
    use crate::api::admin::PER_PAGE;
    use crate::domain::paging::{clamp_page, Page};
    use crate::domain::search::Search;
    use crate::format;
    use crate::server::{internal, services::audit};
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let action =
            Search::parse(&action).map_err(|message| AppError::field("action", message))?;
        let page = clamp_page(page);
        let (rows, total) = audit::list(&state.pool, Some(action.as_str()), page, PER_PAGE)
            .await
            .map_err(internal)?;
        let actions = audit::actions(&state.pool).await.map_err(internal)?;
        let entries = Page::new(rows, total, page, PER_PAGE).map(|r| AuditView {
            id: r.id,
            at: format::time(r.created_at),
            actor_id: r.actor_id,
            actor_email: r.actor_email,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            before: r.before.as_ref().map(format::details).unwrap_or_default(),
            after: r.after.as_ref().map(format::details).unwrap_or_default(),
            client_addr: r.client_addr,
        });
        Ok(AuditPage { entries, actions })
    })
    .await
}
