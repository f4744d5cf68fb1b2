//! Staff's changes to a request: internal notes, assignment, status,
//! priority and credit granted from it. Each is audited, and each sends a
//! form posted without JavaScript back to the request.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Back to the request, saying what was `done` (a form without JavaScript).
#[cfg(feature = "ssr")]
fn back(number: i64, done: &str) {
    crate::server::redirect(&crate::href::with_query(
        &crate::href::admin_support_request(number),
        &[("done", done)],
    ));
}

/// Adds an internal note: seen by staff only, never shown or emailed to
/// the requester.
#[server(endpoint = "admin_add_support_note")]
pub async fn admin_add_support_note(number: String, body: String) -> Result<(), AppError> {
    use crate::api::support::parse_number;
    use crate::domain::support::parse_body;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let number = parse_number(&number)?;
        let body = parse_body(&body).map_err(|m| AppError::field("note", m))?;
        support::add_note(
            &state.pool,
            &caller,
            number,
            &body,
            crate::server::client_addr(),
        )
        .await?;
        back(number, "noted");
        Ok(())
    })
    .await
}

/// Assigns the request to a member of staff (`assignee`: their id, or
/// empty for nobody); they are emailed.
#[server(endpoint = "admin_assign_support_request")]
pub async fn admin_assign_support_request(
    number: String,
    #[server(default)] assignee: String,
) -> Result<(), AppError> {
    use crate::api::support::parse_number;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let number = parse_number(&number)?;
        let assignee =
            match assignee.trim() {
                "" => None,
                "me" => Some(caller.user_id),
                id => Some(uuid::Uuid::parse_str(id).map_err(|_| {
                    AppError::field("assignee", "Choose a member of the Lab staff.")
                })?),
            };
        let origin = crate::server::origin(&state);
        support::assign(
            &state.pool,
            &origin,
            &caller,
            number,
            assignee,
            crate::server::client_addr(),
        )
        .await?;
        back(number, "assigned");
        Ok(())
    })
    .await
}

/// Sets the request's status (waiting on staff or requester, resolved,
/// closed); the requester is told.
#[server(endpoint = "admin_set_support_status")]
pub async fn admin_set_support_status(number: String, status: String) -> Result<(), AppError> {
    use crate::api::support::parse_number;
    use crate::domain::support::Status;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let number = parse_number(&number)?;
        let status = Status::parse(&status)
            .filter(|s| Status::SETTABLE.contains(s))
            .ok_or_else(|| AppError::field("status", "Choose a status."))?;
        support::set_status(
            &state.pool,
            &caller,
            number,
            status,
            crate::server::client_addr(),
        )
        .await?;
        back(number, "status");
        Ok(())
    })
    .await
}

/// Sets the request's priority; its first-response target follows.
#[server(endpoint = "admin_set_support_priority")]
pub async fn admin_set_support_priority(number: String, priority: String) -> Result<(), AppError> {
    use crate::api::support::parse_number;
    use crate::domain::support::Priority;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let number = parse_number(&number)?;
        let priority = Priority::parse(&priority)
            .ok_or_else(|| AppError::field("priority", "Choose a priority."))?;
        support::set_priority(
            &state.pool,
            &caller,
            number,
            priority,
            crate::server::client_addr(),
        )
        .await?;
        back(number, "priority");
        Ok(())
    })
    .await
}

/// The form granting credit from a request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SupportGrantForm {
    pub number: String,
    /// Credits, up to 6 decimals.
    pub amount: String,
    /// `YYYY-MM-DD`, or blank for credit that never expires.
    #[serde(default)]
    pub expiry: String,
    pub reason: String,
    /// Rendered with the page: a second submission grants nothing.
    pub idempotency_key: String,
}

/// Grants credit to the requester from the request (the ledger's grant,
/// linked to the request and audited); the thread says so and the
/// requester is told. Answers whether this submission granted (a repeated
/// one does not).
#[server(endpoint = "admin_grant_support_credits")]
pub async fn admin_grant_support_credits(
    #[server(flatten)] form: SupportGrantForm,
) -> Result<bool, AppError> {
    use crate::api::support::parse_number;
    use crate::domain::calendar::{parse_expiry, ExpiryRule};
    use crate::domain::credit_grant::{parse_reason, ParsedGrant};
    use crate::domain::credits::Credits;
    use crate::error::FieldErrors;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let number = parse_number(&form.number)?;
        let key = uuid::Uuid::parse_str(form.idempotency_key.trim()).map_err(|_| {
            AppError::InvalidRequest("The form has expired. Reload the page and try again.".into())
        })?;
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
        let grant = ParsedGrant {
            amount,
            expires_at,
            reason,
        };
        let granted = support::grant(
            &state.pool,
            &caller,
            number,
            &grant,
            key,
            crate::server::client_addr(),
        )
        .await?;
        back(number, if granted { "granted" } else { "repeated" });
        Ok(granted)
    })
    .await
}
