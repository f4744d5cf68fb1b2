//! The admin overview: the headline numbers of the console's home page.

mod get_overview;

pub use get_overview::*;

use serde::{Deserialize, Serialize};

/// The numbers on the admin overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub users: i64,
    pub pending_applications: i64,
    pub unsent_emails: i64,
    /// Micro-credits served without being paid.
    pub uncollected: i64,
}
