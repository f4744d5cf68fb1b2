//! Rejecting an onboarding application.

use leptos::prelude::*;

use super::DecisionForm;
use crate::error::AppError;

/// The field of a validation error that names the application it is about:
/// the queue shows one reject form per application, and a form posted
/// without JavaScript gets its error back through the URL, so each form
/// needs to tell whether the error is its own.
pub const APPLICATION_FIELD: &str = "application_id";

/// Rejects a pending application with a reason; the applicant is emailed
/// the reason and the decision audited.
#[server(endpoint = "admin_reject_application")]
pub async fn reject_application(#[server(flatten)] form: DecisionForm) -> Result<(), AppError> {
    use crate::error::FieldErrors;
    use crate::server::services::onboarding;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        if form.note.trim().is_empty() {
            let mut errors = FieldErrors::default();
            errors.add("note", "Give the applicant a reason for the rejection.");
            errors.add(APPLICATION_FIELD, form.application_id.to_string());
            return errors.finish();
        }
        let addr = crate::server::client_addr();
        let note = Some(form.note);
        onboarding::decide(
            &state.pool,
            &state.public_url,
            state.starter_grant,
            &caller,
            onboarding::Decision {
                application: form.application_id,
                approve: false,
                note,
            },
            addr,
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_applications(),
            &[("status", "pending"), ("done", "rejected")],
        ));
        Ok(())
    })
    .await
}
