//! Approving an onboarding application.

use leptos::prelude::*;

use super::DecisionForm;
use crate::error::AppError;

/// Approves a pending application; the applicant is emailed and the
/// decision audited.
#[server(endpoint = "admin_approve_application")]
pub async fn approve_application(#[server(flatten)] form: DecisionForm) -> Result<(), AppError> {
    use crate::server::services::onboarding;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let note = Some(form.note);
        let addr = crate::server::client_addr();
        onboarding::decide(
            &state.pool,
            &state.public_url,
            state.starter_grant,
            &caller,
            onboarding::Decision {
                application: form.application_id,
                approve: true,
                note,
            },
            addr,
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_applications(),
            &[("status", "pending"), ("done", "approved")],
        ));
        Ok(())
    })
    .await
}
