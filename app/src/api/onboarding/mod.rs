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
    /// The university named at sign-up, when the account is academic and
    /// its approved application has no institution yet: the dashboard
    /// offers to set it up.
    pub academic: Option<AcademicOfferView>,
    pub status: ApplicationStatus,
    pub decision_note: Option<String>,
    pub submitted: String,
    pub decided: Option<String>,
}

/// An approved academic applicant's offer to set up their institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcademicOfferView {
    pub university: String,
    pub country: String,
    /// The applicant's email domain: the institution's students' domain.
    pub domain: String,
}
