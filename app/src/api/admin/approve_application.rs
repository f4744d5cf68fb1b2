//! Approving an onboarding application.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// An approve or reject form, as posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionForm {
    pub application_id: Uuid,
    /// Optional for an approval; the reason for a rejection.
    #[serde(default)]
    pub note: String,
}

/// Approves a pending application; the applicant is emailed and the
/// decision audited.
#[server(endpoint = "admin_approve_application")]
pub async fn approve_application(#[server(flatten)] form: DecisionForm) -> Result<(), AppError> {
    use crate::server::services::applications;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let note = Some(form.note);
        let addr = crate::server::client_addr();
        applications::decide(
            &state.pool,
            &state.public_url,
            state.starter_grant,
            &caller,
            applications::Decision {
                application: form.application_id,
                approve: true,
                note,
            },
            addr,
        )
        .await?;
        crate::server::redirect("/admin/applications?status=pending&done=approved");
        Ok(())
    })
    .await
}
