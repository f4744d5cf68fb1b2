//! Business organizations, for their members: creating one, the caller's
//! organizations and those their email's domain lets them join, one
//! organization's page (members, budgets, invitations, domains, settings),
//! invitations by email, roles, budgets, leaving and removing, and the keys
//! billed to it. Owners and admins manage; members see the organization,
//! their own budget and keys. Owners alone add webhooks for budget and
//! balance events and read their delivery log.

mod add_org_webhook;
mod create_organization;
mod delete_org_webhook;
mod get_organization;
mod invitations;
mod members;
mod my_organizations;
mod org_audit;
mod org_keys;
mod org_usage;
mod org_webhooks;
mod send_org_webhook_test;
mod set_org_webhook_active;
mod switch_organization;
mod update_organization;

pub use add_org_webhook::*;
pub use create_organization::*;
pub use delete_org_webhook::*;
pub use get_organization::*;
pub use invitations::*;
pub use members::*;
pub use my_organizations::*;
pub use org_audit::*;
pub use org_keys::*;
pub use org_usage::*;
pub use org_webhooks::*;
pub use send_org_webhook_test::*;
pub use set_org_webhook_active::*;
pub use switch_organization::*;
pub use update_organization::*;

use serde::{Deserialize, Serialize};

use crate::domain::organizations::{BudgetPeriod, OrgRole};

/// One of the caller's organizations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub slug: String,
    pub name: String,
    pub role: OrgRole,
    pub verified: bool,
    pub members: i64,
}

/// An organization the caller may join with their email's domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinableOrg {
    pub slug: String,
    pub name: String,
    pub domain: String,
}

/// The caller's organizations, and those they may join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyOrgs {
    pub organizations: Vec<OrgSummary>,
    pub joinable: Vec<JoinableOrg>,
}

/// A member's budget as shown: micro-credits per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetView {
    pub amount: i64,
    pub period: BudgetPeriod,
}

/// A member of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: OrgRole,
    pub joined: String,
    pub budget: Option<BudgetView>,
    /// Micro-credits spent in the budget's current period (without a
    /// budget: in all).
    pub spent: i64,
    /// When the budget's period ends, for people.
    pub resets: Option<String>,
    pub is_me: bool,
}

/// An invitation as owners and admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: Option<String>,
    pub sent: String,
    pub expires: String,
    /// "Open", "Expired", "Accepted" or "Revoked".
    pub status: String,
    pub open: bool,
}

/// One organization's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgView {
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub country: String,
    pub country_name: String,
    pub industry: String,
    pub industry_label: String,
    pub time_zone: String,
    pub verified: bool,
    pub created: String,
    pub my_role: OrgRole,
    pub manages: bool,
    /// The pool's available credit, in micro-credits.
    pub pool: i64,
    pub members_create_keys: bool,
    pub may_create_keys: bool,
    pub default_budget: Option<BudgetView>,
    /// Every member for owners and admins; for members, everyone's name
    /// and role, and budgets only their own.
    pub members: Vec<MemberView>,
    /// Empty for members.
    pub invitations: Vec<InvitationView>,
    pub domains: Vec<String>,
}

/// An invitation as the person invited sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    /// The organization's (or institution's) name.
    pub organization: String,
    pub slug: String,
    /// To an institution's staff rather than an organization.
    pub institution: bool,
    pub email: String,
    /// The role offered, as pages name it ("Member", "Coordinator", …).
    pub role: String,
    pub invited_by: Option<String>,
    pub expires: String,
    pub signed_in: bool,
    /// Why the caller cannot accept it (signed out: sign in or up first).
    pub refusal: Option<String>,
}

/// A key billed to an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub creator: String,
    pub creator_email: String,
    pub created: String,
    pub last_used: Option<String>,
    pub spent: i64,
    pub spend_cap: Option<i64>,
    pub active: bool,
}

/// The keys billed to an organization that the caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgKeyList {
    pub organization: String,
    pub slug: String,
    pub manages: bool,
    pub keys: Vec<OrgKeyView>,
}

#[cfg(feature = "ssr")]
fn budget_view(amount: Option<i64>, period: Option<&str>) -> Option<BudgetView> {
    Some(BudgetView {
        amount: amount?,
        period: BudgetPeriod::parse(period?)?,
    })
}

