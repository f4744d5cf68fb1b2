//! Granting credit to an institution's pool.

use leptos::prelude::*;

use crate::error::AppError;

/// Grants credit to the pool of the institution `slug`, optionally expiring
/// at the end of `expiry`; once per form (`idempotency_key`).
#[server(endpoint = "admin_grant_institution_credits")]
pub async fn grant_institution_credits(
    slug: String,
    amount: String,
    #[server(default)] expiry: String,
    reason: String,
    idempotency_key: String,
) -> Result<bool, AppError> {
    use crate::domain::calendar::{parse_expiry, ExpiryRule};
    use crate::domain::credit_grant::{parse_reason, ParsedGrant};
    use crate::domain::credits::Credits;
    use crate::error::FieldErrors;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let key = crate::api::admin::credits::form_key(&idempotency_key)?;
        let mut errors = FieldErrors::default();
        let institution = cohorts::institution_by_slug(&state.pool, slug.trim()).await?;
        if institution.is_none() {
            errors.add("slug", "There is no institution with this address.");
        }
        let amount = errors.check("amount", Credits::parse(&amount, false));
        if amount.is_some_and(|a| !a.is_positive()) {
            errors.add("amount", "The amount must be more than zero.");
        }
        let now = time::OffsetDateTime::now_utc();
        let expires_at = errors.check(
            "expiry",
            parse_expiry(&expiry, now, ExpiryRule::CreditGrant),
        );
        let reason = errors.check("reason", parse_reason(&reason));
        errors.finish()?;
        let (Some(institution), Some(amount), Some(expires_at), Some(reason)) =
            (institution, amount, expires_at, reason)
        else {
            return Err(AppError::Internal);
        };
        let granted = cohorts::grant_institution(
            &state.pool,
            &caller,
            &institution,
            &ParsedGrant {
                amount,
                expires_at,
                reason,
            },
            &format!("admin-institution-grant:{key}"),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_institutions(),
            &[("done", if granted { "granted" } else { "repeated" })],
        ));
        Ok(granted)
    })
    .await
}
