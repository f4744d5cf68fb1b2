//! Correcting a user's balance by hand.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::CreditChange;
use crate::error::AppError;

/// The adjustment form, as posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdjustForm {
    pub email: String,
    /// Signed credits: `25` adds, `-25` takes back.
    pub amount: String,
    pub reason: String,
    /// Rendered into the form with the page, so a second submission of the
    /// same form changes nothing.
    pub idempotency_key: String,
}

/// Adds credit to or takes it back from the user (never below zero),
/// audited as `credits.adjust` with the balances before and after.
#[server(endpoint = "admin_adjust_credits")]
pub async fn adjust_credits(#[server(flatten)] form: AdjustForm) -> Result<CreditChange, AppError> {
    use crate::domain::credit_grant::parse_reason;
    use crate::domain::credits::Credits;
    use crate::error::FieldErrors;
    use crate::server::services::credits::{self, AdjustRequest, Granted};
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let key = super::form_key(&form.idempotency_key)?;
        let mut errors = FieldErrors::default();
        let amount = errors.check("amount", Credits::parse(&form.amount, true));
        if amount == Some(Credits::ZERO) {
            errors.add("amount", "Enter an amount other than zero.");
        }
        let reason = errors.check("reason", parse_reason(&form.reason));
        errors.finish()?;
        let (Some(amount), Some(reason)) = (amount, reason) else {
            return Err(AppError::Internal);
        };
        let user = super::credit_user(&state.pool, &form.email).await?;
        let request = AdjustRequest {
            user: &user,
            amount,
            reason,
            key: format!("admin-adjust:{key}"),
        };
        let outcome =
            credits::adjust(&state.pool, &caller, &request, crate::server::client_addr()).await?;
        let applied = outcome == Granted::Now;
        let done = if applied { "adjusted" } else { "repeated" };
        crate::server::redirect(&super::credits_page(&user.email, done));
        Ok(CreditChange { applied })
    })
    .await
}
