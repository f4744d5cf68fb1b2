//! The numbers on the admin overview.

use leptos::prelude::*;

use super::AdminOverview;
use crate::error::AppError;

/// How many users, pending applications and unsent emails there are, and
/// how much usage went unpaid.
#[server(endpoint = "admin_overview")]
pub async fn get_overview() -> Result<AdminOverview, AppError> {
    use crate::server::services::overview;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let o = overview::overview(&state.pool)
            .await
            .map_err(crate::server::internal)?;
        Ok(AdminOverview {
            users: o.users,
            pending_applications: o.pending_applications,
            unsent_emails: o.unsent_emails,
            uncollected: o.uncollected,
        })
    })
    .await
}
