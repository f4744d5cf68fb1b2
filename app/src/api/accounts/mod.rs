//! Signing up, in and out; verification, password reset and profile changes.

mod change_email;
mod change_password;
mod current_user;
mod forgot_password;
mod resend_verification;
mod reset_password;
mod sign_in;
mod sign_out;
mod sign_up;
mod verify_email;

pub use change_email::*;
pub use change_password::*;
pub use current_user::*;
pub use forgot_password::*;
pub use resend_verification::*;
pub use reset_password::*;
pub use sign_in::*;
pub use sign_out::*;
pub use sign_up::*;
pub use verify_email::*;

use serde::{Deserialize, Serialize};

/// The signed-in user, as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
    /// Micro-credits they may spend now.
    pub available: i64,
    /// The organizations they belong to, by name, for the header's switch.
    pub organizations: Vec<OrgChoice>,
    /// The one they act for (its slug); none: for themselves.
    pub acting_for: Option<String>,
}

/// An organization someone belongs to, as the header names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgChoice {
    pub slug: String,
    pub name: String,
}

impl SessionUser {
    /// The organization they act for, with its name.
    pub fn acting(&self) -> Option<&OrgChoice> {
        let slug = self.acting_for.as_deref()?;
        self.organizations.iter().find(|o| o.slug == slug)
    }
}
