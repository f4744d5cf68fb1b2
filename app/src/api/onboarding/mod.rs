//! The onboarding application a developer sends after verifying their email.

mod my_application;
mod submit_application;

pub use my_application::*;
pub use submit_application::*;

use serde::{Deserialize, Serialize};

use crate::domain::role::ApplicationStatus;

/// An application as its author sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub building: String,
    pub industry: String,
    pub expected_usage: String,
    /// The company named at sign-up, when the account is a business's:
    /// once approved, the dashboard offers to create its organization.
    pub business: Option<String>,
    pub status: ApplicationStatus,
    pub decision_note: Option<String>,
    pub submitted: String,
    pub decided: Option<String>,
}
