//! Users as admins manage them: the list, one user's page, their role and
//! whether they may sign in.

mod change_role;
mod get_user;
mod list_users;
mod reactivate_user;
mod suspend_user;

pub use change_role::*;
pub use get_user::*;
pub use list_users::*;
pub use reactivate_user::*;
pub use suspend_user::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::applications::AdminApplication;
use crate::domain::role::{PlatformRole, UserStatus};

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

/// A form naming one user, as posted by the suspend and reactivate buttons.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserForm {
    pub user_id: Uuid,
}
