//! Universities for Lab staff: every institution, creating one (with its
//! students' email domains), its staff, and grants to its pool.

mod create_institution;
mod grant_institution_credits;
mod list_institutions;
mod set_institution_staff;

pub use create_institution::*;
pub use grant_institution_credits::*;
pub use list_institutions::*;
pub use set_institution_staff::*;

use serde::{Deserialize, Serialize};

/// An institution in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInstitution {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub domains: Vec<String>,
    /// Micro-credits in its pool.
    pub pool: i64,
    pub cohorts: i64,
}

/// Every institution, and the idempotency key of the page's grant form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInstitutions {
    pub institutions: Vec<StaffInstitution>,
    pub form_key: String,
}

/// The new institution form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewInstitutionForm {
    pub name: String,
    pub slug: String,
    pub country: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub time_zone: String,
    /// Its students' email domains, separated by commas or spaces.
    #[serde(default)]
    pub domains: String,
}
