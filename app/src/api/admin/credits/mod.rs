//! Credits as admins manage them: one user's account, grants and
//! adjustments, and bulk grants from a CSV file (upload, preview, apply,
//! report). The bulk report's types are the domain's
//! ([`crate::domain::bulk_grant`]); its paging is the credit admin service's.

mod adjust_credits;
mod apply_bulk_grant;
mod get_bulk_grant;
mod get_credit_account;
mod grant_credits;
mod list_uncollected;
mod upload_bulk_grant;

pub use adjust_credits::*;
pub use apply_bulk_grant::*;
pub use get_bulk_grant::*;
pub use get_credit_account::*;
pub use grant_credits::*;
pub use list_uncollected::*;
pub use upload_bulk_grant::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::credits::HistoryView;
use crate::domain::paging::Page;

/// A user's credit account, as the admin credits page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditAccountView {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// Micro-credits that can be spent now.
    pub available: i64,
    /// Micro-credits held for requests in flight.
    pub reserved: i64,
    /// Micro-credits that expire within the next 30 days.
    pub expiring_soon: i64,
    /// `(micro-credits, when)` of credit that expires, soonest first.
    pub expiring: Vec<(i64, String)>,
    /// One page of the account's history, newest first.
    pub history: Page<HistoryView>,
    /// A fresh idempotency key for the forms of this page, made when it is
    /// rendered: submitting the same form twice acts once.
    pub form_key: String,
}

/// What the Lab served without being paid (usage past a reservation that
/// its account did not have credit for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncollectedView {
    /// The uncollected ledger account's balance, micro-credits.
    pub total: i64,
    /// The requests it came from, newest first.
    pub requests: Page<UncollectedRequest>,
}

/// One request its account could not pay for in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncollectedRequest {
    pub request_id: String,
    pub at: String,
    pub user_id: Uuid,
    pub email: String,
    pub model: String,
    pub tokens: i64,
    /// Its price, micro-credits.
    pub credits: i64,
    /// What its account did not have, micro-credits.
    pub uncollected: i64,
}

/// What a grant or adjustment form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditChange {
    /// `false` when this form had already been submitted (nothing moved).
    pub applied: bool,
}

/// The bulk grant page showing a draft (`which` = `draft`) or a run (`run`).
#[cfg(feature = "ssr")]
fn bulk_page(which: &str, id: Uuid) -> String {
    crate::href::with_query(
        crate::href::admin_bulk_credits(),
        &[(which, &id.to_string())],
    )
}

/// The id in a bulk page's link, or 404: an id that is not one names nothing.
#[cfg(feature = "ssr")]
fn bulk_id(id: &str, what: &str) -> Result<Uuid, crate::error::AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| gone(what))
}

/// The 404 for a draft or a run that is not (or no longer) kept.
#[cfg(feature = "ssr")]
fn gone(what: &str) -> crate::error::AppError {
    crate::error::AppError::NotFound(format!(
        "This {what} does not exist or is older than 30 days. Upload the file again."
    ))
}

/// The user with `email`, or a field error on `email`.
#[cfg(feature = "ssr")]
async fn credit_user(
    pool: &sqlx::PgPool,
    email: &str,
) -> Result<crate::server::services::credits::CreditUser, crate::error::AppError> {
    use crate::error::AppError;
    use crate::server::services::credits;
    if email.trim().is_empty() {
        return Err(AppError::field("email", "Enter the user's email."));
    }
    credits::find_user(pool, email)
        .await
        .map_err(crate::server::internal)?
        .ok_or_else(|| AppError::field("email", "No user has this email."))
}

/// The idempotency key a credit form carries, or an error if it was
/// tampered with.
#[cfg(feature = "ssr")]
pub(crate) fn form_key(key: &str) -> Result<Uuid, crate::error::AppError> {
    Uuid::parse_str(key.trim()).map_err(|_| {
        crate::error::AppError::InvalidRequest(
            "The form has expired. Reload the page and try again.".to_owned(),
        )
    })
}

/// Where a credit form returns to: the user's credit page with `done`.
#[cfg(feature = "ssr")]
fn credits_page(email: &str, done: &str) -> String {
    crate::href::with_query(
        crate::href::admin_credits(),
        &[("email", email), ("done", done)],
    )
}
