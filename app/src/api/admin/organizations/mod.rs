//! Organizations for Lab staff: every organization, one with its members
//! and pool, verification, and grants to its pool.

mod grant_org_credits;
mod list_organizations;
mod verify_organization;

pub use grant_org_credits::*;
pub use list_organizations::*;
pub use verify_organization::*;

use serde::{Deserialize, Serialize};

/// An organization in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrg {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub industry: String,
    pub verified: bool,
    pub members: i64,
    /// The pool's available credit, in micro-credits.
    pub pool: i64,
    pub created: String,
}

/// A page of organizations, and the idempotency key of the page's grant
/// form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrgs {
    pub found: crate::domain::paging::Page<StaffOrg>,
    pub form_key: String,
}
