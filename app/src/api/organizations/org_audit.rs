//! An organization's audit trail.

use leptos::prelude::*;

use super::OrgAuditView;
use crate::error::AppError;

/// Entries per page of the trail.
pub const AUDIT_PER_PAGE: i64 = 50;

/// Everything done in the organization, newest first: invitations, joins,
/// role and budget changes, keys, grants received, settings (owners and
/// admins).
#[server(endpoint = "org_audit")]
pub async fn org_audit(
    slug: String,
    #[server(default)] page: i64,
) -> Result<OrgAuditView, AppError> {
    use crate::domain::paging::{clamp_page, Page};
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, _) = organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let page = clamp_page(page);
        let (rows, total) =
            organizations::audit_trail(&state.pool, &org, page, AUDIT_PER_PAGE).await?;
        let entries = Page::new(rows, total, page, AUDIT_PER_PAGE).map(audit_entry);
        Ok(OrgAuditView {
            organization: org.name,
            slug: org.slug,
            entries,
        })
    })
    .await
}

/// An entry of a team's audit trail as pages show it.
#[cfg(feature = "ssr")]
pub fn audit_entry(row: crate::server::services::audit::TeamAuditRow) -> super::OrgAuditEntry {
    let details = match (&row.before, &row.after) {
        (Some(before), Some(after)) => format!("{before} → {after}"),
        (None, Some(after)) => after.to_string(),
        (Some(before), None) => before.to_string(),
        (None, None) => String::new(),
    };
    super::OrgAuditEntry {
        time: crate::format::time(row.created_at),
        actor: row.actor.unwrap_or_else(|| "The Lab".to_owned()),
        action: row.action,
        target: format!("{} {}", row.target_type, row.target_id),
        details,
    }
}
