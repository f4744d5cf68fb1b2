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

/// Rows per page of a bulk grant file's preview or report (a file has up to
/// 5,000).
pub const BULK_PER_PAGE: i64 = 100;

/// Which rows of a bulk grant file a page lists (`?show=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkRowFilter {
    /// Every row.
    #[default]
    All,
    /// Only the rows that cannot be granted (a preview's errors) or were
    /// skipped (a run's).
    Problems,
}

impl BulkRowFilter {
    /// The filter a `?show=` value names; anything unknown lists every row.
    pub fn parse(value: &str) -> Self {
        if value.trim() == "problems" {
            Self::Problems
        } else {
            Self::All
        }
    }

    /// The `?show=` value of this filter ("" for every row, so links stay short).
    pub fn as_query(self) -> &'static str {
        match self {
            Self::All => "",
            Self::Problems => "problems",
        }
    }

    /// Whether a row with `status` is listed.
    pub fn lists(self, status: BulkRowStatus) -> bool {
        match self {
            Self::All => true,
            Self::Problems => status == BulkRowStatus::Invalid,
        }
    }
}

/// How many rows of a whole bulk grant file (every page) have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkCounts {
    pub ready: i64,
    pub invalid: i64,
    pub granted: i64,
    pub already_granted: i64,
}

impl BulkCounts {
    /// How many rows have `status`.
    pub fn of(&self, status: BulkRowStatus) -> i64 {
        match status {
            BulkRowStatus::Ready => self.ready,
            BulkRowStatus::Invalid => self.invalid,
            BulkRowStatus::Granted => self.granted,
            BulkRowStatus::AlreadyGranted => self.already_granted,
        }
    }

