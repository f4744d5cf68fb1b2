//! Granting credit to an organization's pool.

use leptos::prelude::*;

use crate::error::AppError;

/// Grants credit from the treasury to the pool of the organization `slug`
/// (identified by its slug), optionally expiring at the end of `expiry`
/// (`YYYY-MM-DD`, UTC); audited as `credits.grant` and in the
/// organization's own trail. A second post of the same form (its
/// `idempotency_key`) grants nothing more. Answers whether it granted.
#[server(endpoint = "admin_grant_org_credits")]
pub async fn grant_org_credits(
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
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let key = crate::api::admin::credits::form_key(&idempotency_key)?;
        let mut errors = FieldErrors::default();
        let org = organizations::by_slug(&state.pool, slug.trim()).await?;
        if org.is_none() {
            errors.add("slug", "There is no organization with this address.");
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
        let (Some(org), Some(amount), Some(expires_at), Some(reason)) =
            (org, amount, expires_at, reason)
        else {
            return Err(AppError::Internal);
        };
        let grant = ParsedGrant {
            amount,
            expires_at,
            reason,
        };
        let granted = organizations::grant_pool(
            &state.pool,
            &caller,
            &org,
            &grant,
            &format!("admin-org-grant:{key}"),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_organizations(),
            &[
                ("q", &org.slug),
                ("done", if granted { "granted" } else { "repeated" }),
            ],
        ));
        Ok(granted)
    })
    .await
}
