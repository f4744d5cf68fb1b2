//! Admin console server functions (platform admins only).
//!
//! Every function here starts with `require_admin()`: the server refuses
//! anonymous callers (401) and developers (403) whatever the pages show.

mod adjust_credits;
mod apply_bulk_grant;
mod approve_application;
mod change_role;
mod create_model;
mod create_provider;
mod get_bulk_grant;
mod get_credit_account;
mod get_overview;
mod get_user;
mod grant_credits;
mod list_applications;
mod list_audit;
mod list_outbox;
mod list_users;
mod model_catalog;
mod reactivate_user;
mod reject_application;
mod set_model_enabled;
mod suspend_user;
mod update_model;
mod update_provider;
mod upload_bulk_grant;

pub use adjust_credits::*;
pub use apply_bulk_grant::*;
pub use approve_application::*;
pub use change_role::*;
pub use create_model::*;
pub use create_provider::*;
pub use get_bulk_grant::*;
pub use get_credit_account::*;
pub use get_overview::*;
pub use get_user::*;
pub use grant_credits::*;
pub use list_applications::*;
pub use list_audit::*;
pub use list_outbox::*;
pub use list_users::*;
pub use model_catalog::*;
pub use reactivate_user::*;
pub use reject_application::*;
pub use set_model_enabled::*;
pub use suspend_user::*;
pub use update_model::*;
pub use update_provider::*;
pub use upload_bulk_grant::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::credits::HistoryView;
use crate::domain::role::{ApplicationStatus, PlatformRole, UserStatus};

/// Rows per page in every admin list.
pub const PER_PAGE: i64 = 25;

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching rows on all pages.
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// The position of the first row shown (1-based), or 0 when none is.
    pub fn first_shown(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            (self.page - 1) * self.per_page + 1
        }
    }

    /// The position of the last row shown, or 0 when none is.
    pub fn last_shown(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            self.first_shown() + self.items.len() as i64 - 1
        }
    }

    /// Whether an earlier page exists.
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    /// Whether a later page has rows.
    pub fn has_next(&self) -> bool {
        self.page.saturating_mul(self.per_page) < self.total
    }
}

/// The numbers on the admin overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub users: i64,
    pub pending_applications: i64,
    pub unsent_emails: i64,
}

/// A user in the admin list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: PlatformRole,
    pub status: UserStatus,
    pub verified: bool,
    pub created: String,
}

/// Everything the admin user page shows about one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    /// The account kind's label ("Business").
    pub kind: String,
    pub organization: Option<String>,
    /// The country's name.
    pub country: String,
    pub role: PlatformRole,
    pub status: UserStatus,
    pub verified_at: Option<String>,
    pub created: String,
    /// Whether this is the admin looking at the page (who cannot change
    /// their own role or status).
    pub is_self: bool,
    /// The most recent logins, newest first.
    pub logins: Vec<LoginView>,
    pub applications: Vec<AdminApplication>,
}

/// One login (browser session) of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginView {
    pub created: String,
    pub last_seen: String,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// When it ended; `None` while active.
    pub ended: Option<String>,
}

/// An onboarding application as reviewers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminApplication {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_email: String,
    pub user_name: String,
    pub building: String,
    /// The industry's label.
    pub industry: String,
    /// The stage's label.
    pub expected_usage: String,
    pub status: ApplicationStatus,
    pub decision_note: Option<String>,
    pub submitted: String,
    pub decided: Option<String>,
}

/// Where a queued email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Accepted by the SMTP server.
    Sent,
    /// Not tried yet (or no SMTP server is configured).
    Pending,
    /// The latest attempt failed; see the error and the attempt count.
    Failed,
}

impl DeliveryState {
    /// How pages show this state.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Sent => "Sent",
            DeliveryState::Pending => "Pending",
            DeliveryState::Failed => "Failed",
        }
    }
}

/// One email of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created: String,
    pub sent: Option<String>,
    pub state: DeliveryState,
    pub attempts: i32,
    /// Whether the mailer gave up on it.
    pub gave_up: bool,
    pub last_error: Option<String>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// Compact JSON.
    pub before: Option<String>,
    /// Compact JSON.
    pub after: Option<String>,
    pub client_addr: Option<String>,
}

/// One page of the audit log, and every action name for the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Page<AuditView>,
    pub actions: Vec<String>,
}

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

/// What a grant or adjustment form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditChange {
    /// `false` when this form had already been submitted (nothing moved).
    pub applied: bool,
}

/// Where a row of a bulk grant file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkRowStatus {
    /// Valid: applying the file grants it.
    Ready,
    /// Cannot be granted; see the message.
    Invalid,
    /// Granted by this run.
    Granted,
    /// Granted by an earlier run of the same file.
    AlreadyGranted,
}

impl BulkRowStatus {
    /// How pages show this status.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Invalid => "Skipped",
            Self::Granted => "Granted",
            Self::AlreadyGranted => "Already granted",
        }
    }
}

/// One row of a bulk grant file, checked or applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRowView {
    /// The line of the file the row starts on (the header is line 1).
    pub line: i64,
    pub email: String,
    /// As written in the file.
    pub amount: String,
    pub expiry: String,
    pub reason: String,
    pub status: BulkRowStatus,
    /// Why the row is skipped.
    pub message: Option<String>,
}

