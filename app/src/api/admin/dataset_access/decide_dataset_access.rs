//! Approving, rejecting or revoking an access request.

use leptos::prelude::*;

use super::AccessDecisionForm;
use crate::error::AppError;

/// Decides the request of `form`: approve or reject a pending one, revoke
/// an approved one (a reason is required for both of those). The requester
/// is told (by email too, unless they opted out) and the decision audited.
#[server(endpoint = "admin_decide_dataset_access")]
pub async fn decide_dataset_access(
    #[server(flatten)] form: AccessDecisionForm,
) -> Result<(), AppError> {
    use crate::server::services::dataset_access::{self, Decision};
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let (decision, status, done) = match form.decision.as_str() {
            "approve" => (Decision::Approve, "pending", "approved"),
            "reject" => (Decision::Reject, "pending", "rejected"),
            "revoke" => (Decision::Revoke, "approved", "revoked"),
            _ => return Err(AppError::InvalidRequest("Unknown decision.".to_owned())),
        };
        let decided = dataset_access::decide(
            &state.pool,
            &state.public_url,
            &caller,
            form.request_id,
            decision,
            Some(form.reason),
            crate::server::client_addr(),
        )
        .await;
        if let Err(AppError::Validation(mut errors)) = decided {
            // Which request's form the error belongs to.
            errors.push(crate::error::FieldError {
                field: super::REQUEST_FIELD.to_owned(),
                message: form.request_id.to_string(),
            });
            return Err(AppError::Validation(errors));
        }
        decided?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_dataset_access(),
            &[("status", status), ("done", done)],
        ));
        Ok(())
    })
    .await
}
