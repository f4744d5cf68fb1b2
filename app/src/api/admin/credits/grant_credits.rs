//! Granting credit to one user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::CreditChange;
use crate::error::AppError;

/// The grant form, as posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantForm {
    pub email: String,
    /// Credits, up to 6 decimals.
    pub amount: String,
    /// `YYYY-MM-DD`, or blank for credit that never expires.
    #[serde(default)]
    pub expiry: String,
    pub reason: String,
    /// Rendered into the form with the page, so a second submission of the
    /// same form grants nothing.
    pub idempotency_key: String,
}

/// Grants credit from the treasury to the user (audited as
/// `credits.grant`) and returns to their credit page.
#[server(endpoint = "admin_grant_credits")]
pub async fn grant_credits(#[server(flatten)] form: GrantForm) -> Result<CreditChange, AppError> {
    use crate::domain::calendar::{parse_expiry, ExpiryRule};
    use crate::domain::credit_grant::{parse_reason, ParsedGrant};
    use crate::domain::credits::Credits;
    use crate::error::FieldErrors;
    use crate::server::services::credits::{self, GrantRequest, Granted};
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let key = super::form_key(&form.idempotency_key)?;
        let mut errors = FieldErrors::default();
        let amount = errors.check("amount", Credits::parse(&form.amount, false));
        if amount.is_some_and(|a| !a.is_positive()) {
            errors.add("amount", "The amount must be more than zero.");
        }
        let now = time::OffsetDateTime::now_utc();
        let expires_at = errors.check(
            "expiry",
            parse_expiry(&form.expiry, now, ExpiryRule::CreditGrant),
        );
        let reason = errors.check("reason", parse_reason(&form.reason));
        errors.finish()?;
        let (Some(amount), Some(expires_at), Some(reason)) = (amount, expires_at, reason) else {
            return Err(AppError::Internal);
        };
        let user = super::credit_user(&state.pool, &form.email).await?;
        let grant = ParsedGrant {
            amount,
            expires_at,
            reason,
        };
        let request = GrantRequest {
            user: &user,
            grant: &grant,
            key: format!("admin-grant:{key}"),
        };
        let outcome =
            credits::grant(&state.pool, &caller, &request, crate::server::client_addr()).await?;
        let applied = outcome == Granted::Now;
        let done = if applied { "granted" } else { "repeated" };
        crate::server::redirect(&super::credits_page(&user.email, done));
        Ok(CreditChange { applied })
    })
    .await
}