/// A bulk grant file, previewed or applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    /// Whether credit was granted (a run) or only checked (a preview).
    pub applied: bool,
    /// The uploaded file: `/admin/credits/bulk?draft=<id>` previews it.
    pub draft: Uuid,
    /// The run this report is of: `/admin/credits/bulk?run=<id>`.
    pub run: Option<Uuid>,
    /// The uploaded file's name; `None` when the text was pasted.
    pub file_name: Option<String>,
    /// When the file was uploaded (a preview) or applied (a run).
    pub at: String,
    /// The email of the admin who uploaded or applied it.
    pub by: String,
    /// SHA-256 of the file, in hex.
    pub file_hash: String,
    pub rows: Vec<BulkRowView>,
    /// Micro-credits granted by this run (or that applying would grant).
    pub total_micros: i64,
}

impl BulkReport {
    /// How many rows have `status`.
    pub fn count(&self, status: BulkRowStatus) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }
}

/// One row of a bulk file as pages show it.
#[cfg(feature = "ssr")]
fn bulk_row(
    line: usize,
    email: String,
    amount: String,
    expiry: String,
    reason: String,
    status: crate::server::services::credit_admin::RowStatus,
) -> BulkRowView {
    use crate::server::services::credit_admin::RowStatus;
    let (status, message) = match status {
        RowStatus::Ready => (BulkRowStatus::Ready, None),
        RowStatus::Invalid(m) => (BulkRowStatus::Invalid, Some(m)),
        RowStatus::Granted => (BulkRowStatus::Granted, None),
        RowStatus::AlreadyGranted => (BulkRowStatus::AlreadyGranted, None),
    };
    BulkRowView {
        line: i64::try_from(line).unwrap_or(i64::MAX),
        email,
        amount,
        expiry,
        reason,
        status,
        message,
    }
}

/// The preview of a draft: what applying it now would do.
#[cfg(feature = "ssr")]
fn preview_report(
    draft: &crate::server::services::credit_admin::bulk::Draft,
    outcome: crate::server::services::credit_admin::BulkOutcome,
) -> BulkReport {
    BulkReport {
        applied: false,
        draft: draft.id,
        run: None,
        file_name: draft.file_name.clone(),
        at: crate::api::onboarding::format_time(draft.created_at),
        by: draft.created_by.clone(),
        file_hash: outcome.file_hash,
        rows: outcome
            .rows
            .into_iter()
            .map(|(r, status)| bulk_row(r.line, r.email, r.amount, r.expiry, r.reason, status))
            .collect(),
        total_micros: outcome.total_micros,
    }
}

/// The stored report of a run.
#[cfg(feature = "ssr")]
fn run_report(run: crate::server::services::credit_admin::bulk::Run) -> BulkReport {
    BulkReport {
        applied: true,
        draft: run.draft_id,
        run: Some(run.id),
        file_name: run.file_name,
        at: crate::api::onboarding::format_time(run.created_at),
        by: run.created_by,
        file_hash: run.file_hash,
        rows: run
            .rows
            .into_iter()
            .map(|r| bulk_row(r.line, r.email, r.amount, r.expiry, r.reason, r.status))
            .collect(),
        total_micros: run.total_micros,
    }
}

/// The bulk grant page showing a draft (`which` = `draft`) or a run (`run`).
#[cfg(feature = "ssr")]
fn bulk_page(which: &str, id: Uuid) -> String {
    crate::pages::admin::href("/admin/credits/bulk", &[(which, &id.to_string())])
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
) -> Result<crate::server::services::credit_admin::CreditUser, crate::error::AppError> {
    use crate::error::AppError;
    use crate::server::services::credit_admin;
    if email.trim().is_empty() {
        return Err(AppError::field("email", "Enter the user's email."));
    }
    credit_admin::find_user(pool, email)
        .await
        .map_err(crate::server::internal)?
        .ok_or_else(|| AppError::field("email", "No user has this email."))
}

/// The idempotency key a credit form carries, or an error if it was
/// tampered with.
#[cfg(feature = "ssr")]
fn form_key(key: &str) -> Result<Uuid, crate::error::AppError> {
    Uuid::parse_str(key.trim()).map_err(|_| {
        crate::error::AppError::InvalidRequest(
            "The form has expired. Reload the page and try again.".to_owned(),
        )
    })
}

/// Where a credit form returns to: the user's credit page with `done`.
#[cfg(feature = "ssr")]
fn credits_page(email: &str, done: &str) -> String {
    crate::pages::admin::href("/admin/credits", &[("email", email), ("done", done)])
}

/// The `Page` a service's rows and total make, on page `page`.
#[cfg(feature = "ssr")]
fn page_of<R, T>(rows: Vec<R>, total: i64, page: i64, convert: impl FnMut(R) -> T) -> Page<T> {
    Page {
        items: rows.into_iter().map(convert).collect(),
        total,
        page: page.max(1),
        per_page: PER_PAGE,
    }
}

/// An application row as reviewers see it.
#[cfg(feature = "ssr")]
fn application_view(
    row: crate::server::services::applications::ApplicationRow,
) -> AdminApplication {
    use crate::api::onboarding::format_time;
    use crate::domain::application::{ExpectedUsage, Industry};
    AdminApplication {
        id: row.id,
        user_id: row.user_id,
        user_email: row.user_email,
        user_name: row.user_name,
        building: row.building,
        industry: Industry::parse(&row.industry)
            .map(|i| i.label().to_owned())
            .unwrap_or(row.industry),
        expected_usage: ExpectedUsage::parse(&row.expected_usage)
            .map(|u| u.label().to_owned())
            .unwrap_or(row.expected_usage),
        status: ApplicationStatus::parse(&row.status).unwrap_or(ApplicationStatus::Pending),
        decision_note: row.decision_note,
        submitted: format_time(row.created_at),
        decided: row.decided_at.map(format_time),
    }
}

/// The largest page number anyone can ask for; beyond it the offset would
/// overflow long before it mattered.
#[cfg(feature = "ssr")]
fn clamp_page(page: i64) -> i64 {
    page.clamp(1, 1_000_000)
}