/// Parses a user id from a form.
#[cfg(feature = "ssr")]
fn user_id(input: &str) -> Result<uuid::Uuid, crate::error::AppError> {
    uuid::Uuid::parse_str(input.trim())
        .map_err(|_| crate::error::AppError::NotFound("That person is not a member.".to_owned()))
}

/// Where a change to `slug` lands a form posted without JavaScript.
#[cfg(feature = "ssr")]
fn back_to(slug: &str, done: &str) {
    crate::server::redirect(&crate::href::with_query(
        &crate::href::organization(slug),
        &[("done", done)],
    ));
}

/// Totals under one heading of an organization's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotalView {
    pub label: String,
    pub detail: String,
    pub requests: i64,
    pub tokens: i64,
    /// Micro-credits.
    pub credits: i64,
}

/// An organization's usage page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUsageView {
    pub organization: String,
    pub slug: String,
    /// Owners and admins see everyone's usage; members their own.
    pub manages: bool,
    /// The filter as applied: days `YYYY-MM-DD`, a member's id, a model.
    pub from: String,
    pub to: String,
    pub member: String,
    pub model: String,
    /// Members to filter on (managers only): id and name.
    pub members: Vec<(String, String)>,
    pub models: Vec<String>,
    pub by_member: Vec<UsageTotalView>,
    pub by_key: Vec<UsageTotalView>,
    pub by_model: Vec<UsageTotalView>,
    pub chart: crate::api::usage::UsageChart,
}

/// An entry of an organization's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAuditEntry {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
}

/// A page of an organization's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAuditView {
    pub organization: String,
    pub slug: String,
    pub entries: crate::domain::paging::Page<OrgAuditEntry>,
}

/// A webhook as the organization's owners see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    /// Event names (`budget.threshold`, `balance.low`).
    pub events: Vec<String>,
    pub active: bool,
    pub created: String,
    pub created_by: Option<String>,
}

/// One attempt to deliver an event, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttemptView {
    pub number: i32,
    pub time: String,
    pub status: Option<i16>,
    /// The start of the receiver's answer (at most 1 KB).
    pub response: Option<String>,
    pub error: Option<String>,
}

/// A delivery of an event to a webhook, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDeliveryView {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub time: String,
    pub attempts: i32,
    /// "Delivered", "Retrying", "Sending" or "Gave up".
    pub status: String,
    pub delivered: bool,
    pub next_attempt: Option<String>,
    pub last_status: Option<i16>,
    pub attempt_log: Vec<WebhookAttemptView>,
}

/// A new webhook's signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookSecret {
    pub webhook_id: String,
    pub secret: String,
}

/// The organization's webhooks page (owners).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgWebhooksView {
    pub organization: String,
    pub slug: String,
    pub webhooks: Vec<WebhookView>,
    /// The last deliveries of every webhook, newest first.
    pub deliveries: Vec<WebhookDeliveryView>,
    /// The secret of a webhook this owner just added without JavaScript,
    /// shown on this answer only.
    pub new_secret: Option<NewWebhookSecret>,
    /// Whether plain `http://` and private addresses are allowed (a
    /// closed network or a test portal).
    pub private_targets: bool,
    pub max_webhooks: i64,
}

/// The form adding a webhook: its URL and a box per event.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WebhookForm {
    pub slug: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub event_budget_threshold: Option<String>,
    #[serde(default)]
    pub event_balance_low: Option<String>,
}

/// Parses a webhook id from a form.
#[cfg(feature = "ssr")]
fn webhook_id(input: &str) -> Result<uuid::Uuid, crate::error::AppError> {
    uuid::Uuid::parse_str(input.trim())
        .map_err(|_| crate::error::AppError::NotFound("There is no such webhook.".to_owned()))
}

/// Where a change to `slug`'s webhooks lands a form posted without
/// JavaScript.
#[cfg(feature = "ssr")]
fn back_to_webhooks(slug: &str, done: &str) {
    crate::server::redirect(&crate::href::with_query(
        &crate::href::organization_webhooks(slug),
        &[("done", done)],
    ));
}