    /// How many rows `filter` lists.
    pub fn listed(&self, filter: BulkRowFilter) -> i64 {
        match filter {
            BulkRowFilter::All => self.ready + self.invalid + self.granted + self.already_granted,
            BulkRowFilter::Problems => self.invalid,
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
    /// The rows of the whole file, by status.
    pub counts: BulkCounts,
    /// Which rows `rows` lists.
    pub show: BulkRowFilter,
    /// One page of the rows listed, in file order.
    pub rows: Page<BulkRowView>,
    /// Micro-credits granted by this run (or that applying would grant).
    pub total_micros: i64,
}

impl BulkReport {
    /// How many rows of the whole file have `status`.
    pub fn count(&self, status: BulkRowStatus) -> i64 {
        self.counts.of(status)
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

/// Page `page` of the `rows` that `show` lists, and every row's status
/// counted: the preview of a file is checked whole, then cut into pages.
#[cfg(feature = "ssr")]
fn paged_rows(
    rows: impl IntoIterator<Item = BulkRowView>,
    show: BulkRowFilter,
    page: i64,
) -> (BulkCounts, Page<BulkRowView>) {
    let page = clamp_page(page);
    let skip = usize::try_from((page - 1).saturating_mul(BULK_PER_PAGE)).unwrap_or(usize::MAX);
    let per_page = usize::try_from(BULK_PER_PAGE).unwrap_or(usize::MAX);
    let mut counts = BulkCounts::default();
    let mut items = Vec::new();
    let mut listed = 0_usize;
    for row in rows {
        *match row.status {
            BulkRowStatus::Ready => &mut counts.ready,
            BulkRowStatus::Invalid => &mut counts.invalid,
            BulkRowStatus::Granted => &mut counts.granted,
            BulkRowStatus::AlreadyGranted => &mut counts.already_granted,
        } += 1;
        if !show.lists(row.status) {
            continue;
        }
        if listed >= skip && items.len() < per_page {
            items.push(row);
        }
        listed += 1;
    }
    let rows = Page {
        items,
        total: counts.listed(show),
        page,
        per_page: BULK_PER_PAGE,
    };
    (counts, rows)
}

/// The rows of a stored run that page `page` of `show` lists.
#[cfg(feature = "ssr")]
fn rows_wanted(
    show: BulkRowFilter,
    page: i64,
) -> crate::server::services::credit_admin::bulk::RowsWanted {
    crate::server::services::credit_admin::bulk::RowsWanted {
        skipped_only: show == BulkRowFilter::Problems,
        page: clamp_page(page),
        per_page: BULK_PER_PAGE,
    }
}

/// Page `page` of the preview of a draft (the rows `show` lists): what
/// applying it now would do.
#[cfg(feature = "ssr")]
fn preview_report(
    draft: &crate::server::services::credit_admin::bulk::Draft,
    outcome: crate::server::services::credit_admin::BulkOutcome,
    show: BulkRowFilter,
    page: i64,
) -> BulkReport {
    let rows = outcome
        .rows
        .into_iter()
        .map(|(r, status)| bulk_row(r.line, r.email, r.amount, r.expiry, r.reason, status));
    let (counts, rows) = paged_rows(rows, show, page);
    BulkReport {
        applied: false,
        draft: draft.id,
        run: None,
        file_name: draft.file_name.clone(),
        at: crate::api::onboarding::format_time(draft.created_at),
        by: draft.created_by.clone(),
        file_hash: outcome.file_hash,
        counts,
        show,
        rows,
        total_micros: outcome.total_micros,
    }
}

/// The stored report of a run, read with `rows_wanted(show, page)`.
#[cfg(feature = "ssr")]
fn run_report(
    run: crate::server::services::credit_admin::bulk::Run,
    show: BulkRowFilter,
    page: i64,
) -> BulkReport {
    let page = Page {
        items: run
            .rows
            .into_iter()
            .map(|r| bulk_row(r.line, r.email, r.amount, r.expiry, r.reason, r.status))
            .collect(),
        total: run.listed,
        page: clamp_page(page),
        per_page: BULK_PER_PAGE,
    };
    BulkReport {
        applied: true,
        draft: run.draft_id,
        run: Some(run.id),
        file_name: run.file_name,
        at: crate::api::onboarding::format_time(run.created_at),
        by: run.created_by,
        file_hash: run.file_hash,
        counts: BulkCounts {
            ready: 0,
            invalid: run.counts.skipped,
            granted: run.counts.granted,
            already_granted: run.counts.already_granted,
        },
        show,
        rows: page,
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// Rows on lines 2.. with `statuses`, in order.
    fn rows(statuses: &[BulkRowStatus]) -> Vec<BulkRowView> {
        statuses
            .iter()
            .zip(2..)
            .map(|(&status, line)| BulkRowView {
                line,
                email: format!("u{line}@example.org"),
                amount: "1".to_owned(),
                expiry: String::new(),
                reason: "x".to_owned(),
                status,
                message: (status == BulkRowStatus::Invalid).then(|| "No.".to_owned()),
            })
            .collect()
    }

    fn lines(page: &Page<BulkRowView>) -> Vec<i64> {
        page.items.iter().map(|r| r.line).collect()
    }

    #[test]
    fn a_preview_is_counted_whole_and_cut_into_pages_of_a_hundred_rows() {
        let mut statuses = vec![BulkRowStatus::Ready; 230];
        statuses[10] = BulkRowStatus::Invalid;
        statuses[150] = BulkRowStatus::Invalid;
        statuses[151] = BulkRowStatus::AlreadyGranted;
        let whole = BulkCounts {
            ready: 227,
            invalid: 2,
            granted: 0,
            already_granted: 1,
        };
        let (counts, first) = paged_rows(rows(&statuses), BulkRowFilter::All, 1);
        assert_eq!(counts, whole);
        assert_eq!((first.total, first.page, first.per_page), (230, 1, 100));
        assert_eq!(lines(&first), (2..=101).collect::<Vec<_>>());
        let (_, last) = paged_rows(rows(&statuses), BulkRowFilter::All, 3);
        assert_eq!(lines(&last), (202..=231).collect::<Vec<_>>());
        let (_, beyond) = paged_rows(rows(&statuses), BulkRowFilter::All, 4);
        assert!(beyond.items.is_empty() && beyond.total == 230);
        let (_, below) = paged_rows(rows(&statuses), BulkRowFilter::All, 0);
        assert_eq!(lines(&below), lines(&first));

        let (counts, problems) = paged_rows(rows(&statuses), BulkRowFilter::Problems, 1);
        assert_eq!(counts, whole, "the filter does not change the counts");
        assert_eq!((problems.total, lines(&problems)), (2, vec![12, 152]));
        let (_, none) = paged_rows(rows(&statuses), BulkRowFilter::Problems, 2);
        assert!(none.items.is_empty());
    }

    #[test]
    fn only_problems_is_asked_for_by_name_and_anything_else_lists_every_row() {
        assert_eq!(BulkRowFilter::parse("problems"), BulkRowFilter::Problems);
        for other in ["", "all", "Problems ", "errors"] {
            assert_eq!(BulkRowFilter::parse(other), BulkRowFilter::All, "{other}");
        }
        assert_eq!(
            BulkRowFilter::parse(BulkRowFilter::Problems.as_query()),
            BulkRowFilter::Problems
        );
        assert!(!BulkRowFilter::Problems.lists(BulkRowStatus::AlreadyGranted));
        assert!(BulkRowFilter::Problems.lists(BulkRowStatus::Invalid));
    }
}
