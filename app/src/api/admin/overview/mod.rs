//! The admin overview: the platform's numbers on the console's home page
//! (queues, sign-ups and approvals, credits, usage by model and provider,
//! top spenders, the support queue, goals against actuals), in one call.

mod get_overview;

pub use get_overview::*;

use serde::{Deserialize, Serialize};

use crate::api::usage::{Series, UsageChart};

/// The Lab's goal for businesses: organizations on the portal.
pub const BUSINESSES_GOAL: i64 = 5_000;
/// The Lab's goal for developers signed up in a calendar year.
pub const DEVELOPERS_GOAL: i64 = 100_000;
/// The Lab's goal for universities: institutions on the portal.
pub const UNIVERSITIES_GOAL: i64 = 120;

/// The numbers on the admin overview. Series cover the last 30 days (UTC),
/// today included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub users: i64,
    pub pending_applications: i64,
    pub pending_access_requests: i64,
    pub unsent_emails: i64,
    /// Micro-credits served without being paid.
    pub uncollected: i64,
    /// `YYYY-MM-DD`, oldest first: the days of `people` and `credits`.
    pub days: Vec<String>,
    /// "Sign-ups" and "Approvals" (applications approved) per day.
    pub people: Vec<Series>,
    /// "Granted", "Spent" and "Expired" micro-credits per day.
    pub credits: Vec<Series>,
    /// Requests per day by model.
    pub requests: UsageChart,
    /// Totals per model over the 30 days, the most requested first.
    pub models: Vec<ModelUsageView>,
    pub top_organizations: Vec<SpenderView>,
    pub top_courses: Vec<SpenderView>,
    /// The support queue; `None` where the portal has no support area.
    pub support: Option<SupportQueueView>,
    pub goals: Vec<GoalView>,
}

/// One model's requests over the 30 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelUsageView {
    /// Empty for requests refused before their model was read.
    pub model: String,
    /// `None`: the model is no longer configured.
    pub provider: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Answered with a status of 400 or more.
    pub errors: i64,
    /// Micro-credits.
    pub credits: i64,
}

/// An organization or a course, with what it spent over the 30 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpenderView {
    pub slug: String,
    pub name: String,
    /// A course's institution.
    pub parent: Option<String>,
    pub requests: i64,
    /// Micro-credits.
    pub credits: i64,
}

/// How the support queue is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportQueueView {
    /// Open, waiting on staff or reopened.
    pub open: i64,
    pub unassigned: i64,
    /// Unanswered past their first-response target.
    pub breached: i64,
    /// First responses within target over the last 30 days, in whole
    /// percent; `None` before any target has come.
    pub met_percent: Option<i64>,
}

/// One of the Lab's goals and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalView {
    /// "Businesses", "Developers", "Universities".
    pub label: String,
    pub actual: i64,
    pub target: i64,
    /// What is counted: "organizations (12 verified)".
    pub counted: String,
}
