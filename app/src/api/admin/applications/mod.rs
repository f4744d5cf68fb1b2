//! Onboarding applications as reviewers see them: the review queue and its
//! decisions.

mod approve_application;
mod list_applications;
mod reject_application;

pub use approve_application::*;
pub use list_applications::*;
pub use reject_application::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::role::ApplicationStatus;

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

/// An approve or reject form, as posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionForm {
    pub application_id: Uuid,
    /// Optional for an approval; the reason for a rejection.
    #[serde(default)]
    pub note: String,
}

/// An application row as reviewers see it.
#[cfg(feature = "ssr")]
pub(super) fn application_view(
    row: crate::server::services::onboarding::ApplicationRow,
) -> AdminApplication {
    use crate::domain::onboarding::{ExpectedUsage, Industry};
    use crate::format;
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
        submitted: format::time(row.created_at),
        decided: row.decided_at.map(format::time),
    }
}
